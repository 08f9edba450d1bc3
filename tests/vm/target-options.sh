#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bluedfu-target refuses bad options and profiles before it touches Bluetooth, naming what is
# wrong (runs on the host, no VM)
set -u
T=${BDFU_BUILD_ROOT:?}/src/target-emu/bluedfu-target
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
n=0
expect() { # expect EXIT_CODE REGEX ARGS...
	local want=$1 re=$2 out rc
	shift 2
	out=$("$T" "$@" 2>&1)
	rc=$?
	n=$((n + 1))
	if [ $rc != "$want" ] || ! grep -qE -- "$re" <<<"$out"; then
		echo "FAIL: bluedfu-target $*: exit $rc, said: $out (wanted exit $want and /$re/)"
		exit 1
	fi
	echo "ok $n: $*"
}
printf '[device a]\nsdk = 9\n' >"$D/badsdk.ini"
printf '[device a]\n[device b]\n' >"$D/two.ini"
printf '[device a]\nfaults = disconnect-before-final-execute\n' >"$D/final.ini"
printf '[device a]\ncolour = blue\n' >"$D/unknown.ini"

expect 2 "'wlan0' is not an adapter name like hci1" --adapter wlan0
expect 2 "--mode is app or bootloader, not 'dfu'" --mode dfu
expect 2 "--readvertise takes 0 to 3600 seconds" --readvertise -1
expect 2 "group \[device a\], key 'sdk': '9' is not a number from 12 to 17" --profile "$D/badsdk.ini"
expect 2 "key 'colour': unknown key" --profile "$D/unknown.ini"
expect 2 "the profile describes 2 devices; pick one with --device NAME \(a, b\)" --profile "$D/two.ini"
expect 2 "the profile has no device 'c' \(it has a, b\)" --profile "$D/two.ini" --device c
expect 2 "disconnect-before-final-execute is only simulated" --profile "$D/final.ini"
expect 2 "unexpected argument 'extra'" extra
expect 0 "^bluedfu-target [0-9]" --version
