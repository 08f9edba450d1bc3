#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bdfu-vm.sh -- run one guest script on the real BlueZ stack inside a throw-away VM.
#
#   bdfu-vm.sh SCRIPT [ARGS...]
#
# The VM boots Debian's own kernel (fetched with apt-get download, unpacked, never installed)
# under qemu, shares this machine's / read-only (writes go to a tmpfs overlay), then starts a
# system dbus, two btvirt LE controllers (hci0, hci1), btmon and bluetoothd, and runs SCRIPT.
# The exit code is the script's; 77 = skipped (no way to boot the VM here, the reason is
# printed), 124 = timeout, 125 = the VM or the stack did not come up.
#
# Environment:
#   BDFU_VM_TIMEOUT=400      wall-clock limit in seconds
#   BDFU_VM_BT_SET=          bluetoothd main.conf settings "Section.Key=Value ..."
#                            (default "GATT.Channels=1 GATT.ExchangeMTU=247": no EATT, the MTU
#                            of an nRF5 bootloader; both controllers share one bluetoothd)
#   BDFU_VM_BTMON=1          record an HCI trace; it is kept only when SCRIPT fails
#   BDFU_VM_LOG_DIR=         where logs (and the trace) are copied; default: a temp dir
#   BDFU_VM_PASS_ENV=        names of environment variables handed to SCRIPT
#   BDFU_VM_CACHE=~/.cache/bluedfu-vm   the kernel and the initramfs
#   BDFU_VM_ACCEL=auto       tcg, kvm, or auto (kvm only with kvm_intel/kvm_amd loaded)
#   BDFU_VM_SMP=2 BDFU_VM_MEM=1024
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
skip() { echo "bdfu-vm: SKIP: $*"; exit 77; }
note() { echo "bdfu-vm: $*" >&2; }

[ $# -ge 1 ] || { echo "usage: bdfu-vm.sh SCRIPT [ARGS...]" >&2; exit 2; }
SCRIPT=$(realpath -e "$1") || { echo "bdfu-vm: no such script: $1" >&2; exit 2; }
shift
TIMEOUT=${BDFU_VM_TIMEOUT:-400}
CACHE=${BDFU_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bluedfu-vm}
BT_SET=${BDFU_VM_BT_SET-GATT.Channels=1 GATT.ExchangeMTU=247}
BTMON=${BDFU_VM_BTMON:-1}

# --- Debian packages --------------------------------------------------------------------------
missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
[ -x /usr/libexec/bluetooth/bluetoothd ] && command -v btmon >/dev/null || missing+=(bluez)
command -v btvirt >/dev/null || missing+=(bluez-test-tools)
command -v dbus-daemon >/dev/null || missing+=(dbus)
/bin/busybox --list 2>/dev/null | grep -qx switch_root || missing+=(busybox-static)
command -v depmod >/dev/null || missing+=(kmod)
command -v xz >/dev/null || missing+=(xz-utils)
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || skip "missing ${missing[*]} and not root to apt-get install them"
	note "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
		skip "apt-get install ${missing[*]} failed"
fi
[ -e /dev/null ] && [ -d /proc/self ] || skip "no /proc"

# --- Debian's kernel, cached --------------------------------------------------------------------
mkdir -p "$CACHE" || skip "cannot create $CACHE"
exec 9>"$CACHE/.lock"
flock 9
if ! ls "$CACHE"/kernel/boot/vmlinuz-* >/dev/null 2>&1; then
	# linux-image-amd64 is a meta package; the -cloud flavour has no Bluetooth and no 9p
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }')
	[ -n "$pkg" ] || skip "apt-cache knows no linux-image-amd64 (apt-get update?)"
	note "fetching $pkg"
	dl=$(mktemp -d "$CACHE/dl.XXXXXX")
	if ! (cd "$dl" && apt-get download "$pkg" >&2 && dpkg -x "$pkg"_*.deb kernel); then
		rm -rf "$dl"
		skip "cannot download $pkg"
	fi
	kv=$(ls "$dl/kernel/lib/modules" | head -n 1)
	depmod -b "$dl/kernel" "$kv" || { rm -rf "$dl"; skip "depmod failed"; }
	rm -rf "$CACHE/kernel"
	mv "$dl/kernel" "$CACHE/kernel" && rm -rf "$dl"
