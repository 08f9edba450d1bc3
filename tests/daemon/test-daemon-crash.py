#!/usr/bin/env python3
"""`kill -9` of bluedfud mid-transfer, then a restart: the journaled job is taken up again and
resumed from what the device verified, and the device boots. The device lives in mock-bluez (a
bluetoothd on a private bus with the bootloader model behind its characteristics), so its flash
outlives the daemon process, as a real device's does.
Usage: test-daemon-crash.py BLUEDFU BLUEDFUD MOCK_BLUEZ"""
import json
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from busenv import Bus  # noqa: E402

bluedfu, bluedfud, mock_bluez = sys.argv[1:4]
fixtures = os.environ.get("BDFU_FIXTURES", "")
package = os.path.join(fixtures, "secure/ios_nrf52840_sdk17.1_app/nrf52840_sdk_17.1_app.zip")
key = os.path.join(fixtures, "keys/public/ios-dfu-library-testapp_2cc8db49.pub.pem")
if not os.path.isfile(package):
    print(f"SKIP: no fixtures at '{fixtures}'")
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="bdfu-crash-")
failures = []
bus = Bus()


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def start_daemon():
    log = open(os.path.join(tmp, "bluedfud.log"), "a", encoding="utf-8")
    proc = bus.spawn([bluedfud, "--session", "--backend", "bluez", "--no-polkit",
                      "--state-directory", os.path.join(tmp, "state"),
                      "--config", os.path.join(tmp, "none.conf")],
                     stdout=log, stderr=subprocess.STDOUT)
    if not bus.wait_for_name("io.github.bluedfu"):
        raise RuntimeError("bluedfud did not take its name")
    return proc


try:
    conf = os.path.join(tmp, "mock.conf")
    with open(conf, "w", encoding="utf-8") as f:
        # the daemon is killed on its first progress past 35 %;
        # progress saved in flash (NRF_DFU_SAVE_PROGRESS_IN_FLASH) like a real SDK 17 build
        f.write(f"""[device dev]
address=C0:DE:5E:ED:00:01
name=Thingy
soc=nrf52840
sd-fwid=0x100
sdk=17
public-key={key}
save-progress=true
""")
    mock = bus.spawn([mock_bluez, "--config", conf, "--log", os.path.join(tmp, "calls.log")],
                     env=dict(bus.env, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") +
                              ":detect_leaks=0"),
                     stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "mock.err"), "w"),
                     text=True)
    if mock.stdout.readline().strip() != "READY":
        raise RuntimeError("mock-bluez did not start")

    daemon = start_daemon()
    client = bus.spawn([bluedfu, "update", "--json", package, "C0:DE:5E:ED:00:01"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed_at = None
    for line in client.stdout:
        event = json.loads(line)
        if event["event"] == "progress" and event.get("percent", 0) >= 35:
            killed_at = event["bytes"]
            daemon.send_signal(signal.SIGKILL)
            daemon.wait()
            break
    client.wait(timeout=60)
    if killed_at is None:
        fail("the update ended before the daemon could be killed")
    else:
        print(f"killed bluedfud at {killed_at} bytes")
        journal = os.listdir(os.path.join(tmp, "state", "jobs"))
        if not journal:
            fail("no job journal left behind by the killed daemon")
        start_daemon()
        watch = subprocess.run([bluedfu, "watch", "--json", "1"], env=bus.env,
                               capture_output=True, text=True, timeout=400)
        events = [json.loads(x) for x in watch.stdout.splitlines() if x.startswith("{")]
        result = [e for e in events if e["event"] == "result"]
        if watch.returncode != 0 or not result or result[-1]["outcome"] != "app-booted":
            fail(f"after the restart: exit {watch.returncode}, {result}, {watch.stderr}")
        resumed = [e for e in events if e["event"] == "resumed"]
        if not resumed or resumed[0].get("offset", 0) == 0:
            fail(f"the transfer was not resumed from the device's offset: {resumed[:1]}")
        else:
            print(f"resumed at {resumed[0]['offset']}: {resumed[0].get('message', '')}")
        jobs = subprocess.run([bluedfu, "jobs", "--json"], env=bus.env, capture_output=True,
                              text=True, timeout=30)
        recorded = [json.loads(x) for x in jobs.stdout.splitlines()]
        recorded = [r for r in recorded if r["event"] == "recorded-result"]
        if not recorded or recorded[-1]["result"] != "app-booted":
            fail(f"the job has no recorded result: {recorded}")
finally:
    bus.close()
if failures:
    print(f"logs in {tmp}")
    sys.exit(1)
print("ok: the killed daemon's job was resumed and the device booted")
