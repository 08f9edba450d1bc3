#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest: the device takes Packet writes through its own AcquireWrite socket (bluedfu-target
# --acquire-write) instead of one WriteValue call per packet
source "$(dirname "$0")/guest-lib.sh"
need_fixture "$APP17"
target_start --instant-flash --acquire-write -v --profile "$(profile_sdk17)" --mode bootloader
bdfu update update -v "$FIX/$APP17" $ADDR
[ $RC = 0 ] || fail "update exited $RC"
grep -q 'the application is running' "$LOGS/update.log" || fail "bluedfu did not see the application run"
pass "application updated, Packet writes through the device's AcquireWrite"
