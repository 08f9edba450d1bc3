#!/usr/bin/env python3
"""`bluedfu scan --backend bluez` against python-dbusmock's stock bluez5 template on a private
bus: what the user sees when bluetoothd is missing, the adapter is absent or unpowered, and
that only devices heard after the scan started are listed (stale objects are not).
Usage: test-bluez-adapter.py BLUEDFU"""
import os
import subprocess
import sys
import time

try:
    import dbus
    import dbusmock  # noqa: F401
except ImportError:
    # meson may run us with another interpreter than the one python3-dbusmock belongs to
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    print("SKIP: python3-dbusmock is not installed")
    sys.exit(77)


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from busenv import Bus as PrivateBus  # noqa: E402

bluedfu = sys.argv[1]
problems = []


class Bus:
    """a private dbus-daemon that bluedfu sees as the system bus"""

    def __init__(self):
        self.private = PrivateBus()
        self.address = self.private.address
        self.env = dict(self.private.env, DBUS_SESSION_BUS_ADDRESS="disabled:")
        self.mock = None
        self.conn = None

    def start_bluez(self):
        self.mock = subprocess.Popen([sys.executable, "-m", "dbusmock", "--system", "-t",
                                      "bluez5"], env=dict(self.env), stdout=subprocess.PIPE)
        self.conn = dbus.bus.BusConnection(self.address)
        for _ in range(100):
            if self.conn.name_has_owner("org.bluez"):
                return
            time.sleep(0.05)
        raise RuntimeError("dbusmock did not take org.bluez")

    def mock_iface(self, path="/"):
        return dbus.Interface(self.conn.get_object("org.bluez", path), "org.bluez.Mock")

    def dbusmock_iface(self, path):
        return dbus.Interface(self.conn.get_object("org.bluez", path),
                              "org.freedesktop.DBus.Mock")

    def bluedfu(self, *args, wait=True):
        cmd = [bluedfu, *args]
        if not wait:
            return subprocess.Popen(cmd, env=self.env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=60)

    def close(self):
        if self.mock:
            self.mock.terminate()
            self.mock.wait()
        self.private.close()


def expect(name, proc, code, *needles):
    out = proc.stdout + proc.stderr
    if proc.returncode != code:
        problems.append(f"{name}: exit {proc.returncode}, want {code}: {out.strip()}")
        return
    for needle in needles:
        if needle not in out:
            problems.append(f"{name}: output lacks '{needle}': {out.strip()}")
            return
    print(f"ok  {name}")


def case_no_bluetoothd():
    bus = Bus()
    try:
        proc = bus.bluedfu("scan", "--backend", "bluez", "--timeout", "1")
        expect("bluetoothd not running", proc, 1, "bluetoothd is not running",
               "systemctl start bluetooth")
    finally:
        bus.close()


def case_adapters():
    bus = Bus()
    try:
        bus.start_bluez()
        proc = bus.bluedfu("scan", "--backend", "bluez", "--timeout", "1")
        expect("no adapter at all", proc, 4, "no Bluetooth adapter is present")
        bus.mock_iface().AddAdapter("hci0", "host")
        proc = bus.bluedfu("scan", "--backend", "bluez", "--adapter", "hci1", "--timeout", "1")
        expect("unknown adapter", proc, 4, "no Bluetooth adapter hci1",
               "adapters present: hci0")
        bus.dbusmock_iface("/org/bluez/hci0").UpdateProperties(
            "org.bluez.Adapter1", {"Powered": dbus.Boolean(False)})
        proc = bus.bluedfu("scan", "--backend", "bluez", "--timeout", "1")
        expect("unpowered adapter", proc, 1, "hci0 is not powered", "bluetoothctl power on")
    finally:
        bus.close()


def case_fresh_only():
    bus = Bus()
    try:
        bus.start_bluez()
        bus.mock_iface().AddAdapter("hci0", "host")
        # known to BlueZ from earlier, but silent now
        bus.mock_iface().AddDevice("hci0", "11:22:33:44:55:01", "Stale")
        scan = bus.bluedfu("scan", "--backend", "bluez", "--all", "--json", "--timeout", "3",
                           wait=False)
        adapter = bus.dbusmock_iface("/org/bluez/hci0")
        for _ in range(100):
            if any(c[1] == "StartDiscovery" for c in adapter.GetCalls()):
                break
            time.sleep(0.05)
        bus.mock_iface().AddDevice("hci0", "11:22:33:44:55:02", "Fresh")
        out, err = scan.communicate(timeout=60)
        if scan.returncode != 0 or "11:22:33:44:55:02" not in out or "Fresh" not in out:
            problems.append(f"fresh device: exit {scan.returncode}, not listed: {out}{err}")
        elif "11:22:33:44:55:01" in out:
            problems.append(f"fresh device: the stale object was listed: {out}")
        else:
            print("ok  only devices heard after StartDiscovery are listed")
        calls = [(c[1], c[2]) for c in adapter.GetCalls()]
        filters = [args[0] for name, args in calls if name == "SetDiscoveryFilter"]
        if not filters or filters[0].get("Transport") != "le" or \
                not bool(filters[0].get("DuplicateData", False)):
            problems.append(f"discovery filter: {filters}")
        elif [n for n, _ in calls].count("StopDiscovery") != 1:
            problems.append(f"StopDiscovery not called once: {calls}")
        else:
            print("ok  Transport=le, DuplicateData=true, one StopDiscovery")
    finally:
        bus.close()


case_no_bluetoothd()
case_adapters()
case_fresh_only()
if problems:
    print("\n".join("FAIL " + p for p in problems))
    sys.exit(1)
