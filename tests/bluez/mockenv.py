"""A private dbus-daemon with mock-bluez owning org.bluez on it, the real `bluedfu` run against
it as `--backend bluez`, and readers for the mock's call log (one line per method call)."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import sys
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from busenv import Bus  # noqa: E402



class MockBluez:
    """dbus-daemon + mock-bluez for one scenario; the call log is in self.log_path."""

    def __init__(self, mock_path, devices, bluez=None, tag="run"):
        self.dir = tempfile.mkdtemp(prefix=f"bdfu-bluez-{tag}-")
        self.bus = Bus()
        self.address = self.bus.address
        # the client sees this bus as the system bus, and no session bus at all
        self.env = dict(self.bus.env, DBUS_SESSION_BUS_ADDRESS="disabled:")
        self.config_path = os.path.join(self.dir, "mock.conf")
        with open(self.config_path, "w", encoding="utf-8") as f:
            if bluez:
                f.write("[bluez]\n")
                for k, v in bluez.items():
                    f.write(f"{k}={v}\n")
            for name, keys in devices.items():
                f.write(f"[device {name}]\n")
                for k, v in keys.items():
                    if isinstance(v, bool):
                        v = "true" if v else "false"
                    f.write(f"{k.replace('_', '-')}={v}\n")
        self.log_path = os.path.join(self.dir, "calls.log")
        self.mock_err = open(os.path.join(self.dir, "mock.stderr"), "w", encoding="utf-8")
        # the mock is a test double: what it still holds at exit is not a leak of ours,
        # while bluedfu itself keeps LeakSanitizer on
        mock_env = dict(self.env, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") +
                        ":detect_leaks=0")
        self.mock = subprocess.Popen(
            [mock_path, "--config", self.config_path, "--log", self.log_path],
            env=mock_env, stdout=subprocess.PIPE, stderr=self.mock_err, text=True)
        line = self.mock.stdout.readline().strip()
        if line != "READY":
            self.close()
            with open(os.path.join(self.dir, "mock.stderr"), encoding="utf-8") as f:
                raise RuntimeError(f"mock-bluez did not start: {f.read()}")

    def bluedfu(self, bluedfu, *args, timeout=400):
        proc = subprocess.run([bluedfu, *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        events = []
        for line in proc.stdout.splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                pass
        return proc, events

    def restart_bluetoothd(self):
        self.mock.send_signal(signal.SIGUSR1)

    def log(self, settle=2.0):
        """the call log, once the mock has seen every client leave (it logs what each one
        left open as it goes)"""
        deadline = time.monotonic() + settle
        while True:
            with open(self.log_path, encoding="utf-8") as f:
                lines = f.read().splitlines()
            # each bluedfu run is one client of org.bluez (its private connection)
            if any(x.endswith("left the bus") for x in lines) or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def close(self):
        if self.mock.poll() is None:
            self.mock.terminate()
            try:
                self.mock.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.mock.kill()
                self.mock.wait()
        self.bus.close()
        self.mock_err.close()

    def mock_problems(self):
        """crashes and sanitizer reports of mock-bluez itself (a mock bug, not the client's)"""
        with open(os.path.join(self.dir, "mock.stderr"), encoding="utf-8") as f:
            text = f.read()
        out = [line for line in text.splitlines()
               if "ERROR: AddressSanitizer" in line or "runtime error:" in line
               or "CRITICAL" in line or "WARNING **" in line]
        if self.mock.returncode not in (0, -signal.SIGTERM):
            out.append(f"mock-bluez exited with {self.mock.returncode}")
        return out


def device_path(address):
    return "/org/bluez/hci0/dev_" + address.upper().replace(":", "_")


def address_plus_one(address):
    last = (int(address[-2:], 16) + 1) & 0xFF
    return address[:-2] + f"{last:02X}"


def firmware_bytes(package):
    """bytes a full update puts on the Packet characteristic: every .dat and .bin"""
    with zipfile.ZipFile(package) as z:
        return sum(i.file_size for i in z.infolist()
                   if i.filename.endswith((".dat", ".bin")))


MTU_RE = re.compile(r"^# (\S+): MTU (\d+)$")
WRITE_RE = re.compile(r"^GattCharacteristic1\.WriteValue (\S+) len=(\d+)(.*)$")
DATAGRAM_RE = re.compile(r"^Datagram (\S+) len=(\d+)(.*)$")


def packet_writes(lines):
    """(path, length, how) of every write the client made, with the MTU then in force, in
    order; how is 'command', 'request' or 'datagram'"""
    mtu = {}
    out = []
    for line in lines:
        m = MTU_RE.match(line)
        if m:
            mtu[device_path(m.group(1))] = int(m.group(2))
            continue
        m = WRITE_RE.match(line)
        how = None
        if m:
            t = re.search(r" type=s:(\w+)", m.group(3))
            how = t.group(1) if t else "untyped"
        else:
            m = DATAGRAM_RE.match(line)
            if m:
                how = "dropped" if "dropped=" in m.group(3) else "datagram"
        if how is None:
            continue
        path = m.group(1)
        dev = path[:path.index("/service")] if "/service" in path else path
        out.append((path, int(m.group(2)), how, mtu.get(dev, 23), m.group(3)))
    return out


def check_call_log(lines):
    """what every client must get right whatever the scenario; returns a list of problems"""
    problems = []
    for path, length, how, mtu, rest in packet_writes(lines):
        if how == "untyped":
            problems.append(f"WriteValue without a type option on {path}")
        if length > mtu - 3:
            problems.append(f"{how} of {length} bytes on {path} with MTU {mtu} (max {mtu - 3})")
        if how == "dropped":
            problems.append(f"oversize datagram of {length} bytes dropped on {path}")
    for line in lines:
        if " offset=" in line and " offset=q:" not in line:
            problems.append(f"offset not typed q: {line}")
        # the mock says what a leaving client still held (discovery, notify, a link)
        if line.startswith("# left open by "):
            problems.append(f"bluedfu exited with something open: {line[2:]}")
    return problems
