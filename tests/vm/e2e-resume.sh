#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest: the device drops the link in the middle of a data object; bluedfu reconnects and
# resumes where the device stopped instead of starting again
source "$(dirname "$0")/guest-lib.sh"
need_fixture "$APP17"
target_start --instant-flash --mode bootloader \
	--profile "$(profile_sdk17 "save-progress-in-flash = true" "faults = disconnect-at-byte:22000")"
bdfu update update -v "$FIX/$APP17" $ADDR
[ $RC = 0 ] || fail "update exited $RC"
grep -q 'fault: disconnect-at-byte' "$LOGS/target.log" || fail "the device never dropped the link"
grep -qE 'resuming at [1-9][0-9]* of 53624' "$LOGS/update.log" ||
	fail "bluedfu did not resume from the device's offset"
grep -q 'the application is running' "$LOGS/update.log" || fail "bluedfu did not see the application run"
pass "link dropped at byte 22000, resumed, application booted"
