#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest: the seed's merged MBR+SoftDevice+app hex packaged as an application: the transfer
# succeeds, the device never runs it, bluedfu exits 8 (fixtures/seed/REPORT.md)
source "$(dirname "$0")/guest-lib.sh"
PKG=seed/seed-merged-hex.zip
need_fixture "$PKG"
P=$(profile seed "[device seed]" "soc = nrf52832" "sdk = 14" "sd-fwid = 0x9D" "hw-version = 52" \
	"public-key = $FIX/seed/seed-key.pub.pem")
target_start --instant-flash --profile "$P" --mode bootloader
# an SDK 14 bootloader answers the MTU exchange with 23; bluetoothd answers it for this
# device with its own ExchangeMTU (23 there makes 5.66 fail to register adapters), so the
# client is capped instead
bdfu update update --mtu 23 --boot-timeout 15 "$FIX/$PKG" $ADDR
[ $RC = 8 ] || fail "update exited $RC, not 8 (application did not boot)"
grep -q 'Packet writes of up to 20 bytes' "$LOGS/target.log" || fail "the Packet writes were not 20 bytes (ATT MTU 23)"
grep -q 'mode: silent' "$LOGS/target.log" || fail "the device did not go silent"
pass "merged hex sent, the device went silent, exit 8"
