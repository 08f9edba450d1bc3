#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# PID 1 of the VM after switch_root (the host's bash): system dbus, btvirt with two LE
# controllers, btmon, bluetoothd with the job's main.conf; then the job's script, whose exit
# code goes to /run/job/rc before the VM powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb
J=/run/job
B=/run/bt
exec 7<>$B/idle
# a sleep without exec: under TCG every exec of a dynamic binary costs ~0.2 s
nap() { read -r -t "$1" -u 7; }
# poll until a command succeeds; 0 or 1 (not read's status)
until_ok() {
	local limit=$((SECONDS + $1))
	shift
	while ! "$@"; do
		[ $SECONDS -ge $limit ] && return 1
		nap 0.1
	done
	return 0
}
OUT=/dev/hvc0
[ -c $OUT ] || OUT=$J/console.out
say() { echo "vm: $*" >$OUT; }
end() {
	echo "$1" >$J/rc
	local p
	for p in bluetoothd btvirt btmon dbus; do
		[ -f $B/$p.pid ] && read -r pid <$B/$p.pid && kill "$pid" 2>/dev/null
	done
	nap 0.5
	/bin/busybox dmesg >$J/out/dmesg.log 2>/dev/null
	/bin/busybox cp -f $B/*.log $J/out/ 2>/dev/null
	/bin/busybox sync
	/bin/busybox poweroff -f
	echo o >/proc/sysrq-trigger
	nap 10
}
fail() { say "the stack did not come up: $*"; end 125; }

source $J/job.env
[ -c /dev/vhci ] || fail "/dev/vhci is missing (no hci_vhci)"

dbus-daemon --system --fork --print-pid >$B/dbus.pid 2>$B/dbus.log || fail "dbus-daemon"
until_ok 10 test -S /run/dbus/system_bus_socket || fail "no system bus socket"

n_ctrl() { local n=0 d; for d in /sys/class/bluetooth/hci*; do [ -e "$d" ] && n=$((n + 1)); done; echo $n; }
# a controller that missed the kernel's first HCI_Reset timeout keeps address 00:00:00:00:00:00
ctrls_ok() {
	local info
	info=$(hciconfig 2>/dev/null) || return 1
	[[ $info != *"00:00:00:00:00:00"* ]] && [ "$(grep -c 'BD Address' <<<"$info")" -ge 2 ]
}
two() { [ "$(n_ctrl)" -ge 2 ]; }
btvirt -L -l2 >>$B/btvirt.log 2>&1 &
echo $! >$B/btvirt.pid
until_ok 30 two || fail "btvirt made no two controllers"
# btvirt answers the kernel's first HCI_Reset only after making both controllers; when that
# takes longer than the kernel's 2 s command timeout (btmon starting at the same time was
# enough under TCG), hci0 stays without an address ("Opcode 0x0c03 failed: -110"). Killing
# and restarting btvirt then once left the kernel's hci_chan lists corrupt (list_del BUG in
# hci_chan_del when bluetoothd closed an L2CAP socket), so btmon starts afterwards and a
# controller without an address is a setup failure.
until_ok 10 ctrls_ok || fail "btvirt's controllers have no address: $(hciconfig | tr '\n\t' '  ')"
if [ "$G_BTMON" = 1 ]; then
	# straight to the job share: a trace survives a guest kernel panic
	btmon -w $J/out/hci.btsnoop >/dev/null 2>&1 &
	echo $! >$B/btmon.pid
	nap 0.5
fi

/usr/libexec/bluetooth/bluetoothd -n -E -f $J/main.conf >$B/bluetoothd.log 2>&1 &
echo $! >$B/bluetoothd.pid
powered() {
	local i
	for i in 0 1; do
		busctl get-property org.bluez /org/bluez/hci$i org.bluez.Adapter1 Powered 2>/dev/null |
			grep -q true && continue
		busctl set-property org.bluez /org/bluez/hci$i org.bluez.Adapter1 Powered b true >/dev/null 2>&1
		return 1
	done
}
until_ok 40 powered || fail "bluetoothd did not power hci0 and hci1"

export VM_OUT=$J/out BDFU_VM_GUEST=1
cd "$G_CWD" 2>/dev/null || cd /
say "stack up after $(cut -d' ' -f1 /proc/uptime) s: running ${G_SCRIPT##*/} ${G_ARGS[*]}"
bash "$G_SCRIPT" "${G_ARGS[@]}" </dev/null >$OUT 2>&1
rc=$?
say "${G_SCRIPT##*/} exited $rc"
end $rc
