#!/usr/bin/env python3
"""`bluedfu update --backend sim` end to end: real packages from ../shared/fixtures into simulated
devices whose profile matches them, the founding user's merged hex (exit 8), rejections (exit 6),
and a fault matrix that must always end with the app booted and never silently restart from 0."""
import json
import os
import subprocess
import sys
import tempfile

bluedfu = sys.argv[1]
only = sys.argv[2] if len(sys.argv) > 2 else None
fixtures = os.environ.get("BDFU_FIXTURES", "")
if not fixtures or not os.path.isdir(os.path.join(fixtures, "seed")):
    print(f"SKIP: no fixtures at '{fixtures}' (set BDFU_FIXTURES)")
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="bdfu-sim-")
failures = []
runs = 0


def fixture(path):
    return os.path.join(fixtures, path)


def profile(name, **keys):
    path = os.path.join(tmp, name + ".conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"[device {name}]\n")
        for k, v in keys.items():
            f.write(f"{k.replace('_', '-')}={v}\n")
    return path


def update(prof, package, target, *extra):
    global runs
    runs += 1
    args = [bluedfu, "update", "--backend", "sim", "--sim-profile", prof, "--json", *extra,
            package, target]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300)
    events = []
    for line in proc.stdout.splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            failures.append(f"not JSON: {line!r}")
    return proc, events


def check(name, proc, events, exit_code, outcome, needle=None):
    if only and only not in name:
        return
    result = [e for e in events if e.get("event") == "result"]
    msg = result[-1]["message"] if result else proc.stderr
    if proc.returncode != exit_code:
        failures.append(f"{name}: exit {proc.returncode}, want {exit_code}: {msg}")
        return
    if not result or result[-1]["outcome"] != outcome or result[-1]["exit_code"] != exit_code:
        failures.append(f"{name}: result {result[-1:]} want outcome {outcome}")
        return
    if needle and needle.lower() not in msg.lower():
        failures.append(f"{name}: message lacks '{needle}': {msg}")
        return
    # the update never silently restarts from zero: every lost link is followed by a resume
    lost = [e for e in events if e["event"] == "link-lost"]
    resumed = [e for e in events if e["event"] == "resumed"]
    if lost and not resumed and outcome == "app-booted":
        failures.append(f"{name}: link lost {len(lost)} times but no resumed event")
        return
    print(f"ok  {name}: {outcome} ({len(lost)} link losses, {len(resumed)} resumes)")


S140_APP = fixture("secure/ios_nrf52840_sdk17.1_app/nrf52840_sdk_17.1_app.zip")
IOS_KEY = fixture("keys/public/ios-dfu-library-testapp_2cc8db49.pub.pem")
SEED_KEY = fixture("seed/seed-key.pub.pem")

# the demo: the default simulated device takes a real SDK 17.1 application
proc, ev = update(profile("demo"), S140_APP, "demo")
check("default device, SDK 17.1 app", proc, ev, 0, "app-booted")

# the founding user's case: SDK 14, S132 5.0.0, merged MBR+SD+app hex as application
seed = dict(soc="nrf52832", sd_fwid="0x9D", sdk=14, mtu=23, public_key=SEED_KEY)
proc, ev = update(profile("seed", **seed), fixture("seed/seed-merged-hex.zip"), "seed")
check("seed merged hex", proc, ev, 8, "app-did-not-boot", "SoftDevice")
if not any(e["event"] == "progress" and e["percent"] >= 100 for e in ev):
    failures.append("seed merged hex: never reached 100 %")
proc, ev = update(profile("seed", **seed), fixture("seed/seed-app-only.zip"), "seed")
check("seed app only", proc, ev, 0, "app-booted")

# rejections by the device: exit 6 with the target's reason
s140 = dict(soc="nrf52840", sd_fwid="0x100", sdk=17, public_key=IOS_KEY)
rejections = [
    ("wrong key", dict(s140, public_key=SEED_KEY), "signature"),
    ("hw version", dict(s140, hw_version=51), "hw"),
    ("sd_req", dict(s140, sd_fwid="0xCA"), "sd_req"),
    ("lower version", dict(s140, app_version=1000), "version"),
]
for name, keys, needle in rejections:
    proc, ev = update(profile("rej", **keys), S140_APP, "rej")
    check(f"rejected: {name}", proc, ev, 6, "failed", needle)

# three-part package: SoftDevice+bootloader, then the application
proc, ev = update(profile("three", soc="nrf52840", sd_fwid="0x100", sdk=17, public_key=IOS_KEY),
                  fixture("secure/ios_nrf52840_sdk17.1_sd_bl_app_3/nrf52840_sdk_17.1_sd_bl_app_3.zip"),
                  "three")
check("three-part SD+BL+APP", proc, ev, 0, "app-booted")

# fault matrix, SDK 15 (keeps progress) and SDK 17 (forgets data progress on disconnect)
faults = ["disconnect-at-init", "disconnect-at-byte:1", "disconnect-at-byte:6000",
          "disconnect-at-byte:8192", "disconnect-before-final-execute", "drop-packet:30",
          "lose-notification:5", "corrupt-byte:5000"]
for sdk in (15, 17):
    for fault in faults:
        proc, ev = update(profile("flt", soc="nrf52840", sd_fwid="0x100", sdk=sdk,
                                  public_key=IOS_KEY, faults=fault), S140_APP, "flt")
        check(f"SDK {sdk} {fault}", proc, ev, 0, "app-booted")

for f in failures:
    print("FAIL", f)
print(f"{runs} updates, {len(failures)} failures")
sys.exit(1 if failures else 0)
