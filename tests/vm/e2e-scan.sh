#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest: bluedfu scan finds the device in application mode and in DFU mode
source "$(dirname "$0")/guest-lib.sh"

target_start --instant-flash --static-address
bdfu scan-app scan --timeout 5
[ $RC = 0 ] || fail "scan exited $RC"
grep -q 'C0:DE:5E:ED:00:01' "$LOGS/scan-app.log" || fail "the application at C0:DE:5E:ED:00:01 was not listed"
grep -q 'bluedfu-demo' "$LOGS/scan-app.log" || fail "the application's name was not listed"
pass "application mode found"
target_stop

target_start --instant-flash --static-address --mode bootloader
bdfu scan-dfu scan --timeout 5
[ $RC = 0 ] || fail "scan exited $RC"
grep -q 'C0:DE:5E:ED:00:02' "$LOGS/scan-dfu.log" || fail "the bootloader at address+1 C0:DE:5E:ED:00:02 was not listed"
grep -q 'DfuTarg' "$LOGS/scan-dfu.log" || fail "the bootloader's name DfuTarg was not listed"
pass "DFU mode found at address+1"
