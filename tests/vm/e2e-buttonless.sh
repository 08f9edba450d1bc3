#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest: application mode -> buttonless -> bootloader -> update -> the new application boots
source "$(dirname "$0")/guest-lib.sh"
need_fixture "$APP17"
target_start --instant-flash --profile "$(profile_sdk17)"
bdfu update update "$FIX/$APP17" $ADDR
[ $RC = 0 ] || fail "update exited $RC"
grep -q 'mode: DFU (the application asked for the bootloader (buttonless' "$LOGS/target.log" ||
	fail "the device did not enter DFU mode through buttonless"
grep -q 'mode: application (application at 0x27000 valid (53624 bytes)' "$LOGS/target.log" ||
	fail "the device did not boot the new 53624-byte application"
grep -q 'the application is running' "$LOGS/update.log" || fail "bluedfu did not see the application run"
pass "buttonless, update, application booted"
