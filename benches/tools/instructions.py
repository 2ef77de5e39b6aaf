#!/usr/bin/env python3
"""Instructions a log line costs, counted by valgrind (deterministic, where times
on a shared two-core VM move by a fifth from one run to the next).

Build the fold bench first, without LTO for readable symbols (or with it, to count
what ships):

    cargo bench --bench fold --no-run --config 'profile.release.lto="off"' --target-dir target/nolto

Then, with two logs of N and 2N lines (say the first 200,000 and 400,000 lines of
target/bench-data/log-5000000.jsonl):

    benches/tools/instructions.py lines BIN SMALL.jsonl LARGE.jsonl
        instructions a line by function: (LARGE - SMALL) / lines(LARGE - SMALL),
        so that start-up and the bench's own reading cancel out;
    benches/tools/instructions.py annotate BIN SMALL.jsonl FUNCTION
        each instruction of FUNCTION (as `nm -C` names it, e.g.
        ajentik::ingest::v1::RawEvent::read) with how many times a line it ran:
        where the bounds checks, spills and copies are.

valgrind has no AVX-512: the first stage takes its AVX2 path under it.
"""

import collections
import re
import subprocess
import sys
import tempfile


def line_count(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def cachegrind_by_function(binary, log):
    """Instructions by function for `--only-fold log`."""
    with tempfile.NamedTemporaryFile(suffix=".cg") as out:
        subprocess.run(
            ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out.name}",
             binary, "--only-fold", log],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        text = subprocess.run(["cg_annotate", out.name], check=True, capture_output=True, text=True).stdout
    counts = collections.Counter()
    for row in text.splitlines():
        m = re.match(r"^\s*([\d,]+) \(.*\)\s+(\S.*)$", row)
        if m and m.group(2) != "events annotated":
            name = m.group(2).rsplit(":", 1)[-1]
            counts[name] += int(m.group(1).replace(",", ""))
    return counts


def lines(binary, small, large):
    n = line_count(large) - line_count(small)
    a, b = cachegrind_by_function(binary, small), cachegrind_by_function(binary, large)
    for name, count in sorted(((k, (b[k] - a.get(k, 0)) / n) for k in b), key=lambda kv: -kv[1])[:30]:
        print(f"{count:8.0f}  {name}")


def callgrind_by_address(binary, log):
    """Self cost by instruction address, from callgrind's `--dump-instr=yes`
    output: positions are `instr line`, each absolute (0x...), relative (+N,
    -N) or the same (*); the line after a `calls=` line is the call's
    inclusive cost, not the caller's own."""
    with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--dump-instr=yes", "--collect-jumps=no",
             f"--callgrind-out-file={out.name}", binary, "--only-fold", log],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        raw = open(out.name).read().splitlines()
    cost, last, after_call = collections.Counter(), [0, 0], False

    def position(token, i):
        if token == "*":
            return last[i]
        if token[0] in "+-":
            return last[i] + int(token, 0)
        return int(token, 0)

    for row in raw:
        if row.startswith("calls="):
            after_call = True
            continue
        if not row or not (row[0].isdigit() or row[0] in "+-*"):
            continue
        parts = row.split()
        last[0] = position(parts[0], 0)
        if len(parts) > 2:
            last[1] = position(parts[1], 1)
        if after_call:
            after_call = False
        elif len(parts) > 2:
            cost[last[0]] += int(parts[2])
    return cost


def annotate(binary, log, function):
    n = line_count(log)
    symbols = subprocess.run(["nm", "-C", "-S", binary], check=True, capture_output=True, text=True).stdout
    found = [r.split(None, 3) for r in symbols.splitlines() if r.endswith(" " + function)]
    if not found:
        sys.exit(f"no symbol named {function} in {binary}")
    start, size = int(found[0][0], 16), int(found[0][1], 16)
    cost = callgrind_by_address(binary, log)
    listing = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", "-C", f"--start-address={start:#x}",
         f"--stop-address={start + size:#x}", binary],
        check=True, capture_output=True, text=True).stdout
    rows, total = [], 0.0
    for row in listing.splitlines():
        m = re.match(r"\s+([0-9a-f]+):\s+(.*)", row)
        if m:
            per_line = cost.get(int(m.group(1), 16), 0) / n
            total += per_line
            rows.append(f"{m.group(1)} {per_line:7.2f}  {m.group(2)}")
    print(f"{function}: {total:.0f} instructions a line of its own ({n} lines)")
    print("\n".join(rows))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "lines":
        lines(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "annotate":
        annotate(*sys.argv[2:])
    else:
        sys.exit(__doc__)
