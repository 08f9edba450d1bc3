#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest: the SDK 17.1 application over a link at ATT MTU 23 (20-byte packets)
source "$(dirname "$0")/guest-lib.sh"
need_fixture "$APP17"
target_start --instant-flash --same-address --profile "$(profile_sdk17)" --mode bootloader
bdfu update update "$FIX/$APP17" $ADDR
[ $RC = 0 ] || fail "update exited $RC"
grep -q 'ATT MTU 23$' "$LOGS/target.log" || fail "the link did not run at ATT MTU 23"
grep -q 'warning' "$LOGS/target.log" && fail "the device model saw writes it could not take"
grep -q 'the application is running' "$LOGS/update.log" || fail "bluedfu did not see the application run"
pass "application updated at MTU 23"
