#!/usr/bin/env python3
"""`bluedfu --backend bluez` against mock-bluez (a fake bluetoothd 5.66 serving the target model)
on a private bus: real packages, BlueZ's real traps, and the call log checked for what the
client sent. Usage: test-bluez.py BLUEDFU MOCK_BLUEZ SCENARIO"""
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mockenv import (MockBluez, address_plus_one, check_call_log, device_path,  # noqa: E402
                     firmware_bytes, packet_writes)

bluedfu, mock_bluez, scenario = sys.argv[1], sys.argv[2], sys.argv[3]
fixtures = os.environ.get("BDFU_FIXTURES", "")
if not fixtures or not os.path.isdir(os.path.join(fixtures, "secure")):
    print(f"SKIP: no fixtures at '{fixtures}' (set BDFU_FIXTURES)")
    sys.exit(77)
if shutil.which("dbus-daemon") is None:
    print("SKIP: dbus-daemon is not installed")
    sys.exit(77)


def fixture(path):
    return os.path.join(fixtures, path)


ADDR = "C0:DE:5E:ED:00:01"
S140_APP = fixture("secure/ios_nrf52840_sdk17.1_app/nrf52840_sdk_17.1_app.zip")
THREE = fixture("secure/ios_nrf52840_sdk17.1_sd_bl_app_3/nrf52840_sdk_17.1_sd_bl_app_3.zip")
IOS_KEY = fixture("keys/public/ios-dfu-library-testapp_2cc8db49.pub.pem")
SEED_KEY = fixture("seed/seed-key.pub.pem")
S140 = dict(address=ADDR, name="Thingy", soc="nrf52840", sd_fwid="0x100", sdk=17,
            public_key=IOS_KEY)
SEED = dict(address=ADDR, name="Blinky", soc="nrf52832", sd_fwid="0x9D", sdk=14, mtu=23,
            public_key=SEED_KEY)

problems = []


def fail(msg):
    problems.append(msg)


def update(env, package, target=ADDR, *extra, timeout=400):
    return env.bluedfu(bluedfu, "update", "--backend", "bluez", "--json", *extra, package,
                       target, timeout=timeout)


def result_of(proc, events):
    result = [e for e in events if e.get("event") == "result"]
    if result:
        return result[-1]
    errors = [e for e in events if e.get("event") == "error"]
    return {"outcome": "none", "exit_code": proc.returncode,
            "message": errors[-1]["message"] if errors else proc.stderr.strip()}


def expect(proc, events, code, outcome=None, needle=None):
    res = result_of(proc, events)
    msg = res.get("message", "")
    if proc.returncode != code:
        fail(f"exit {proc.returncode}, want {code}: {msg}\nstderr: {proc.stderr[-2000:]}")
        return False
    if outcome and res.get("outcome") != outcome:
        fail(f"outcome {res.get('outcome')}, want {outcome}: {msg}")
        return False
    if needle and needle.lower() not in msg.lower():
        fail(f"message lacks '{needle}': {msg}")
        return False
    return True


def calls(lines, method, path_prefix=None):
    out = []
    for line in lines:
        parts = line.split(" ")
        if parts[0].endswith("." + method) and (path_prefix is None or
                                               parts[1].startswith(path_prefix)):
            out.append(line)
    return out


def errors(lines, text):
    return [line for line in lines if line.startswith("ERR ") and text in line]


def common_checks(lines, acquire=True):
    problems.extend(check_call_log(lines))
    writes = packet_writes(lines)
    data = [w for w in writes if w[2] in ("datagram", "command")]
    if not data:
        fail("no Packet data in the call log")
    elif acquire and not any(w[2] == "datagram" for w in writes):
        fail("AcquireWrite was never used for Packet data (WriteValue only)")
    # StartNotify on the Control Point before any request to it, per connection
    notified = set()
    for line in lines:
        parts = line.split(" ")
        if parts[0] == "GattCharacteristic1.StartNotify":
            notified.add(parts[1])
        elif line.startswith("# ") and "link down" in line:
            notified = set()
        m = re.match(r"^GattCharacteristic1\.WriteValue (\S+) .*type=s:request", line)
        if m and m.group(1).endswith("char000b") and "/service0008/" in m.group(1) \
                and m.group(1) not in notified:
            # a CP write before StartNotify gets ATT 0xFD from the bootloader
            if not errors(lines, "0xfd"):
                fail(f"Control Point written before StartNotify: {line}")


