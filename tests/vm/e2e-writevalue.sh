#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest: a BlueZ whose characteristics have no AcquireWrite (before 5.46): bluedfu falls back
# to WriteValue(type=command) for the Packet data. The preloaded shim renames bluedfu's
# AcquireWrite call, so bluetoothd answers UnknownMethod as an old BlueZ would.
source "$(dirname "$0")/guest-lib.sh"
need_fixture "$APP17"
SHIM=$BDFU_BUILD_ROOT/tests/vm/libbdfu-no-acquire-write.so
[ -f "$SHIM" ] || fail "$SHIM was not built"
target_start --instant-flash --profile "$(profile_sdk17)" --mode bootloader
# an ASan build of bluedfu wants its runtime first in the library list: put it before the shim
PRELOAD=$SHIM
ASAN_RT=$(ldd "$BDFU_BUILD_ROOT/src/cli/bluedfu" | awk '/libasan/ {print $3}')
[ -n "$ASAN_RT" ] && PRELOAD="$ASAN_RT $SHIM"
LD_PRELOAD=$PRELOAD G_MESSAGES_DEBUG=bdfu-bluez bdfu update update "$FIX/$APP17" $ADDR
[ $RC = 0 ] || fail "update exited $RC"
grep -q 'AcquireWrite unavailable' "$LOGS/update.log" || fail "bluedfu did not fall back to WriteValue"
grep -q 'the application is running' "$LOGS/update.log" || fail "bluedfu did not see the application run"
pass "application updated through WriteValue(type=command)"
