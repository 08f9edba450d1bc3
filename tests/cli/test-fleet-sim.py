#!/usr/bin/env python3
"""A fleet in-process: 50 simulated devices matched by a glob, `--parallel 8`, three of them made
to fail by their profile (wrong hardware, wrong SoftDevice, a bootloader that never answers).
Every good device must reach "app booted", every bad one must be reported with its reason, the
summary table must list all 50, and the exit code must say that some failed."""
import json
import os
import struct
import subprocess
import sys
import tempfile

bluedfu = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="bdfu-fleet-")
failures = []

app = os.path.join(tmp, "app.bin")
with open(app, "wb") as f:
    f.write(struct.pack("<2I", 0x20010000, 0x27101) + bytes(range(256)) * 64)
package = os.path.join(tmp, "app.zip")
subprocess.run([bluedfu, "pkg", "generate", "-q", "--application", app, "--application-version",
                "3", "--hw-version", "52", "--sd-req", "0x100", package], check=True)
profile = os.path.join(tmp, "fleet.conf")
with open(profile, "w", encoding="utf-8") as f:
    f.write("""[device Sensor]
name=Sensor
count=47
soc=nRF52840
sd-fwid=0x100

[device Sensor-HW]
name=Sensor-HW
hw-version=99

[device Sensor-SD]
name=Sensor-SD
sd-fwid=0x9D

[device Sensor-Mute]
name=Sensor-Mute
never-answer=true
""")

base = [bluedfu, "update", "--backend", "sim", "--sim-profile", profile, "--parallel", "8",
        "--retries", "1"]
run = subprocess.run(base + ["--json", package, "Sensor-*"], capture_output=True, text=True,
                     timeout=900)
events = [json.loads(line) for line in run.stdout.splitlines()]
results = [e for e in events if e["event"] == "result"]
booted = [r for r in results if r["outcome"] == "app-booted"]
failed = [r for r in results if r["outcome"] != "app-booted"]
if len(results) != 50:
    failures.append(f"{len(results)} results for 50 devices")
if len(booted) != 47:
    failures.append(f"{len(booted)} of the 47 good devices booted")
if len(failed) != 3 or run.returncode == 0:
    failures.append(f"want 3 failures and a non-zero exit, got {len(failed)}, {run.returncode}")
want = {"HW_VERSION_FAILURE", "SD_VERSION_FAILURE", "did not answer"}
for needle in want:
    if not any(needle in r["message"] for r in failed):
        failures.append(f"no failed device says '{needle}': {[r['message'] for r in failed]}")
# at most 8 at once: count connections in flight from the event stream
active, peak = set(), 0
for e in events:
    if e["event"] == "found":
        active.add(e["target"])
    elif e["event"] == "result":
        active.discard(e["target"])
    peak = max(peak, len(active))
if peak > 8:
    failures.append(f"{peak} devices in flight with --parallel 8")

human = subprocess.run(base + [package, "Sensor-*"], capture_output=True, text=True, timeout=900)
if "47 of 50 devices updated" not in human.stdout:
    failures.append(f"no summary line: {human.stdout[-600:]}")
table = human.stdout.split("\nTARGET ")[-1].splitlines()[1:]
rows = [line for line in table if line.startswith("C0:DE:")]
if len(rows) != 50:
    failures.append(f"the summary lists {len(rows)} devices")

for f in failures:
    print("FAIL", f)
print(f"fleet: {len(booted)} booted, {len(failed)} failed, at most {peak} at once")
sys.exit(1 if failures else 0)
