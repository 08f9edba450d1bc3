#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest: the stack itself is up: bluetoothd 5.66 with two powered LE controllers
set -u
out=$(bluetoothctl list) || exit 1
echo "$out"
[ "$(grep -c '^Controller ' <<<"$out")" = 2 ] || { echo "FAIL: expected two controllers"; exit 1; }
v=$(/usr/libexec/bluetooth/bluetoothd --version)
echo "bluetoothd $v"
