"""A private dbus-daemon for tests: the daemon owns its name there, the CLI reaches it as the
'system' bus through DBUS_SYSTEM_BUS_ADDRESS, and python3-dbusmock's polkitd can sit on it."""
import os
import subprocess
import tempfile
import time

CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class Bus:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bdfu-bus-")
        conf = os.path.join(self.dir, "bus.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(CONFIG.format(dir=self.dir))
        self.proc = subprocess.Popen(
            ["dbus-daemon", "--config-file", conf, "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE, text=True)
        self.address = self.proc.stdout.readline().strip()
        if not self.address:
            raise RuntimeError("dbus-daemon did not start")
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address,
                        DBUS_SESSION_BUS_ADDRESS=self.address)
        self.procs = []

    def spawn(self, args, **kw):
        kw.setdefault("env", self.env)
        proc = subprocess.Popen(args, **kw)
        self.procs.append(proc)
        return proc

    def wait_for_name(self, name, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = subprocess.run(
                ["dbus-send", "--bus=" + self.address, "--print-reply",
                 "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                 "org.freedesktop.DBus.NameHasOwner", "string:" + name],
                capture_output=True, text=True)
            if "boolean true" in out.stdout:
                return True
            time.sleep(0.05)
        return False

    def close(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.proc.terminate()
        self.proc.wait()
