#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest: the SDK 17.1 application in 20-byte writes (ATT MTU 23). bluetoothd 5.66 refuses to
# register adapters with [GATT] ExchangeMTU = 23 (setsockopt(L2CAP_OPTIONS): Invalid argument),
# so the link stays at 247 and bluedfu is capped with --mtu 23.
source "$(dirname "$0")/guest-lib.sh"
need_fixture "$APP17"
target_start --instant-flash --profile "$(profile_sdk17)" --mode bootloader
bdfu update update --mtu 23 "$FIX/$APP17" $ADDR
[ $RC = 0 ] || fail "update exited $RC"
grep -q 'Packet writes of up to 20 bytes' "$LOGS/target.log" || fail "the Packet writes were longer than 20 bytes"
grep -q 'the application is running' "$LOGS/update.log" || fail "bluedfu did not see the application run"
pass "application updated at MTU 23"
