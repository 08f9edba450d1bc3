# SPDX-License-Identifier: LGPL-2.1-or-later
# sourced by the guest scenario scripts: bluedfu on hci0, bluedfu-target on hci1
set -u
: "${BDFU_BUILD_ROOT:?the scenarios need BDFU_BUILD_ROOT (meson sets it)}"
# BDFU_VM_BIN_ROOT: take the two programs from another build (e.g. build-asan)
BLUEDFU=${BDFU_VM_BIN_ROOT:-$BDFU_BUILD_ROOT}/src/cli/bluedfu
TARGET=${BDFU_VM_BIN_ROOT:-$BDFU_BUILD_ROOT}/src/target-emu/bluedfu-target
FIX=${BDFU_FIXTURES:-}
LOGS=${VM_OUT:-$(mktemp -d)}
HERE_VM=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TARGET_PID=
exec 6<>/run/bt/idle
nap() { read -r -t "$1" -u 6; return 0; }

fail() {
	echo "FAIL: $*"
	exit 1
}
pass() { echo "ok: $*"; }

need_fixture() {
	[ -n "$FIX" ] && [ -e "$FIX/$1" ] || { echo "SKIP: fixture $1 missing (BDFU_FIXTURES)"; exit 77; }
}

# a profile file in the logs, from the lines given
profile() {
	local f=$LOGS/$1.profile
	shift
	printf '%s\n' "$@" >"$f"
	echo "$f"
}

# wait_for FILE REGEX SECONDS [COUNT]: until FILE has COUNT lines matching REGEX
wait_for() {
	local file=$1 re=$2 limit=$((SECONDS + $3)) want=${4:-1}
	while [ "$(grep -cE -- "$re" "$file" 2>/dev/null)" -lt "$want" ]; do
		[ $SECONDS -ge $limit ] && return 1
		nap 0.2
	done
	return 0
}

# target_start ARGS...: bluedfu-target on hci1, waits for its first advertisement
target_start() {
	: >"$LOGS/target.log"
	"$TARGET" --adapter hci1 --readvertise 2 "$@" >>"$LOGS/target.log" 2>&1 &
	TARGET_PID=$!
	wait_for "$LOGS/target.log" 'advertising' 60 || { cat "$LOGS/target.log"; fail "bluedfu-target did not advertise"; }
	# the advertisement is registered right after the line
	nap 2
}
target_stop() {
	[ -n "$TARGET_PID" ] && kill "$TARGET_PID" 2>/dev/null && wait "$TARGET_PID" 2>/dev/null
	TARGET_PID=
}

# bdfu NAME ARGS...: bluedfu on hci0 through BlueZ; output in $LOGS/NAME.log, exit code in RC
bdfu() {
	[ -n "${BDFU_VM_MONITOR:-}" ] || { BDFU_VM_MONITOR=1; dbus-monitor --system "sender=org.bluez" >"$LOGS/dbus-monitor.log" 2>&1 & }
	local name=$1
	shift
	echo "+ bluedfu $*"
	"$BLUEDFU" --backend bluez --adapter hci0 --no-daemon "$@" >"$LOGS/$name.log" 2>&1
	RC=$?
	sed 's/^/  | /' "$LOGS/$name.log"
	echo "  (exit $RC)"
}

at_exit() {
	local rc=$?
	target_stop
	# a sanitizer build (BDFU_VM_BIN_ROOT=build-asan) that complained fails the scenario
	if [ $rc = 0 ] && grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LOGS"/*.log 2>/dev/null; then
		echo "FAIL: a sanitizer reported an error (files above)"
		rc=1
	fi
	if [ $rc != 0 ] && [ $rc != 77 ]; then
		echo "--- target.log"
		cat "$LOGS/target.log" 2>/dev/null
		echo "--- bluetoothd.log (tail)"
		tail -n 30 /run/bt/bluetoothd.log 2>/dev/null
	fi
	exit $rc
}
trap at_exit EXIT

# the profile of the nRF52840 SDK 17.1 test images (IOS-DFU-Library's key), with extra lines
profile_sdk17() {
	profile dev "[device dev]" "soc = nrf52840" "sd-fwid = 0x100" "hw-version = 52" \
		"public-key = $FIX/keys/public/ios-dfu-library-testapp_2cc8db49.pub.pem" "$@"
}
APP17=secure/ios_nrf52840_sdk17.1_app/nrf52840_sdk_17.1_app.zip
# bluetoothd answers no ATT on a static random address (bluedfu-target(1), README.md): the
# device keeps the controller's public address in both modes
ADDR=00:AA:01:01:00:01
