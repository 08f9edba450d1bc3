#!/usr/bin/env python3
"""bluedfud on a private bus with simulated devices, driven by the real `bluedfu` CLI:
several clients on one job, a client killed mid-job, cancel, polkit refusing a caller, a fleet
of 50 with three made to fail, bad packages and results kept across a restart.
Usage: test-daemon.py BLUEDFU BLUEDFUD SCENARIO"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from busenv import Bus  # noqa: E402

bluedfu, bluedfud, scenario = sys.argv[1], sys.argv[2], sys.argv[3]
tmp = tempfile.mkdtemp(prefix="bdfu-daemon-")
bus = Bus()
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def make_package(kib=40):
    """an application linked for S140 7.2.0 (app start 0x27000), packaged by bluedfu itself"""
    import struct
    bin_path = os.path.join(tmp, f"app{kib}.bin")
    with open(bin_path, "wb") as f:
        f.write(struct.pack("<2I", 0x20010000, 0x27101) + bytes(range(256)) * (4 * kib))
    out = os.path.join(tmp, f"app{kib}.zip")
    subprocess.run([bluedfu, "pkg", "generate", "-q", "--application", bin_path,
                    "--application-version", "2", "--hw-version", "52", "--sd-req", "0x100",
                    out], check=True)
    return out


def write_profile(text):
    path = os.path.join(tmp, "devices.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


SLOW = """[device Slow]
name=Slow
soc=nRF52840
sd-fwid=0x100
connection-interval-ms=50
packets-per-event=2
"""


def start_daemon(profile, *extra, polkit=False):
    """profile None: the simulated backend's default device, bluedfu-demo"""
    state = os.path.join(tmp, "state")
    args = [bluedfud, "--session", "--backend", "sim", "--state-directory", state,
            "--config", os.path.join(tmp, "none.conf"), *extra]
    if profile is not None:
        args += ["--sim-profile", profile]
    if not polkit:
        args.append("--no-polkit")
    log = open(os.path.join(tmp, "bluedfud.log"), "a", encoding="utf-8")
    proc = bus.spawn(args, stdout=log, stderr=subprocess.STDOUT)
    if not bus.wait_for_name("io.github.bluedfu"):
        raise RuntimeError("bluedfud did not take its name; log: " + tmp)
    return proc


def cli(*args, timeout=300):
    return subprocess.run([bluedfu, *args], env=bus.env, capture_output=True, text=True,
                          timeout=timeout)


