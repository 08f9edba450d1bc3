#!/usr/bin/env bash
# The files bluedfud is deployed with must be what systemd, dbus-daemon and polkit accept.
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# systemd: the unit as built, with ExecStart pointed at the binary we just built
sed "s|^ExecStart=.*|ExecStart=$build/src/daemon/bluedfud|" "$build/data/bluedfud.service" \
    >"$tmp/bluedfud.service"
if command -v systemd-analyze >/dev/null; then
    if ! out=$(systemd-analyze verify --man=no "$tmp/bluedfud.service" 2>&1); then
        echo "systemd-analyze verify failed:"; echo "$out"; fail=1
    elif grep -q 'bluedfud.service' <<<"$out"; then
        echo "systemd-analyze verify complained:"; echo "$out"; fail=1
    fi
    grep -q '^Type=dbus' "$tmp/bluedfud.service" || { echo "unit is not Type=dbus"; fail=1; }
else
    echo "SKIP: no systemd-analyze"; exit 77
fi

# dbus-daemon: a system-style bus that includes our policy must start
cat >"$tmp/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$build/data</servicedir>
  <policy context="default">
    <allow send_destination="org.freedesktop.DBus"/>
    <allow receive_sender="org.freedesktop.DBus"/>
  </policy>
  <include>$src/data/io.github.bluedfu.conf</include>
</busconfig>
CONF
dbus-daemon --config-file="$tmp/bus.conf" --nofork --nopidfile --print-address=1 >"$tmp/addr" 2>"$tmp/err" &
pid=$!
for _ in $(seq 50); do [ -s "$tmp/addr" ] && break; sleep 0.1; done
if [ ! -s "$tmp/addr" ]; then
    echo "dbus-daemon refused the policy:"; cat "$tmp/err"; fail=1
else
    names=$(dbus-send --bus="$(cat "$tmp/addr")" --print-reply --dest=org.freedesktop.DBus \
        /org/freedesktop/DBus org.freedesktop.DBus.ListActivatableNames)
    grep -q io.github.bluedfu <<<"$names" || { echo "activation file not picked up"; fail=1; }
fi
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true

# the polkit action and the introspection XML are well-formed and name what the code uses
python3 - "$src" <<'PY' || fail=1
import sys, xml.etree.ElementTree as ET
src = sys.argv[1]
ids = [a.get("id") for a in ET.parse(f"{src}/data/io.github.bluedfu.policy").getroot().iter("action")]
assert ids == ["io.github.bluedfu.update"], ids
ifaces = [i.get("name") for i in ET.parse(f"{src}/data/io.github.bluedfu.xml").getroot().iter("interface")]
assert ifaces == ["io.github.bluedfu.Manager1", "io.github.bluedfu.Job1"], ifaces
PY
[ "$fail" -eq 0 ] && echo "unit, bus policy, activation file, polkit policy and XML: ok"
exit "$fail"