fi
VMLINUZ=$(ls "$CACHE"/kernel/boot/vmlinuz-* | head -n 1)
KV=${VMLINUZ##*/vmlinuz-}
KMOD=$CACHE/kernel/lib/modules/$KV
VMLINUX=$CACHE/vmlinux-$KV
if [ ! -s "$VMLINUX" ]; then
	# qemu boots an uncompressed ELF through PVH: no in-guest xz under TCG (several seconds)
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$VMLINUZ" | head -n 1 | cut -d: -f1)
	[ -n "$off" ] || skip "$VMLINUZ has no xz payload"
	tail -c +$((off + 1)) "$VMLINUZ" | xz -dcq --single-stream >"$VMLINUX.tmp" 2>/dev/null
	[ -s "$VMLINUX.tmp" ] || skip "cannot unpack $VMLINUZ"
	mv "$VMLINUX.tmp" "$VMLINUX"
fi
INITRD=$CACHE/initramfs-$KV.cpio.gz
if [ ! -s "$INITRD" ] || [ "$HERE/vm-init" -nt "$INITRD" ] || [ "$HERE/vm-initramfs.sh" -nt "$INITRD" ]; then
	"$HERE/vm-initramfs.sh" "$KMOD" "$INITRD" "$HERE/vm-init" >&2 || skip "cannot build the initramfs"
fi
flock -u 9

# --- job ----------------------------------------------------------------------------------------
JOB=$(mktemp -d /tmp/bdfu-vm.XXXXXX)
mkdir -p "$JOB/out"
cleanup() { [ -n "${QPID:-}" ] && kill "$QPID" 2>/dev/null; rm -rf "$JOB"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
{
	printf 'G_SCRIPT=%q\nG_CWD=%q\nG_BTMON=%q\n' "$SCRIPT" "$PWD" "$BTMON"
	printf 'G_ARGS=('
	for a in "$@"; do printf '%q ' "$a"; done
	printf ')\n'
	for v in BDFU_BUILD_ROOT BDFU_SOURCE_ROOT BDFU_FIXTURES ${BDFU_VM_PASS_ENV:-}; do
		[ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
} >"$JOB/job.env"
echo "$HERE/vm-guest.sh" >"$JOB/stage2"
# main.conf: the settings asked for (a later one wins), bluetoothd's defaults otherwise
awk -v sets="$BT_SET" 'BEGIN {
	n = split(sets, a, " ")
	for (i = 1; i <= n; i++) {
		eq = index(a[i], "="); dot = index(a[i], ".")
		if (eq == 0 || dot == 0 || dot > eq) continue
		sec = substr(a[i], 1, dot - 1); key = substr(a[i], dot + 1, eq - dot - 1)
		if (!(sec in seen)) { seen[sec] = 1; secs[++ns] = sec }
		if (!((sec, key) in val)) keys[sec] = keys[sec] " " key
		val[sec, key] = substr(a[i], eq + 1)
	}
	for (i = 1; i <= ns; i++) {
		printf "[%s]\n", secs[i]
		m = split(keys[secs[i]], k, " ")
		for (j = 1; j <= m; j++) printf "%s = %s\n", k[j], val[secs[i], k[j]]
	}
}' >"$JOB/main.conf"
: >"$JOB/console.out"

ACCEL=${BDFU_VM_ACCEL:-auto}
if [ "$ACCEL" = auto ]; then
	# /dev/kvm on a host without kvm_intel/kvm_amd (nested PVM) crawls: TCG is faster there
	ACCEL=tcg
	[ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; } && ACCEL=kvm
fi
if [ "$ACCEL" = kvm ]; then A=(-accel kvm -cpu host); else A=(-accel tcg,thread=multi -cpu max); fi
START=$(date +%s)
timeout --kill-after=5 "$TIMEOUT" qemu-system-x86_64 "${A[@]}" -M pc \
	-smp "${BDFU_VM_SMP:-2}" -m "${BDFU_VM_MEM:-1024}" \
	-nodefaults -no-user-config -display none -monitor none -no-reboot -net none \
	-kernel "$VMLINUX" -initrd "$INITRD" \
	-append "console=ttyS0 quiet loglevel=4 panic=-1 oops=panic rdinit=/init mitigations=off cryptomgr.notests tsc=reliable no_timer_check" \
	-serial "file:$JOB/kernel.log" \
	-device virtio-serial-pci -chardev "file,id=c0,path=$JOB/console.out" -device virtconsole,chardev=c0 \
	-fsdev local,id=fs0,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=fs0,mount_tag=hostroot \
	-fsdev local,id=fs1,path="$JOB",security_model=none,multidevs=remap \
	-device virtio-9p-pci,fsdev=fs1,mount_tag=job \
	</dev/null >"$JOB/qemu.log" 2>&1 &
QPID=$!
tail -s 0.3 -n +1 -F --pid=$QPID "$JOB/console.out" 2>/dev/null &
TPID=$!
wait $QPID
QRC=$?
QPID=
wait $TPID 2>/dev/null

if [ -s "$JOB/rc" ]; then
	RC=$(cat "$JOB/rc")
elif [ $QRC -eq 124 ] || [ $QRC -eq 137 ]; then
	echo "bdfu-vm: timed out after ${TIMEOUT}s; kernel log tail:"
	tail -n 20 "$JOB/kernel.log"
	RC=124
else
	echo "bdfu-vm: the VM ended without a result (qemu exit $QRC):"
	cat "$JOB/qemu.log"
	tail -n 20 "$JOB/kernel.log"
	RC=125
fi
LOGS=${BDFU_VM_LOG_DIR:-}
[ -n "$LOGS" ] || LOGS=$(mktemp -d /tmp/bdfu-vm-logs.XXXXXX)
# logs of an earlier run would be read as this one's: clear a directory we made before
[ -e "$LOGS/.bdfu-vm-logs" ] && rm -rf "$LOGS"
mkdir -p "$LOGS" && : >"$LOGS/.bdfu-vm-logs"
cp -r "$JOB"/out/. "$LOGS"/ 2>/dev/null
cp "$JOB"/*.log "$JOB"/main.conf "$LOGS"/ 2>/dev/null
if [ "$RC" != 0 ] && [ "$RC" != 77 ]; then
	[ -f "$JOB/out/hci.btsnoop" ] && echo "bdfu-vm: HCI trace kept: $LOGS/hci.btsnoop"
	echo "bdfu-vm: logs in $LOGS"
else
	rm -f "$LOGS/hci.btsnoop"
fi
echo "bdfu-vm: exit $RC after $(($(date +%s) - START)) s in the VM ($ACCEL)"
exit "$RC"
