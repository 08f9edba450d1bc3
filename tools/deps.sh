#!/usr/bin/env bash
# Installs what bluedfu needs from Debian 12 packages, only when something is missing.
set -euo pipefail

packages=(
    meson ninja-build pkg-config gcc clang libclang-rt-dev
    libglib2.0-dev libglib2.0-bin libzip-dev libcjson-dev nanopb libnanopb-dev
    libssl-dev zlib1g-dev libbluetooth-dev
    dbus dbus-daemon python3 python3-dbus python3-gi python3-dbusmock
    zip unzip systemd policykit-1
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: run as root (apt-get install ${missing[*]})" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
