#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest: a real signed application package (nRF52840, SDK 17.1) to a device already in DFU
# mode, at ATT MTU 247, the Packet data through AcquireWrite
source "$(dirname "$0")/guest-lib.sh"
need_fixture "$APP17"
target_start --instant-flash --profile "$(profile_sdk17)" --mode bootloader
G_MESSAGES_DEBUG=bdfu-bluez bdfu update update "$FIX/$APP17" $ADDR
[ $RC = 0 ] || fail "update exited $RC"
grep -q 'the application is running' "$LOGS/update.log" || fail "bluedfu did not see the application run"
grep -q 'ATT MTU 247' "$LOGS/target.log" || fail "the link did not run at ATT MTU 247"
grep -q 'AcquireWrite unavailable' "$LOGS/update.log" && fail "the Packet data went through WriteValue, not AcquireWrite"
grep -q 'mode: application' "$LOGS/target.log" || fail "the device did not boot the new application"
pass "application updated at MTU 247 through AcquireWrite, the device booted it"
