#!/usr/bin/env python3
"""Reaper benchmark driver (run it through bench/reap/run.sh).

Starts `bench_reap targets` (one loopback socket per record: TCP listeners,
HTTP servers answering 200, silent servers that accept and never answer,
ports that refuse), then `bench_reap run` once per --concurrency value (0: the
reaper's default, which follows the open-file limit; 0/1024: the default under
a hard limit of 1024 open files, as in AWS Lambda and systemd's soft limit): one
reap pass over the records in the in-memory provider, timed, and (in the last
run) the original Lambda's sequential algorithm on a 1% sample with the same
mix, whose time is scaled to the whole zone. Rewrites the reaper section of
docs/BENCHMARKS.md."""
import argparse
import datetime
import json
import os
import resource
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
    p.add_argument("--concurrency", default="0,0/1024,256,1024")
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
        levels = args.concurrency.split(",")
        for i, level in enumerate(levels):
            c, _, files = level.partition("/")
            sample = args.sample_percent if i == len(levels) - 1 else 0
            cmd = [tool, "run", "--targets", targets, "--timeout", args.timeout, "--tries", str(args.tries),
                   "--interval", args.interval, "--concurrency", str(int(c)), "--sample", str(sample)]

            def limit(n=int(files) if files else None):
                if n:
                    resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))

            out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, preexec_fn=limit)
            if out.returncode != 0:
                raise SystemExit("bench_reap run failed: %s" % out.stderr[-2000:])
            r = json.loads(out.stdout.strip().splitlines()[-1])
            runs.append(r)
            print("concurrency %s (%d, open-file limit %d): pass %.2f s, %d probes, %d deleted, peak RSS %.1f MB" % (
                level, r["concurrency"], r["open_file_limit"], r["reaper"]["seconds"], r["reaper"]["probes"],
                r["reaper"]["deleted"], r["reaper"]["rss_mb_peak"]), file=sys.stderr)
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
        if r["concurrency_flag"] == 0:
            shown = "default: {:,} (open-file limit {:,})".format(r["concurrency"], r["open_file_limit"])
        else:
            shown = "{:,}".format(r["concurrency"])
        rows.append("| ecssd reap, one pass | {:,} | {:,} | {} | **{:.2f} s** | {:,} | {:,} | {} | {:.1f} MB |".format(
            rp["owned"], rp["dead"], shown, rp["seconds"], rp["probes"], rp["deleted"], rp["apply_calls"],
            rp["rss_mb_peak"]))
    rows.append("| original algorithm, sequential: {:,}-record sample, time x{:.0f} | {:,} | {:,} | 1 | "
                "{:.1f} s x{:.0f} = **{:,.0f} s** | {:,} | {:,} | {:,} | - |".format(
                    seq["records"], seq["scale"], seq["records"], seq["dead"], seq["seconds"], seq["scale"],
                    seq["scaled_seconds"], seq["probes"], seq["deleted"], seq["deleted"]))
    best = min(runs, key=lambda r: r["reaper"]["seconds"])
    defaults = [r for r in runs if r["concurrency_flag"] == 0]
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
    if defaults:
        d = max(defaults, key=lambda r: r["reaper"]["seconds"])
        lines += ["",
                  "At its defaults (no `--concurrency`) the reaper keeps as many checks in flight as its open-file "
                  "limit allows, less 64 kept for the rest, at most 2,048, after raising the soft limit to the hard "
                  "one; the slowest default pass here, at {:,} in flight (open-file limit {:,}), took **{:.2f} s** "
                  "(goal: under 10 s). Slots bound a pass over dead hosts: each silent target holds one for the "
                  "whole timeout on every try, so {:,} silent targets x {} tries x {} need at least {:.1f} s of 256 "
                  "slots and {:.1f} s of {:,}; the tries of one target are {} apart, so no pass is shorter than "
                  "{:.0f} s here.".format(
                      d["concurrency"], d["open_file_limit"], d["reaper"]["seconds"], mix["silent"], args.tries,
                      args.timeout, mix["silent"] * args.tries * seconds(args.timeout) / 256,
                      mix["silent"] * args.tries * seconds(args.timeout) / d["concurrency"], d["concurrency"],
                      args.interval, (args.tries - 1) * seconds(args.interval) + seconds(args.timeout))]
    text = "\n".join(lines)
    print(text)
    if not args.no_doc:
        write_section(args.doc, "reap", text)


if __name__ == "__main__":
    main()
