#!/usr/bin/env python3
"""The BlueZ backend's packet path against mock-bluez: bytes per second of the whole update and
D-Bus method calls per KiB of firmware, for AcquireWrite and for the WriteValue(command)
fallback. The mock's radio pacing is set fast (1 ms events, 32 packets each) and its flash instant,
so that the figure is the host's cost: D-Bus, the backend, the engine, the mock and the
bootloader model.
Usage: bench-bluez-mock.py BUILD_DIR [FIXTURES]"""
import json
import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "bluez"))
from mockenv import MockBluez, firmware_bytes  # noqa: E402

build = sys.argv[1]
fixtures = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "..", "shared",
                                                               "fixtures")
package = os.path.join(fixtures, "secure/ios_nrf52840_sdk17.1_app/nrf52840_sdk_17.1_app.zip")
key = os.path.join(fixtures, "keys/public/ios-dfu-library-testapp_2cc8db49.pub.pem")
mock = os.path.join(build, "tests", "mock-bluez", "mock-bluez")
bluedfu = os.path.join(build, "src", "cli", "bluedfu")
total = firmware_bytes(package)

print(f"package: {os.path.basename(package)}, {total} bytes on the Packet characteristic")
print(f"{'path':<22} {'MTU':>4} {'PRN':>4} {'seconds':>8} {'B/s':>8} {'calls/KiB':>10}")
for label, extra in (("AcquireWrite", {}), ("WriteValue fallback", {"acquire_write": "missing"})):
    for mtu, prn in ((247, 0), (247, 12), (23, 12)):
        dev = dict(address="C0:DE:5E:ED:00:01", name="Thingy", soc="nrf52840", sd_fwid="0x100",
                   sdk=17, public_key=key, mode="bootloader", mtu=mtu,
                   connection_interval_ms=1, packets_per_event=32, page_erase_us=0,
                   flash_word_write_us=0, **extra)
        env = MockBluez(mock, {"dev": dev}, tag="bench")
        try:
            t0 = time.monotonic()
            proc, events = env.bluedfu(bluedfu, "update", "--backend", "bluez", "--json",
                                       "--prn", str(prn), "--no-verify-boot", package,
                                       "C0:DE:5E:ED:00:02")
            wall = time.monotonic() - t0
            lines = env.log()
        finally:
            env.close()
        ok = proc.returncode == 0
        calls = sum(1 for x in lines if x and x[0].isupper() and "." in x.split(" ")[0])
        print(f"{label:<22} {mtu:>4} {prn:>4} {wall:>8.2f} {total / wall:>8.0f} "
              f"{calls / (total / 1024):>10.2f}{'' if ok else '  FAILED ' + proc.stderr[-200:]}")
