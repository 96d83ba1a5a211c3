"""Writes the fault table measured by the suite (the JSON rows fault_kit/config.py
appends to $ECSSD_FAULTS_RESULTS) into docs/RELIABILITY.md, between the
markers of its section "The fault table"; the rest of the file is left as it
is. A file without the section gets it appended.

    python3 tests/faults/render_table.py ROWS.jsonl docs/RELIABILITY.md --command "scripts/faults.sh"
    python3 tests/faults/render_table.py ROWS.jsonl -          # the table alone, to stdout
"""
import argparse
import datetime
import json
import os
import sys

BEGIN = "<!-- fault-table:begin (scripts/faults.sh writes this part) -->"
END = "<!-- fault-table:end -->"

# The order of the table: as the suite's modules list them.
ORDER = ["agent SIGKILLed and restarted", "dockerd restarted", "provider unreachable",
         "30% of calls throttled, 5% answered 500", "PriorRequestNotComplete",
         "partial read: listing page 2 answered 500", "partial read: listing page 2 cut mid-body",
         "partial read: AXFR/IXFR cut mid-way", "TSIG clock skew (agent +20 min)",
         "Docker socket's file system gone and back", "reaper partitioned from every target"]
PROVIDERS = ["Route 53 (moto)", "RFC 2136 (BIND 9)", "embedded"]


def rows_of(path):
    rows = {}
    with open(path) as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                rows[(row["fault"], row["provider"])] = row  # the last run of a pair wins
    return sorted(rows.values(), key=lambda r: (ORDER.index(r["fault"]) if r["fault"] in ORDER else len(ORDER),
                                                PROVIDERS.index(r["provider"]) if r["provider"] in PROVIDERS else 9))


def seconds(value):
    return "never (failed)" if value is None else f"{value:.1f} s"


def table(rows, command, date):
    quick = any(r.get("quick") for r in rows)
    ops = sorted({r["burst_ops"] for r in rows})
    head = [f"Measured with `{command}` on {date} ({'quick' if quick else 'full'} form: "
            f"{rows[0]['containers'] if rows else 0} containers before each burst, bursts of "
            f"{'-'.join(str(o) for o in (ops[0], ops[-1]) if ops) or '?'} starts and stops), on a 2-core machine.",
            "",
            "| fault | provider | records lost | foreign records touched | stale records left "
            "| live records missing meanwhile | fault lasted | converged after the fault ended |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    lines = []
    for r in rows:
        fault_s = "throughout" if r.get("throughout") else f"{r['fault_s']:.0f} s"
        converged = seconds(r["converge_s"])
        if r.get("throughout") and r["converge_s"] is not None:
            converged += " (after the burst; the fault still on)"
        if "passes" in r:
            converged += f"; {r['passes']} reaper passes, {r['deleted']} deleted"
        foreign = "n/a (nothing foreign)" if r["provider"] == "embedded" else str(r["foreign_touched"])
        lines.append(f"| {r['fault']} | {r['provider']} | {r['lost']} | {foreign} | {r['stale']} "
                     f"| {r['live_missing']} | {fault_s} | {converged} |")
    return "\n".join(head + lines)


def write(doc, text):
    block = f"{BEGIN}\n{text}\n{END}"
    if os.path.exists(doc):
        with open(doc) as f:
            content = f.read()
    else:
        content = "# Reliability\n"
    if BEGIN in content and END in content:
        before, rest = content.split(BEGIN, 1)
        content = before + block + rest.split(END, 1)[1]
    else:
        content = content.rstrip("\n") + "\n\n## The fault table\n\n" + block + "\n"
    with open(doc, "w") as f:
        f.write(content)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("rows")
    p.add_argument("doc", help="the Markdown file to write, or - for stdout")
    p.add_argument("--command", default="scripts/faults.sh")
    p.add_argument("--date", default=datetime.date.today().isoformat())
    a = p.parse_args()
    rows = rows_of(a.rows) if os.path.exists(a.rows) else []
    text = table(rows, a.command, a.date)
    if a.doc == "-":
        print(text)
    else:
        write(a.doc, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
