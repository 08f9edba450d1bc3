#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest: SoftDevice + bootloader + application (nRF52840, SDK 17.1) in one package
source "$(dirname "$0")/guest-lib.sh"
PKG=secure/ios_nrf52840_sdk17.1_sd_bl_app_3/nrf52840_sdk_17.1_sd_bl_app_3.zip
need_fixture "$PKG"
target_start --instant-flash --profile "$(profile_sdk17)" --mode bootloader
bdfu update update "$FIX/$PKG" $ADDR
[ $RC = 0 ] || fail "update exited $RC"
grep -q 'SoftDevice 0x100 activated' "$LOGS/target.log" || fail "the SoftDevice+bootloader part was not activated"
grep -q 'mode: application (application at 0x27000 valid (53624 bytes)' "$LOGS/target.log" ||
	fail "the device did not boot the application part"
grep -q 'the application is running' "$LOGS/update.log" || fail "bluedfu did not see the application run"
pass "SoftDevice+bootloader then application, booted"
