#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench-vm.sh BUILD_DIR -- Secure DFU of a 100 KiB application on the real BlueZ stack in the VM
# of tests/vm: AcquireWrite vs WriteValue(type=command), PRN 0 and 12, 20- and 244-byte writes
# (ATT MTU 23 and 247).
# btvirt has no radio timing: the figures are the host-side cost only (bluetoothd, D-Bus, the
# kernel, TCG), not what a real link gives.
set -euo pipefail
BUILD=$(realpath "${1:?usage: bench-vm.sh BUILD_DIR}")
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/bdfu-bench-vm.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# a 100 KiB application that boots: stack pointer in RAM, reset vector inside the image at the
# S140 7.2.0 application start 0x27000, then deterministic filler
/usr/bin/python3 - "$WORK/app.bin" <<'PY'
import random, struct, sys
r = random.Random(20261201)
body = bytes(r.getrandbits(8) for _ in range(102400 - 8))
open(sys.argv[1], "wb").write(struct.pack("<II", 0x20010000, 0x27000 + 0x201) + body)
PY
"$BUILD/src/cli/bluedfu" pkg generate "$WORK/app100k.zip" --application "$WORK/app.bin" \
	--application-version 2 --hw-version 52 --sd-req 0x100 >/dev/null

export BDFU_BUILD_ROOT=$BUILD BENCH_PKG=$WORK/app100k.zip BDFU_VM_BTMON=0 BDFU_VM_TIMEOUT=900
export BDFU_VM_PASS_ENV=BENCH_PKG
# bluetoothd 5.66 registers no adapter with [GATT] ExchangeMTU = 23 (setsockopt(L2CAP_OPTIONS):
# Invalid argument): the link runs at 247 and bluedfu is capped with --mtu 23 for the small case
BDFU_VM_BT_SET="GATT.Channels=1 GATT.ExchangeMTU=247" BDFU_VM_LOG_DIR=$WORK/logs \
	"$SRC/tests/vm/bdfu-vm.sh" "$HERE/guest-bench.sh" | tee "$WORK/results"
echo
echo "| ATT MTU | Packet writes | PRN | data phase (B/s) | data phase (s) | total update (s) |"
echo "| --- | --- | --- | --- | --- | --- |"
grep '^RESULT' "$WORK/results" | while read -r _ mtu method prn bps secs total; do
	echo "| ${mtu#mtu=} | ${method#method=} | ${prn#prn=} | ${bps#bps=} | ${secs#data_s=} | ${total#total_s=} |"
done
