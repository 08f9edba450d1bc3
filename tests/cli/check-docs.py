#!/usr/bin/env python3
"""The CLI, the man page, the completions and the README must agree: every verb and every
long option that `bluedfu --help` and `bluedfu VERB --help` print appears in each of them."""
import os
import re
import subprocess
import sys

bluedfu = sys.argv[1]
src = os.environ["BDFU_SOURCE_ROOT"]


def run_help(*args):
    out = subprocess.run([bluedfu, *args, "--help"], capture_output=True, text=True, check=True)
    return out.stdout


def read(path):
    with open(os.path.join(src, path), encoding="utf-8") as f:
        return f.read()


top = run_help()
verbs = re.findall(r"^  ([a-z][a-z-]+)\s", top.split("Verbs:")[1].split("Global options")[0], re.M)
assert verbs, "no verbs found in bluedfu --help"
global_opts = set(re.findall(r"(--[a-z][a-z-]+)", top.split("Global options")[1]))

man = read("data/bluedfu.1").replace("\\-", "-")
bash = read("completions/bluedfu.bash")
zsh = read("completions/_bluedfu")
fish = read("completions/bluedfu.fish")
readme = read("README.md")

problems = []
verb_opts = {}
for verb in verbs:
    text = run_help(verb)
    opts = set(re.findall(r"^\s+(?:-\w, )?(--[a-z][a-z-]+)", text, re.M)) - {"--help", "--help-all"}
    verb_opts[verb] = opts
    for where, doc in (("man page", man), ("bash completion", bash), ("zsh completion", zsh),
                       ("fish completion", fish), ("README", readme)):
        if verb not in doc:
            problems.append(f"verb '{verb}' missing from the {where}")
    for opt in sorted(opts | global_opts):
        if opt == "--version":
            continue
        if opt not in man:
            problems.append(f"'{verb} {opt}' missing from the man page")
        if opt not in bash:
            problems.append(f"'{verb} {opt}' missing from the bash completion")
        if opt not in zsh:
            problems.append(f"'{verb} {opt}' missing from the zsh completion")
        if f"-l {opt[2:]}" not in fish:
            problems.append(f"'{verb} {opt}' missing from the fish completion")

# the README lists the update options and the global ones
for opt in sorted(verb_opts.get("update", set()) | global_opts):
    if opt not in readme and opt != "--no-daemon":
        problems.append(f"'{opt}' missing from the README")

# and the completions offer no verb that does not exist
for where, doc in (("bash completion", bash), ("fish completion", fish)):
    m = re.search(r'verbs="?([a-z -]+)"?', doc) if where.startswith("bash") else \
        re.search(r"set -l verbs ([a-z -]+)", doc)
    listed = set(m.group(1).split()) if m else set()
    for extra in sorted(listed - set(verbs)):
        problems.append(f"the {where} offers '{extra}', which bluedfu does not know")

for p in problems:
    print(p)
print(f"checked {len(verbs)} verbs, {sum(len(o) for o in verb_opts.values())} verb options, "
      f"{len(global_opts)} global options")
sys.exit(1 if problems else 0)
