#!/usr/bin/env python3
"""Hostile and broken packages: `bluedfu inspect` refuses each with exit code 3 and a message
naming the problem; nothing crashes. Packages are made here with Python's zipfile and a tiny
protobuf writer, independently of bluedfu's own package writer."""
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import warnings
import zipfile

bluedfu = sys.argv[1]
warnings.simplefilter("ignore")  # zipfile warns about the duplicate names we make on purpose


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(tag, wire, payload):
    key = varint((tag << 3) | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


def init_packet(image, app_size=None, fw_type=0):
    digest = hashlib.sha256(image).digest()[::-1]
    init = (field(1, 0, 1) + field(2, 0, 52) + field(3, 2, varint(0x100)) + field(4, 0, fw_type)
            + field(5, 0, 0) + field(6, 0, 0) + field(7, 0, len(image) if app_size is None else app_size)
            + field(8, 2, field(1, 0, 3) + field(2, 2, digest)) + field(9, 0, 0))
    command = field(1, 0, 1) + field(2, 2, init)
    return field(1, 2, command)


def app_image(size=4096):
    # a plausible application vector table for S140 7.x (app start 0x27000)
    words = [0x20010000, 0x27101] + [0x27121] * 14
    head = b"".join(w.to_bytes(4, "little") for w in words)
    return head + bytes(size - len(head))


def manifest(parts):
    return json.dumps({"manifest": parts}, sort_keys=True, indent=4)


def make_zip(entries, compression=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in entries:
            z.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buf.getvalue()


def good_entries(bin_name="app.bin", dat_name="app.dat", image=None, dat=None):
    image = image if image is not None else app_image()
    dat = dat if dat is not None else init_packet(image)
    return [("manifest.json", manifest({"application": {"bin_file": bin_name, "dat_file": dat_name}})),
            (bin_name, image), (dat_name, dat)]


cases = []
img = app_image()
cases.append(("dot-dot entry", make_zip(good_entries(bin_name="../app.bin")), ".."))
cases.append(("slash in entry", make_zip(good_entries(bin_name="dir/app.bin")), "/"))
cases.append(("absolute entry", make_zip(good_entries(bin_name="/etc/passwd")), "/"))
e = good_entries()
cases.append(("duplicate manifest", make_zip(e + [e[0]]), "duplicate"))
cases.append(("duplicate image", make_zip(e + [e[1]]), "duplicate"))
cases.append(("missing image", make_zip([e[0], e[2]]), "app.bin"))
cases.append(("missing manifest", make_zip(e[1:]), "manifest"))
cases.append(("image size disagrees", make_zip(good_entries(dat=init_packet(img, app_size=8192))), "8192"))
cases.append(("manifest not UTF-8", make_zip([("manifest.json", b'{"manifest": {"application": {"bin_file": "\xff\xfe"}}}')] + e[1:]), "UTF-8"))
cases.append(("deep JSON", make_zip([("manifest.json", "[" * 5000 + "]" * 5000)] + e[1:]), "nest|deep"))
cases.append(("manifest not an object", make_zip([("manifest.json", "[1, 2]")] + e[1:]), "manifest"))
cases.append(("unknown part", make_zip([("manifest.json", manifest({"softdevice_application": {"bin_file": "app.bin", "dat_file": "app.dat"}}))] + e[1:]), "softdevice_application"))
good = make_zip(e)
cases.append(("truncated zip", good[: len(good) // 2], "zip"))
cases.append(("not a zip", b"this is not a zip file at all" * 10, "zip"))
cases.append(("empty file", b"", "zip"))
big = bytes(20 * 1024 * 1024)
cases.append(("zip bomb", make_zip(good_entries(image=big, dat=init_packet(big)), zipfile.ZIP_DEFLATED), "ratio|bomb|MiB|too large"))
huge = app_image(2 * 1024 * 1024)
cases.append(("image over 1 MiB", make_zip(good_entries(image=huge, dat=init_packet(huge))), "MiB|limit|too large"))
cases.append(("init packet over 512 B", make_zip(good_entries(dat=init_packet(img) + bytes(600))), "512|limit|too large"))
cases.append(("init packet junk", make_zip(good_entries(dat=b"\x12\xff\xff\xff\xff\x0f" + bytes(40))), "init packet"))

failures = []
with tempfile.TemporaryDirectory() as tmp:
    for name, data, needle in cases:
        path = os.path.join(tmp, name.replace(" ", "-") + ".zip")
        with open(path, "wb") as f:
            f.write(data)
        proc = subprocess.run([bluedfu, "inspect", path], capture_output=True, text=True)
        msg = proc.stdout + proc.stderr
        if proc.returncode != 3:
            failures.append(f"{name}: exit {proc.returncode}, want 3: {msg.strip()}")
        elif not any(n.lower() in msg.lower() for n in needle.split("|")):
            failures.append(f"{name}: message does not mention '{needle}': {msg.strip()}")
        else:
            print(f"ok  {name}: {msg.strip().splitlines()[0]}")

    # a legacy package is inspected (exit 0) but update refuses it with exit 3
    legacy = make_zip([("manifest.json", json.dumps({"manifest": {"application": {
        "bin_file": "app.bin", "dat_file": "app.dat", "init_packet_data": {
            "application_version": 0xFFFFFFFF, "device_revision": 0xFFFF, "device_type": 0xFFFF,
            "firmware_crc16": 0x1234, "softdevice_req": [0xFFFE]}}, "dfu_version": 0.5}})),
        ("app.bin", img), ("app.dat", bytes.fromhex("ffffffffffffffff0100feff3412"))])
    path = os.path.join(tmp, "legacy.zip")
    with open(path, "wb") as f:
        f.write(legacy)
    proc = subprocess.run([bluedfu, "inspect", "--json", path], capture_output=True, text=True)
    if proc.returncode != 0 or json.loads(proc.stdout)["format"] != "legacy":
        failures.append(f"legacy inspect: exit {proc.returncode}: {proc.stdout}{proc.stderr}")
    proc = subprocess.run([bluedfu, "update", "--backend", "sim", path, "bluedfu-demo"],
                          capture_output=True, text=True)
    if proc.returncode != 3 or "legacy" not in proc.stderr:
        failures.append(f"legacy update: exit {proc.returncode}, want 3: {proc.stderr}")

for f in failures:
    print("FAIL", f)
print(f"{len(cases) + 2} cases, {len(failures)} failures")
sys.exit(1 if failures else 0)