def packet_bytes_after(lines, marker):
    """Packet bytes the client sent after the first log line containing marker"""
    seen = False
    total = 0
    for line in lines:
        if not seen:
            seen = marker in line
            continue
        m = re.match(r"^(Datagram|GattCharacteristic1\.WriteValue) (\S+) len=(\d+)", line)
        if m and "/char0009" in m.group(2) and "dropped=" not in line:
            total += int(m.group(3))
    return total if seen else None


def run(devices, package, *extra, bluez=None, target=ADDR, code=0, outcome="app-booted",
        needle=None, acquire=True, checks=True):
    env = MockBluez(mock_bluez, devices, bluez=bluez, tag=scenario)
    try:
        proc, events = update(env, package, target, *extra)
        lines = env.log()
    finally:
        env.close()
    for p in env.mock_problems():
        fail(f"MOCK BUG: {p} (see {env.dir}/mock.stderr)")
    ok = expect(proc, events, code, outcome, needle)
    if checks:
        common_checks(lines, acquire=acquire)
    if not ok:
        print("\n".join(lines[-60:]))
        print(f"call log and mock output kept in {env.dir}")
    return proc, events, lines, env


def scenario_buttonless():
    """app mode → buttonless → address+1 → full update → app booted"""
    _, events, lines, _ = run({"dev": S140}, S140_APP)
    dfu = device_path(address_plus_one(ADDR))
    if not calls(lines, "WriteValue", device_path(ADDR) + "/service000d/char000e"):
        fail("the buttonless characteristic was never written")
    if not calls(lines, "StartNotify", device_path(ADDR) + "/service000d/char000e"):
        fail("indications were not enabled on the buttonless characteristic")
    if not calls(lines, "Connect", dfu):
        fail(f"never connected to the bootloader at address+1 ({dfu})")
    if not calls(lines, "AcquireWrite", dfu):
        fail("AcquireWrite never called on the bootloader's Packet characteristic")
    if not any(e.get("event") == "app-booted" for e in events):
        fail("no app-booted event")


def scenario_bootloader():
    """a device already in DFU mode at its own address+1"""
    run({"dev": dict(S140, mode="bootloader")}, S140_APP, target=address_plus_one(ADDR))


def scenario_bonded():
    """bonded buttonless: the bootloader keeps the address, the same Device1 object"""
    _, _, lines, _ = run({"dev": dict(S140, bonded=True)}, S140_APP)
    plus = device_path(address_plus_one(ADDR))
    if calls(lines, "Connect", plus):
        fail("connected to address+1 although the device is bonded")
    if calls(lines, "RemoveDevice"):
        bad = [c for c in calls(lines, "RemoveDevice") if device_path(ADDR) in c]
        if bad:
            fail(f"RemoveDevice on the bonded device destroys the bond: {bad[0]}")


def scenario_bonded_unpaired():
    """a bonded-buttonless device BlueZ holds no bond with: Pair() before the jump (§4.2)"""
    _, _, lines, _ = run({"dev": dict(S140, bonded=True, paired=False)}, S140_APP)
    if not calls(lines, "Pair", device_path(ADDR)):
        fail("Device1.Pair was never called for the bonded-buttonless device")


def scenario_bonded_stale_gatt():
    """bonded, and BlueZ keeps the app's cached GATT tree until Service Changed arrives"""
    run({"dev": dict(S140, bonded=True, stale_gatt=True, stale_gatt_ms=1500)}, S140_APP)


def scenario_three_part():
    """SoftDevice+bootloader, then the application, each in its own connection"""
    _, events, _, _ = run({"dev": S140}, THREE, "--retries", "3")
    parts = {e.get("part") for e in events if e.get("event") == "part-done"}
    if len(parts) < 2:
        fail(f"expected two part-done events, got {parts}")


