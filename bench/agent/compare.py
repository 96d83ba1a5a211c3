#!/usr/bin/env python3
"""Two agent binaries side by side on bench/agent's publication latency and
memory runs (bench.py --skip-health), alternating OLD and NEW for N rounds in
one session, so both meet the same machine. Writes the medians with their
spread to the agent-compare section of docs/BENCHMARKS.md.

    bench/agent/compare.sh OLD_BIN NEW_BIN [ROUNDS] [--label-old TEXT --label-new TEXT]

Used for issue 8's "no regression": the binary before the rooms refactor
against today's.
"""
import argparse
import datetime
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from benchmarks_md import machine_line, write_section  # noqa: E402

ROW = re.compile(r"^\| (\d+) \| ([\d.]+) ms \| ([\d.]+) ms \| ([\d.]+) ms \|", re.M)
MEM = re.compile(r"^\| ([\d.]+) MB \| ([\d.]+) MB \| [^|]+\| ([\d.]+) % of one core \|", re.M)


def one_round(binary):
    with tempfile.NamedTemporaryFile("w+", suffix=".md", delete=False) as f:
        doc = f.name
    env = dict(os.environ, ECSSD_BIN=binary, AWS_EC2_METADATA_DISABLED="true")
    r = subprocess.run([sys.executable, os.path.join(HERE, "bench.py"), "--skip-health", "--doc", doc],
                       env=env, capture_output=True, text=True)
    text = open(doc).read()
    os.unlink(doc)
    lat, mem = ROW.search(text), MEM.search(text)
    if r.returncode != 0 or not lat or not mem:
        sys.stderr.write(r.stdout[-2000:] + r.stderr[-2000:])
        raise RuntimeError(f"bench.py failed for {binary}")
    return {"p50": float(lat.group(2)), "p99": float(lat.group(3)), "rss_start": float(mem.group(1)),
            "rss": float(mem.group(2)), "idle": float(mem.group(3))}


def summary(values, unit, digits=1):
    med = statistics.median(values)
    return f"{med:.{digits}f} {unit} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("rounds", type=int, nargs="?", default=3)
    p.add_argument("--label-old", default="old")
    p.add_argument("--label-new", default="new")
    p.add_argument("--command", default="bench/agent/compare.sh")
    p.add_argument("--doc", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    a = p.parse_args()
    runs = {"old": [], "new": []}
    for i in range(a.rounds):
        order = ("old", "new") if i % 2 == 0 else ("new", "old")  # neither always goes first
        for which in order:
            res = one_round(a.old if which == "old" else a.new)
            print(which, i + 1, res, flush=True)
            runs[which].append(res)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = []
    for which, label in (("old", a.label_old), ("new", a.label_new)):
        r = runs[which]
        rows.append(f"| {label} | {summary([x['p50'] for x in r], 'ms')} | {summary([x['p99'] for x in r], 'ms')} | "
                    f"{summary([x['rss_start'] for x in r], 'MB')} | {summary([x['rss'] for x in r], 'MB')} | "
                    f"{summary([x['idle'] for x in r], '%', 2)} |")
    med = {w: {k: statistics.median(x[k] for x in runs[w]) for k in runs[w][0]} for w in runs}
    text = f"""## Agent: two binaries side by side (regression check)

Measured {now} with `{a.command}` on {machine_line()}; {a.rounds} rounds, the two binaries
alternating (bench/agent's latency and memory runs, `bench.py --skip-health`). Medians, the spread in brackets.

| binary | publication p50 | publication p99 | RSS at start | RSS with 500 services | idle CPU |
|---|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

New / old, medians: p99 {med['new']['p99'] / med['old']['p99']:.2f}, RSS with 500 services
{med['new']['rss'] / med['old']['rss']:.2f}.
"""
    write_section(a.doc, "agent-compare", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
