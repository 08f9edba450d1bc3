#!/usr/bin/env python3
"""`bluedfu inspect --json` on every real package under ../shared/fixtures, checked field by field
against fixtures.json (decoded independently with protoc). Skips when the folder is absent."""
import glob
import json
import os
import subprocess
import sys

bluedfu = sys.argv[1]
fixtures = os.environ.get("BDFU_FIXTURES", "")
if not fixtures or not os.path.isfile(os.path.join(fixtures, "fixtures.json")):
    print(f"SKIP: no fixtures at '{fixtures}' (set BDFU_FIXTURES)")
    sys.exit(77)

ORDER = ["softdevice_bootloader", "softdevice", "bootloader", "application"]
with open(os.path.join(fixtures, "fixtures.json"), encoding="utf-8") as f:
    entries = json.load(f)

failures = []
checked_fields = 0


def expect(name, what, got, want):
    global checked_fields
    checked_fields += 1
    if got != want:
        failures.append(f"{name}: {what}: got {got!r}, want {want!r}")


def expected_format(entry):
    cat = entry["category"]
    if cat in ("secure", "unsigned"):
        return {"secure"}
    if cat == "legacy":
        return {"legacy"}
    if cat == "prerelease":
        # 2016-08 tools already wrote is_debug: indistinguishable from the released format
        return {"prerelease", "secure"} if "customBL1" in entry["folder"] else {"prerelease"}
    formats = {p["format"] for p in entry["parts"]}
    return {"legacy"} if "legacy" in formats else {"secure"}


for entry in entries:
    name = entry["folder"]
    zip_path = os.path.join(fixtures, entry["folder"], entry["file"])
    key_ids = {p.get("signature") for p in entry["parts"]} - {None, "unsigned", "unknown-key"}
    args = [bluedfu, "inspect", "--json"]
    if len(key_ids) == 1:
        keys = glob.glob(os.path.join(fixtures, "keys", "public", f"*_{key_ids.pop()}.pub.pem"))
        if keys:
            args += ["--key", keys[0]]
    args.append(zip_path)
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        failures.append(f"{name}: exit {proc.returncode}: {proc.stdout}{proc.stderr}")
        continue
    out = json.loads(proc.stdout)
    if out["format"] not in expected_format(entry):
        failures.append(f"{name}: format {out['format']}, want {expected_format(entry)}")

    want_types = sorted((p["part"] for p in entry["parts"]), key=ORDER.index)
    expect(name, "parts in flashing order", [p["type"] for p in out["parts"]], want_types)
    by_type = {p["type"]: p for p in out["parts"]}
    for want in entry["parts"]:
        got = by_type.get(want["part"])
        if got is None:
            continue
        part = f"{name}/{want['part']}"
        expect(part, "bin_size", got["bin_size"], want["bin_len"])
        if want["format"] != "protobuf":
            continue
        expect(part, "fw_version", got["fw_version"], want["fw_version"])
        expect(part, "hw_version", got["hw_version"], want["hw_version"])
        expect(part, "sd_req", got["sd_req"], want["sd_req"])
        expect(part, "init_type", got["init_type"].upper(), want["fw_type"])
        for size in ("sd_size", "bl_size", "app_size"):
            expect(part, size, got[size], want[size])
        expect(part, "is_debug", got["is_debug"],
               None if want["is_debug"] == "absent" else want["is_debug"])
        expect(part, "signed", got["signed"], want["signed"])
        expect(part, "boot_validation count", len(got["boot_validation"]),
               len(want["boot_validation"]))
        expect(part, "hash_ok", got["hash_ok"], "MATCH" in want["hash_check"])
        if "big-endian" in want["hash_check"]:
            expect(part, "hash", got["hash"], "match-big-endian")
        sig = want.get("signature")
        if sig == "unsigned":
            expect(part, "signature", got["signature"], "absent")
        elif sig == "unknown-key":
            expect(part, "signature", got["signature"], "unchecked")
        else:
            expect(part, "signature", got["signature"], "valid")

for f in failures:
    print("FAIL", f)
print(f"{len(entries)} packages, {checked_fields} fields checked, {len(failures)} failures")
sys.exit(1 if failures else 0)
