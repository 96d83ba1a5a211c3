#!/usr/bin/env python3
"""Reaper benchmark driver (run it through bench/reap/run.sh).

Starts `bench_reap targets` (one loopback socket per record: TCP listeners,
HTTP servers answering 200, silent servers that accept and never answer,
ports that refuse), then `bench_reap run` once per --concurrency value: one
reap pass over the records in the in-memory provider, timed, and (in the last
run) the original Lambda's sequential algorithm on a 1% sample with the same
mix, whose time is scaled to the whole zone. Rewrites the reaper section of
docs/BENCHMARKS.md."""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from benchmarks_md import cpu_model, write_section  # noqa: E402


def seconds(duration):
    """ "2s", "1500ms", "1m" -> seconds."""
    m = re.fullmatch(r"([0-9.]+)(ms|s|m)", duration)
    if not m:
        raise SystemExit("bench.py: cannot read duration %r" % duration)
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60}[m.group(2)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--command", default="bench/reap/run.sh")
    p.add_argument("--records", type=int, default=10000)
    p.add_argument("--dead-percent", type=int, default=10)
    p.add_argument("--timeout", default="2s")
    p.add_argument("--tries", type=int, default=3)
    p.add_argument("--interval", default="2s")
    p.add_argument("--concurrency", default="256,1024")
    p.add_argument("--sample-percent", type=int, default=1)
    p.add_argument("--doc", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    p.add_argument("--no-doc", action="store_true")
    args = p.parse_args()
    tool = os.environ.get("ECSSD_BENCH_REAP") or os.path.join(ROOT, "build", "bench", "reap", "bench_reap")

    dead = args.records * args.dead_percent // 100
    healthy = args.records - dead
    mix = {"tcp": healthy * 2 // 3, "http": healthy - healthy * 2 // 3, "refused": dead // 2,
           "silent": dead - dead // 2}
    server = subprocess.Popen([tool, "targets", "--tcp", str(mix["tcp"]), "--http", str(mix["http"]),
                               "--refused", str(mix["refused"]), "--silent", str(mix["silent"])],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    runs = []
    try:
        line = server.stdout.readline()
        if not line:
            raise SystemExit("bench_reap targets did not start (ulimit -n %s?)" % os.sysconf("SC_OPEN_MAX"))
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write(line)
            targets = f.name
        levels = [int(c) for c in args.concurrency.split(",")]
        for i, c in enumerate(levels):
            sample = args.sample_percent if i == len(levels) - 1 else 0
            cmd = [tool, "run", "--targets", targets, "--timeout", args.timeout, "--tries", str(args.tries),
                   "--interval", args.interval, "--concurrency", str(c), "--sample", str(sample)]
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
            if out.returncode != 0:
                raise SystemExit("bench_reap run failed: %s" % out.stderr[-2000:])
            r = json.loads(out.stdout.strip().splitlines()[-1])
            runs.append(r)
            print("concurrency %d: pass %.2f s, %d probes, %d deleted, peak RSS %.1f MB" % (
                c, r["reaper"]["seconds"], r["reaper"]["probes"], r["reaper"]["deleted"], r["reaper"]["rss_mb_peak"]),
                file=sys.stderr)
        os.unlink(targets)
    finally:
        server.stdin.close()
        server.wait(30)

    seq = runs[-1]["sequential"]
    print("sequential sample: %d records in %.1f s, scaled x%.0f = %.0f s" % (
        seq["records"], seq["seconds"], seq["scale"], seq["scaled_seconds"]), file=sys.stderr)

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = []
    for r in runs:
        rp = r["reaper"]
        rows.append("| ecssd reap, one pass | {:,} | {:,} | {} | **{:.2f} s** | {:,} | {:,} | {} | {:.1f} MB |".format(
            rp["owned"], rp["dead"], r["concurrency"], rp["seconds"], rp["probes"], rp["deleted"], rp["apply_calls"],
            rp["rss_mb_peak"]))
    rows.append("| original algorithm, sequential: {:,}-record sample, time x{:.0f} | {:,} | {:,} | 1 | "
                "{:.1f} s x{:.0f} = **{:,.0f} s** | {:,} | {:,} | {:,} | - |".format(
                    seq["records"], seq["scale"], seq["records"], seq["dead"], seq["seconds"], seq["scale"],
                    seq["scaled_seconds"], seq["probes"], seq["deleted"], seq["deleted"]))
    best = min(runs, key=lambda r: r["reaper"]["seconds"])
    default = [r for r in runs if r["concurrency"] == 256]
    speedup = seq["scaled_seconds"] / best["reaper"]["seconds"]
    peak = max(r["reaper"]["rss_mb_peak"] for r in runs)
    lines = [
        "## Reaper: one pass over {:,} records vs the original sequential checker".format(args.records),
        "",
        "Measured %s with `%s` on %s, %d cores shared by the targets and the reaper, Linux %s." % (
            now, args.command, cpu_model(), os.cpu_count(), platform.release()),
        "",
        "Zone: {:,} ecssd-owned CNAME records, each with its companion TXT record, served by the bench tool "
        "(`bench_reap run`) as a remote provider would: the process keeps only the target list and builds the "
        "raw records on each listing, so its memory is the reaper's own. The pass is the reaper's code end to "
        "end: registry listing and ownership join, concurrent checks with thresholds, safety valve, batched "
        "deletion through the registry. Each record has its own loopback target, served by a separate process "
        "(`bench_reap targets`): {:,} TCP listeners, {:,} HTTP servers answering 200 (HTTP check `/health`), "
        "{:,} ports that refuse, {:,} HTTP servers that accept and never answer (the check times out). "
        "{}% dead. Timeout {}, {} tries (`--fail-threshold {}`), `--check-interval {}`.".format(
            args.records, mix["tcp"], mix["http"], mix["refused"], mix["silent"], args.dead_percent, args.timeout,
            args.tries, args.tries, args.interval),
        "",
        "The peer is the original Lambda's algorithm (one target at a time, the same timeout and tries, one delete "
        "call per dead record), run in the same run with the same probe code on a {}% sample with the same mix; "
        "**its time is scaled by {:.0f}** to the whole zone.".format(args.sample_percent, seq["scale"]),
        "",
        "| run | records | dead | concurrency | wall time | probes | deleted | delete calls | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ] + rows + [
        "",
        "Fastest pass: {:.2f} s at concurrency {} (goal: under 10 s); {:.0f}x faster than the sequential checker "
        "(goal: at least 100x); peak RSS {:.1f} MB (goal: under 50 MB; the process starts at {:.1f} MB).".format(
            best["reaper"]["seconds"], best["concurrency"], speedup, peak, best["rss_mb_start"]),
    ]
    if default:
        d = default[0]["reaper"]["seconds"]
        lines += ["",
                  "At the default `--concurrency 256` the pass takes {:.2f} s: each silent target holds a slot for the "
                  "whole timeout on every try, so {:,} silent targets x {} tries x {} need at least {:.1f} s of "
                  "256 slots; a zone with many unreachable targets wants a higher `--concurrency` "
                  "(each slot is one socket).".format(d, mix["silent"], args.tries, args.timeout,
                                                     mix["silent"] * args.tries * seconds(args.timeout) / 256)]
    text = "\n".join(lines)
    print(text)
    if not args.no_doc:
        write_section(args.doc, "reap", text)


if __name__ == "__main__":
    main()
