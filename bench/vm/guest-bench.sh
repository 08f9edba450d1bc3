#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest part of bench-vm.sh: one update per (Packet write path, PRN); prints RESULT lines
source "$(dirname "$0")/../../tests/vm/guest-lib.sh"
SHIM=$BDFU_BUILD_ROOT/tests/vm/libbdfu-no-acquire-write.so
P=$(profile bench "[device bench]" "soc = nrf52840" "sd-fwid = 0x100" "hw-version = 52")
for mtu in 247 23; do
for method in AcquireWrite WriteValue; do
	for prn in 0 12; do
		target_start --instant-flash --profile "$P" --mode bootloader
		pre=
		[ $method = WriteValue ] && pre=$SHIM
		t0=$EPOCHREALTIME
		LD_PRELOAD=$pre "$BLUEDFU" --backend bluez --adapter hci0 --no-daemon update \
			--prn $prn --mtu $mtu "$BENCH_PKG" $ADDR >"$LOGS/bench-$mtu-$method-$prn.log" 2>&1
		rc=$?
		t1=$EPOCHREALTIME
		wait_for "$LOGS/target.log" 'data phase:' 10
		line=$(grep 'data phase:' "$LOGS/target.log" | tail -n 1)
		target_stop
		[ $rc = 0 ] || { cat "$LOGS/bench-$mtu-$method-$prn.log"; fail "$method PRN $prn: update exited $rc"; }
		# "data phase: 102400 firmware bytes in 3.210 s, 31900 B/s"
		read -r _ secs bps <<<"$(sed -E 's/.*data phase: ([0-9]+) firmware bytes in ([0-9.]+) s, ([0-9]+) B\/s.*/\1 \2 \3/' <<<"$line")"
		total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
		echo "RESULT mtu=$mtu method=$method prn=$prn bps=$bps data_s=$secs total_s=$total"
	done
done
done