def cli_bg(*args):
    return bus.spawn([bluedfu, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     text=True)


def json_lines(text):
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            fail(f"not JSON: {line!r}")
    return out


def wait_progress(proc):
    """reads JSON lines of a running client until its first progress event"""
    seen = []
    while True:
        line = proc.stdout.readline()
        if not line:
            return seen
        seen.append(json.loads(line))
        if seen[-1]["event"] == "progress":
            return seen


def results(events):
    return [e for e in events if e["event"] == "result"]


def scenario_two_watchers():
    start_daemon(write_profile(SLOW), "--sim-realtime")
    package = make_package()
    first = cli_bg("update", "--json", package, "Slow")
    wait_progress(first)
    second = cli("watch", "--json", "1")
    out, err = first.communicate(timeout=120)
    r1 = results(json_lines(out))
    ev2 = json_lines(second.stdout)
    r2 = results(ev2)
    if first.returncode != 0 or not r1 or r1[-1]["outcome"] != "app-booted":
        fail(f"first client: exit {first.returncode} {r1} {err}")
    if second.returncode != 0 or not r2 or r2[-1]["outcome"] != "app-booted":
        fail(f"watcher: exit {second.returncode} {r2} {second.stderr}")
    if not any(e["event"] == "progress" for e in ev2):
        fail("the watcher saw no progress of the running job")


def scenario_client_killed():
    start_daemon(write_profile(SLOW), "--sim-realtime")
    package = make_package()
    client = cli_bg("update", "--json", package, "Slow")
    wait_progress(client)
    client.send_signal(signal.SIGKILL)
    client.wait()
    watch = cli("watch", "--json", "1")
    r = results(json_lines(watch.stdout))
    if watch.returncode != 0 or not r or r[-1]["outcome"] != "app-booted":
        fail(f"the job did not survive its client: exit {watch.returncode} {r} {watch.stderr}")
    jobs = json_lines(cli("jobs", "--json").stdout)
    recorded = [e for e in jobs if e["event"] == "recorded-result"]
    if not recorded or recorded[-1]["result"] != "app-booted":
        fail(f"no recorded result: {jobs}")


def scenario_cancel():
    start_daemon(write_profile(SLOW), "--sim-realtime")
    package = make_package()
    client = cli_bg("update", "--json", package, "Slow")
    wait_progress(client)
    cancel = cli("cancel", "1")
    out, _ = client.communicate(timeout=60)
    r = results(json_lines(out))
    if cancel.returncode != 0:
        fail(f"cancel: exit {cancel.returncode}: {cancel.stderr}")
    if client.returncode != 9 or not r or r[-1]["outcome"] != "cancelled":
        fail(f"cancelled job: exit {client.returncode}, {r}")
    again = cli("cancel", "42")
    if again.returncode == 0 or "no job" not in again.stderr:
        fail(f"cancel of an unknown job: {again.returncode} {again.stderr}")


def scenario_not_authorized():
    # Debian's python3 has python3-dbusmock, whatever python3 runs this script
    mock = bus.spawn(["/usr/bin/python3", "-m", "dbusmock", "--template", "polkitd"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not bus.wait_for_name("org.freedesktop.PolicyKit1"):
        fail("python3-dbusmock's polkitd did not start")
        return
    start_daemon(None, polkit=True)
    package = make_package(8)
    refused = cli("update", package, "bluedfu-demo")
    if refused.returncode != 1 or "not authorized" not in refused.stderr:
        fail(f"unauthorised caller: exit {refused.returncode}: {refused.stderr}")
    subprocess.run(["dbus-send", "--bus=" + bus.address, "--print-reply",
                    "--dest=org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
                    "org.freedesktop.DBus.Mock.SetAllowed", "array:string:io.github.bluedfu.update"],
                   check=True, capture_output=True)
    allowed = cli("update", package, "bluedfu-demo")
    if allowed.returncode != 0:
        fail(f"authorised caller: exit {allowed.returncode}: {allowed.stderr}")
    del mock


def scenario_fleet():
    profile = write_profile("""[device Sensor]
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
    start_daemon(profile, "--max-parallel", "8")
    package = make_package(16)
    run = cli("update", "--json", "--retries", "1", package, "Sensor-*", timeout=900)
    r = results(json_lines(run.stdout))
    booted = [x for x in r if x["outcome"] == "app-booted"]
    failed = {x["target"]: x for x in r if x["outcome"] == "failed"}
    if len(r) != 50:
        fail(f"{len(r)} results for 50 devices: {run.stderr[-2000:]}")
    if len(booted) != 47:
        fail(f"{len(booted)} of 47 good devices booted")
    if len(failed) != 3 or run.returncode == 0:
        fail(f"want 3 failed and a non-zero exit, got {len(failed)} and {run.returncode}")
    for x in failed.values():
        if not x.get("message"):
            fail(f"a failed device without a reason: {x}")
    print(f"fleet: {len(booted)} booted, {len(failed)} failed: "
          + "; ".join(f"{k}: {v['message'].splitlines()[0]}" for k, v in failed.items()))
    human = cli("jobs", "--results", "50")
    rows = [line for line in human.stdout.splitlines() if " failed " in line]
    if len(rows) < 3:
        fail(f"bluedfu jobs does not show the 3 failed devices: {human.stdout}")


def scenario_bad_input():
    start_daemon(None)
    junk = os.path.join(tmp, "junk.zip")
    with open(junk, "wb") as f:
        f.write(b"PK\x03\x04 this is not a zip")
    run = cli("update", junk, "bluedfu-demo")
    if run.returncode != 3:
        fail(f"a corrupt package: exit {run.returncode}, want 3: {run.stderr}")
    missing = cli("update", make_package(8), "Nobody", "--timeout", "2")
    if missing.returncode != 4:
        fail(f"a device that is not there: exit {missing.returncode}, want 4: {missing.stderr}")
    bad_conf = os.path.join(tmp, "bad.conf")
    with open(bad_conf, "w", encoding="utf-8") as f:
        f.write("[daemon]\nmax-paralel=3\n")
    proc = subprocess.run([bluedfud, "--session", "--config", bad_conf], env=bus.env,
                          capture_output=True, text=True, timeout=30)
    if proc.returncode != 2 or "max-paralel" not in proc.stderr:
        fail(f"an unknown config key: exit {proc.returncode}: {proc.stderr}")


def scenario_results_survive_restart():
    daemon = start_daemon(None)
    run = cli("update", make_package(8), "bluedfu-demo")
    if run.returncode != 0:
        fail(f"update: exit {run.returncode}: {run.stderr}")
    daemon.terminate()
    daemon.wait(timeout=10)
    start_daemon(None)
    jobs = json_lines(cli("jobs", "--json").stdout)
    recorded = [e for e in jobs if e["event"] == "recorded-result"]
    if not recorded or recorded[-1]["result"] != "app-booted":
        fail(f"the result did not survive a restart: {jobs}")
    again = json_lines(cli("update", "--json", make_package(8), "bluedfu-demo").stdout)
    queued = [e for e in again if e["event"] == "queued"]
    if not queued or queued[0]["job"].endswith("/1"):
        fail(f"job ids repeat across restarts: {queued}")


try:
    globals()["scenario_" + scenario.replace("-", "_")]()
finally:
    bus.close()
if failures:
    print(f"see {tmp}/bluedfud.log")
    sys.exit(1)
print(f"ok {scenario}")
