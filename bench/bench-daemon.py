#!/usr/bin/env python3
"""bluedfud under load: peak memory with N jobs queued and running, CPU time per job, and CPU
while idle. A private bus, the simulated backend on its virtual clock (so the figures are the
daemon's own work, not radio time). Usage: bench-daemon.py BLUEDFU BLUEDFUD [N=50] [PARALLEL=8]"""
import os
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "common"))
from busenv import Bus  # noqa: E402

bluedfu, bluedfud = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 50
parallel = sys.argv[4] if len(sys.argv) > 4 else "8"
tmp = tempfile.mkdtemp(prefix="bdfu-bench-")
tick = os.sysconf("SC_CLK_TCK")


def proc_status(pid, key):
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


app = os.path.join(tmp, "app.bin")
with open(app, "wb") as f:
    f.write(struct.pack("<2I", 0x20010000, 0x27101) + bytes(range(256)) * 400)  # 100 KiB
package = os.path.join(tmp, "app.zip")
subprocess.run([bluedfu, "pkg", "generate", "-q", "--application", app, "--application-version",
                "2", "--hw-version", "52", "--sd-req", "0x100", package], check=True)
profile = os.path.join(tmp, "fleet.conf")
with open(profile, "w", encoding="utf-8") as f:
    f.write(f"[device Sensor]\nname=Sensor\ncount={n}\nsoc=nRF52840\nsd-fwid=0x100\n")

bus = Bus()
try:
    daemon = bus.spawn([bluedfud, "--session", "--backend", "sim", "--sim-profile", profile,
                        "--no-polkit", "--max-parallel", parallel, "--state-directory",
                        os.path.join(tmp, "state"), "--config", os.path.join(tmp, "none")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bus.wait_for_name("io.github.bluedfu")
    rss_start = proc_status(daemon.pid, "VmRSS")
    cpu_start = cpu_seconds(daemon.pid)
    t0 = time.monotonic()
    run = subprocess.run([bluedfu, "update", "-q", package, "Sensor-*"], env=bus.env,
                         capture_output=True, text=True, timeout=1800)
    wall = time.monotonic() - t0
    cpu_jobs = cpu_seconds(daemon.pid) - cpu_start
    peak = proc_status(daemon.pid, "VmHWM")
    time.sleep(1)
    idle_start = cpu_seconds(daemon.pid)
    time.sleep(5)
    idle = cpu_seconds(daemon.pid) - idle_start
    print(f"jobs: {n} x 100 KiB, max-parallel {parallel}, exit {run.returncode}")
    print(f"daemon RSS at start: {rss_start / 1024:.1f} MiB, peak: {peak / 1024:.1f} MiB")
    print(f"daemon CPU: {cpu_jobs:.2f} s for {n} jobs = {1000 * cpu_jobs / n:.1f} ms per job "
          f"(wall {wall:.1f} s, virtual radio time)")
    print(f"daemon CPU while idle for 5 s: {idle:.2f} s ({100 * idle / 5:.1f} %)")
finally:
    bus.close()
