#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest: a real signed application package (nRF52840, SDK 17.1) to a device already in DFU mode
source "$(dirname "$0")/guest-lib.sh"
PKG=secure/ios_nrf52840_sdk17.1_app/nrf52840_sdk_17.1_app.zip
need_fixture "$PKG"
P=$(profile dev "[device dev]" "soc = nrf52840" "sd-fwid = 0x100" "hw-version = 52" \
	"public-key = $FIX/keys/public/ios-dfu-library-testapp_2cc8db49.pub.pem")
target_start --instant-flash --profile "$P" --mode bootloader
bdfu update update "$FIX/$PKG" C0:DE:5E:ED:00:02
[ $RC = 0 ] || fail "update exited $RC"
grep -q 'ATT MTU 247' "$LOGS/target.log" || fail "the link did not run at ATT MTU 247"
grep -q 'mode: application' "$LOGS/target.log" || fail "the device did not boot the new application"
pass "application updated, the device booted it"
