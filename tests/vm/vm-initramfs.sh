#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-initramfs.sh KMODDIR OUT.cpio.gz INIT -- a small initramfs: static busybox, INIT as /init
# and the kernel modules the VM needs, in load order (each after what it depends on).
set -euo pipefail
KMOD=$1 OUT=$2 INIT=$3
BB=/bin/busybox
[ -f "$KMOD/modules.dep" ] || { echo "vm-initramfs: no modules.dep in $KMOD" >&2; exit 1; }
# ansi_cprng before ecdh_generic: without a default RNG the kernel cannot make ECDH keys
# ("Unable to create ECDH crypto context"). ecb/cmac/af_alg/algif_*: btvirt opens AF_ALG
# sockets before it answers the kernel's first HCI_Reset; demand-loading them over 9p under
# TCG can take longer than the 2 s command timeout and leave hci0 dead. bnep/rfcomm:
# bluetoothd opens their sockets at start.
MODULES="virtio_pci 9pnet_virtio 9p overlay virtio_console ansi_cprng ecb cmac af_alg
	algif_hash algif_skcipher ecdh_generic bluetooth hci_vhci bnep rfcomm"

declare -A done_=()
order=()
# module name -> its path in modules.dep (names use _ where files may use -)
lookup() {
	awk -F: -v want="$1" '{ f = $1; sub(/^.*\//, "", f); sub(/\.ko.*$/, "", f); gsub(/-/, "_", f)
		if (f == want) { print $1; exit } }' "$KMOD/modules.dep"
}
visit() {
	local rel=$1 dep
	[ -n "${done_[$rel]:-}" ] && return 0
	done_[$rel]=1
	for dep in $(awk -F: -v p="$rel" '$1 == p { print $2 }' "$KMOD/modules.dep"); do
		visit "$dep"
	done
	order+=("$rel")
}
for m in $MODULES; do
	rel=$(lookup "$m")
	[ -n "$rel" ] || { echo "vm-initramfs: module $m not in $KMOD" >&2; exit 1; }
	visit "$rel"
done

tree=$(mktemp -d /tmp/bdfu-initramfs.XXXXXX)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree"/{bin,dev,proc,sys,host,rw,root,modules}
cp "$BB" "$tree/bin/busybox"
ln -s busybox "$tree/bin/sh"
install -m 0755 "$INIT" "$tree/init"
for rel in "${order[@]}"; do
	name=$(basename "$rel")
	case $name in
	*.ko.xz) xz -dc "$KMOD/$rel" >"$tree/modules/${name%.xz}"; name=${name%.xz} ;;
	*.ko.zst) zstd -qdc "$KMOD/$rel" >"$tree/modules/${name%.zst}"; name=${name%.zst} ;;
	*) cp "$KMOD/$rel" "$tree/modules/$name" ;;
	esac
	echo "$name" >>"$tree/modules/load-order"
done
(cd "$tree" && find . | "$BB" cpio -o -H newc 2>/dev/null) | gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "vm-initramfs: $OUT with ${#order[@]} modules"