def scenario_disconnect_37():
    """the link drops at 37 % of the Packet bytes; the update resumes, it does not restart
    (SDK 15 keeps the data progress over a disconnect; SDK 17 without
    NRF_DFU_SAVE_PROGRESS_IN_FLASH forgets it, and then a restart of the image is right)"""
    total = firmware_bytes(S140_APP)
    at = total * 37 // 100
    _, events, lines, _ = run({"dev": dict(S140, sdk=15, disconnect_at_byte=at)}, S140_APP)
    if not any(e.get("event") == "link-lost" for e in events):
        fail("no link-lost event")
    if not any(e.get("event") == "resumed" for e in events):
        fail("no resumed event after the link loss")
    after = packet_bytes_after(lines, "fault: link lost")
    if after is None:
        fail("the disconnect fault never fired")
    elif after > (total - at) + 4096 + 244:
        fail(f"{after} Packet bytes sent after the loss at {at}/{total}: restarted, not resumed")


def scenario_restart():
    """bluetoothd restarts mid-transfer: org.bluez vanishes, comes back with fresh objects"""
    total = firmware_bytes(S140_APP)
    _, events, lines, _ = run({"dev": dict(S140, sdk=15,
                                           bluetoothd_restart_at_byte=total * 40 // 100)},
                              S140_APP, bluez={"restart-ms": 1500})
    if not any("bluetoothd restarting" in line for line in lines):
        fail("the restart fault never fired")
    after = packet_bytes_after(lines, "bluetoothd is back")
    if after is not None and after > total * 60 // 100 + 4096 + 244:
        fail(f"{after} Packet bytes after bluetoothd came back: restarted, not resumed")


def scenario_connect_abort():
    """two le-connection-abort-by-local failures (Connected true→false), then success"""
    _, _, lines, _ = run({"dev": dict(S140, connect_abort=2)}, S140_APP)
    if len(errors(lines, "le-connection-abort-by-local")) < 2:
        fail("the le-connection-abort-by-local fault did not fire twice")


def scenario_connect_abort_always():
    """a device that never accepts the connection: exit 5 naming the connect failure"""
    run({"dev": dict(S140, connect_abort=1000)}, S140_APP, code=5, outcome=None,
        needle="connect", checks=False)


def scenario_in_progress():
    """Failed: Operation already in progress (a stale LE connect attempt inside BlueZ)"""
    _, _, lines, _ = run({"dev": dict(S140, connect_in_progress=1, connect_timeout_ms=8000)},
                         S140_APP)
    if not errors(lines, "Operation already in progress"):
        fail("the in-progress fault never fired")


def scenario_resolved_late():
    """ServicesResolved 1.5 s after Connect returned"""
    run({"dev": dict(S140, services_resolved_delay_ms=1500)}, S140_APP)


def scenario_notify_first():
    """the Control Point notification arrives before the WriteValue reply"""
    run({"dev": dict(S140, notify_before_reply=True)}, S140_APP)


def scenario_rearm_late():
    """StartNotify answers InProgress while BlueZ re-arms the old session after a reconnect
    (a client using a fresh bus connection per BLE connection never sees it)"""
    total = firmware_bytes(S140_APP)
    run({"dev": dict(S140, notify_rearm_ms=300, disconnect_at_byte=total // 2)}, S140_APP)


def scenario_commands_overtake():
    """Write Commands queued after a request go out before it (BlueZ's ATT scheduler): a
    client that waits for each Control Point answer before sending data is not affected"""
    _, _, lines, _ = run({"dev": dict(S140, commands_overtake=True)}, S140_APP)
    if any("overtakes a queued request" in line for line in lines):
        fail("Packet data was sent while a Control Point request was still unanswered")


def scenario_write_fallback():
    """no AcquireWrite (UnknownMethod): Packet data through WriteValue type=command"""
    _, _, lines, _ = run({"dev": dict(S140, acquire_write="missing")}, S140_APP, acquire=False)
    if not [w for w in packet_writes(lines) if w[2] == "command"]:
        fail("no WriteValue(type=command) fallback on the Packet characteristic")


def scenario_mtu_23():
    """SDK 14 bootloader with MTU 23: 20-byte packets, the seed's app-only package boots"""
    run({"dev": SEED}, fixture("seed/seed-app-only.zip"))


def scenario_seed():
    """the founding report: merged MBR+SD+app hex as application → 100 %, then exit 8"""
    _, events, _, _ = run({"dev": SEED}, fixture("seed/seed-merged-hex.zip"), code=8,
                          outcome="app-did-not-boot")
    if not any(e.get("event") == "progress" and e.get("percent", 0) >= 100 for e in events):
        fail("the seed package never reached 100 %")


def scenario_not_found():
    """no device at the target address: exit 4"""
    run({"dev": S140}, S140_APP, "--timeout", "3", target="C0:DE:00:00:00:99", code=4,
        outcome=None, checks=False)


def scenario_restart_idle():
    """bluetoothd restarts while nobody is connected: org.bluez comes back with the stored
    devices and the adapter, and a scan afterwards finds the device again"""
    import time
    env = MockBluez(mock_bluez, {"dev": S140}, bluez={"restart-ms": 500}, tag=scenario)
    try:
        first, _ = env.bluedfu(bluedfu, "scan", "--backend", "bluez", "--json", "--timeout", "2",
                               timeout=60)
        env.restart_bluetoothd()
        time.sleep(1.5)
        proc, _ = env.bluedfu(bluedfu, "scan", "--backend", "bluez", "--json", "--timeout", "2",
                              timeout=60)
        lines = env.log()
    finally:
        env.close()
    for p in env.mock_problems():
        fail(f"MOCK BUG: {p} (see {env.dir}/mock.stderr)")
    if not any("bluetoothd is back" in line for line in lines):
        fail("mock-bluez did not come back after the restart")
    if first.returncode != 0 or ADDR not in first.stdout:
        fail(f"scan before the restart: exit {first.returncode}: {first.stdout!r}")
    if proc.returncode != 0 or ADDR not in proc.stdout:
        fail(f"scan after the restart: exit {proc.returncode}: {proc.stdout!r} {proc.stderr}")


def scenario_scan():
    """scan lists the advertising devices; RSSI 127 (not available, as btvirt says) is unknown"""
    other = dict(S140, address="C0:DE:5E:ED:10:01", name="NoRssi", rssi=127)
    env = MockBluez(mock_bluez, {"dev": S140, "other": other}, tag=scenario)
    try:
        proc, events = env.bluedfu(bluedfu, "scan", "--backend", "bluez", "--json",
                                   "--timeout", "3", timeout=60)
        lines = env.log()
    finally:
        env.close()
    for p in env.mock_problems():
        fail(f"MOCK BUG: {p} (see {env.dir}/mock.stderr)")
    if proc.returncode != 0:
        fail(f"scan exit {proc.returncode}: {proc.stderr}")
    if ADDR not in proc.stdout:
        fail(f"scan output lacks {ADDR}: {proc.stdout!r}")
    found = {e.get("address"): e for e in events if e.get("event") == "found"}
    if "C0:DE:5E:ED:10:01" not in found or found["C0:DE:5E:ED:10:01"].get("rssi") is not None:
        fail(f"RSSI 127 is not reported as unknown: {found.get('C0:DE:5E:ED:10:01')}")
    if calls(lines, "StartDiscovery") and not calls(lines, "StopDiscovery"):
        fail("StartDiscovery without StopDiscovery")
    if errors(lines, "InvalidArguments"):
        fail(f"a discovery filter was rejected: {errors(lines, 'InvalidArguments')}")


SCENARIOS = {name[len("scenario_"):].replace("_", "-"): fn
             for name, fn in globals().items() if name.startswith("scenario_")}

if scenario not in SCENARIOS:
    print(f"unknown scenario {scenario}; known: {' '.join(SCENARIOS)}")
    sys.exit(2)
SCENARIOS[scenario]()
for p in problems:
    print("FAIL", scenario + ":", p)
if not problems:
    print(f"ok  {scenario}: {SCENARIOS[scenario].__doc__.strip()}")
sys.exit(1 if problems else 0)
