#!/usr/bin/env python3
"""Responder benchmark: dnsperf against ecssd's embedded responder
(tests/tools/ecssd_zone_server) and against Knot DNS serving the same records
on the same machine in the same run, with the same number of server threads.
Rewrites the responder section of docs/BENCHMARKS.md. Run it through
bench/dns/run.sh."""
import argparse
import datetime
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from harness.dns_server import ZoneServer  # noqa: E402
from harness.knot import Knot  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "bench"))
from benchmarks_md import cpu_model, write_section  # noqa: E402

ZONE = "svc.bench"


def bench_records(services, hosts, srvs):
    """What an agent fleet publishes in cname mode: a CNAME per service to its
    host, the registry's companion TXT, SRV records, the hosts' addresses.
    (One CNAME per name: Knot, rightly, refuses several at one name.)"""
    recs = [{"name": f"host{h}.{ZONE}", "type": "A", "ttl": 10, "values": [f"10.1.{h // 250}.{h % 250 + 1}"]}
            for h in range(hosts)]
    for s in range(services):
        host = f"host{s % hosts}.{ZONE}"
        set_id = f"ecssd:owner{s % hosts}:{s:012x}:80-tcp"
        recs.append({"name": f"service-{s}.{ZONE}", "type": "CNAME", "ttl": 10, "values": [host],
                     "set_identifier": set_id, "weight": 1})
        recs.append({"name": f"cname._ecssd.service-{s}.{ZONE}", "type": "TXT", "ttl": 10,
                     "values": [f'"heritage=ecssd" "set={set_id}" "value={host}" "owner=owner{s % hosts}" '
                                f'"container={s:064x}" "service=service-{s}" "port=80/tcp" '
                                f'"addr=10.1.0.{s % hosts + 1}:{18000 + s}" "check=tcp" "started=1700000000"'],
                     "set_identifier": set_id})
    for s in range(srvs):
        recs.append({"name": f"_svc{s}._tcp.{ZONE}", "type": "SRV", "ttl": 10,
                     "values": [f"1 1 {18000 + s} host{s % hosts}.{ZONE}"]})
    return recs


def bench_queries(services, hosts, srvs, count=10000, seed=42):
    """60% A of services (CNAME then address), 10% host addresses, 10% SRV,
    10% AAAA of services (CNAME then NODATA), 10% names that do not exist."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        x = rng.random()
        if x < 0.6:
            out.append(f"service-{rng.randrange(services)}.{ZONE} A")
        elif x < 0.7:
            out.append(f"host{rng.randrange(hosts)}.{ZONE} A")
        elif x < 0.8:
            out.append(f"_svc{rng.randrange(srvs)}._tcp.{ZONE} SRV")
        elif x < 0.9:
            out.append(f"service-{rng.randrange(services)}.{ZONE} AAAA")
        else:
            out.append(f"missing-{rng.randrange(100000)}.{ZONE} A")
    return out


def run_dnsperf(port, qfile, duration, clients, threads, outstanding):
    cmd = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", qfile, "-l", str(duration), "-c", str(clients),
           "-T", str(threads), "-q", str(outstanding)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout

    def num(pattern):
        m = re.search(pattern, out)
        if not m:
            raise RuntimeError(f"dnsperf output without {pattern}:\n{out}")
        return float(m.group(1))

    return {
        "qps": num(r"Queries per second:\s+([\d.]+)"),
        "avg_ms": num(r"Average Latency \(s\):\s+([\d.]+)") * 1000,
        "lost": int(num(r"Queries lost:\s+(\d+)")),
        "sent": int(num(r"Queries sent:\s+(\d+)")),
        "cmd": " ".join(["dnsperf", "-s", "127.0.0.1", "-p", "PORT", "-d", "queries.txt"] + cmd[7:]),
    }


def run_latency(port, qfile, rate, duration):
    """Per-query latencies (dnsperf -v) at a fixed rate below saturation."""
    cmd = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", qfile, "-l", str(duration), "-Q", str(rate), "-v"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    lat = sorted(float(l.split()[-1]) * 1000 for l in out.splitlines() if l.startswith("> "))
    if not lat:
        raise RuntimeError(f"no latencies in dnsperf -v output:\n{out[-2000:]}")
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    return {"p50": pick(0.50), "p99": pick(0.99), "max": lat[-1], "n": len(lat),
            "cmd": " ".join(["dnsperf", "-s", "127.0.0.1", "-p", "PORT", "-d", "queries.txt"] + cmd[7:])}


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def serve(kind, records, threads):
    if kind == "ecssd":
        return ZoneServer(ZONE, records, threads=threads, extra_args=["--log-level", "warn"])
    return Knot(ZONE, records, udp_workers=threads)


def tool_version(cmd, pattern):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True)
        m = re.search(pattern, out.stdout + out.stderr)
        return m.group(1) if m else "?"
    except OSError:
        return "?"


def run_microbench():
    """CPU per answer from bench_dns_answer (Google Benchmark), when built."""
    path = os.environ.get("ECSSD_BENCH_ANSWER")
    if not path or not os.access(path, os.X_OK):
        return None
    out = subprocess.run([path, "--benchmark_format=json", "--benchmark_min_time=0.5"], capture_output=True,
                         text=True, timeout=300)
    try:
        import json
        return [(b["name"], b["cpu_time"], b["time_unit"]) for b in json.loads(out.stdout)["benchmarks"]]
    except (ValueError, KeyError):
        return None


def load_average():
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def git_revision():
    out = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True).stdout.strip()
    return (out.stdout.strip() or "?") + ("+changes" if dirty else "")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--duration", type=int, default=10, help="seconds per dnsperf run")
    p.add_argument("--rounds", type=int, default=3, help="runs per server and thread count (median reported)")
    p.add_argument("--threads", default="1,2", help="server thread counts, comma separated")
    p.add_argument("--clients", type=int, default=20, help="dnsperf -c")
    p.add_argument("--client-threads", type=int, default=2, help="dnsperf -T")
    p.add_argument("--outstanding", type=int, default=200, help="dnsperf -q")
    p.add_argument("--latency-rate", type=int, default=20000, help="qps of the latency run")
    p.add_argument("--latency-duration", type=int, default=5)
    p.add_argument("--services", type=int, default=500)
    p.add_argument("--doc", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    p.add_argument("--no-doc", action="store_true", help="print the section, do not rewrite the document")
    p.add_argument("--command", default="bench/dns/run.sh", help="the command line to record")
    args = p.parse_args()

    hosts, srvs = 20, 50
    records = bench_records(args.services, hosts, srvs)
    threads = [int(t) for t in args.threads.split(",")]
    tmp = tempfile.TemporaryDirectory(prefix="ecssd-bench-dns-")
    qfile = os.path.join(tmp.name, "queries.txt")
    with open(qfile, "w") as f:
        f.write("\n".join(bench_queries(args.services, hosts, srvs)) + "\n")

    load_before = load_average()
    results = {}
    latencies = {}
    for t in threads:
        for kind in ("ecssd", "knot"):
            results[(t, kind)] = {"runs": [], "rss": 0.0}
        for r in range(args.rounds):
            # Alternate the servers so that drift on a shared machine hits both alike.
            for kind in (("ecssd", "knot") if r % 2 == 0 else ("knot", "ecssd")):
                with serve(kind, records, t) as server:
                    time.sleep(0.5)
                    run = run_dnsperf(server.port, qfile, args.duration, args.clients, args.client_threads,
                                      args.outstanding)
                    results[(t, kind)]["rss"] = max(results[(t, kind)]["rss"], rss_mb(server.proc.pid))
                    results[(t, kind)]["runs"].append(run)
                    print(f"threads={t} {kind:5} round {r + 1}: {run['qps']:.0f} qps, avg {run['avg_ms']:.3f} ms, "
                          f"lost {run['lost']}", flush=True)
                    if r == 0:
                        latencies[(t, kind)] = run_latency(server.port, qfile, args.latency_rate,
                                                           args.latency_duration)
                        l = latencies[(t, kind)]
                        print(f"threads={t} {kind:5} at {args.latency_rate} qps: p50 {l['p50']:.3f} ms, "
                              f"p99 {l['p99']:.3f} ms", flush=True)

    load_after = load_average()
    micro = run_microbench()
    knot_version = tool_version(["knotd", "--version"], r"version (\S+)")
    dnsperf_version = tool_version(["dnsperf", "-h"], r"Version (\S+)")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sample = results[(threads[0], "ecssd")]["runs"][0]
    lines = [
        "## DNS responder: ecssd embedded vs Knot DNS",
        "",
        f"Measured {now} with `{args.command}` on {cpu_model()}, {os.cpu_count()} cores shared by the",
        f"servers and dnsperf, Linux {platform.release()}; Knot DNS {knot_version}, dnsperf {dnsperf_version};",
        f"ecssd at {git_revision()}. Load average (1/5/15 min) before: {load_before}, after: {load_after}",
        "(other jobs share this machine, so single runs vary; both servers are measured in the same run).",
        "",
        f"Zone `{ZONE}`: {args.services} services in cname mode (CNAME to the host + the registry's companion TXT),",
        f"{srvs} SRV, {hosts} hosts: {len(records) + 2} records with the apex SOA and NS, the same in both servers",
        "(ecssd from a JSON file through the embedded provider, Knot from the equivalent zone file).",
        "Queries (same file for both, 10000 lines, looped): 60% A of services (CNAME chased to the address),",
        "10% A of hosts, 10% SRV (with the address in the additional section), 10% AAAA of services",
        "(CNAME, then NODATA), 10% names that do not exist (NXDOMAIN).",
        "",
        f"Throughput: `{sample['cmd']}`, median of {args.rounds} runs per row, servers alternated.",
        "Server threads: ecssd `--threads N` (N UDP sockets with SO_REUSEPORT; TCP on the first),",
        "Knot `udp-workers: N`, `tcp-workers: 1`, `background-workers: 1`.",
        "",
        "| server threads | server | queries/s (median) | runs | avg latency at saturation | lost | RSS |",
        "|---:|---|---:|---|---:|---:|---:|",
    ]
    for t in threads:
        for kind in ("ecssd", "knot"):
            runs = results[(t, kind)]["runs"]
            qps = statistics.median(r["qps"] for r in runs)
            avg = statistics.median(r["avg_ms"] for r in runs)
            lost = sum(r["lost"] for r in runs)
            label = "ecssd embedded" if kind == "ecssd" else "Knot DNS"
            each = " / ".join(f"{r['qps']:,.0f}" for r in runs)
            rss = results[(t, kind)]["rss"]
            lines.append(f"| {t} | {label} | {qps:,.0f} | {each} | {avg:.3f} ms | {lost} | {rss:.1f} MB |")
    for t in threads:
        e = statistics.median(r["qps"] for r in results[(t, "ecssd")]["runs"])
        k = statistics.median(r["qps"] for r in results[(t, "knot")]["runs"])
        lines.append("")
        lines.append(f"{t} thread(s): ecssd / Knot = **{e / k:.2f}** (goal: at least 1.00).")
    lat = next(iter(latencies.values()))
    lines += [
        "",
        f"Latency below saturation: `{lat['cmd']}` (per-query times from dnsperf's verbose output).",
        "",
        "| server threads | server | p50 | p99 | max | queries |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for t in threads:
        for kind in ("ecssd", "knot"):
            l = latencies[(t, kind)]
            label = "ecssd embedded" if kind == "ecssd" else "Knot DNS"
            lines.append(f"| {t} | {label} | {l['p50']:.3f} ms | {l['p99']:.3f} ms | {l['max']:.3f} ms | {l['n']} |")
    lines += ["", "RSS is the server process's resident memory after its first run (shared libraries included)."]
    if micro:
        lines += ["", "CPU per query of ecssd's answer computation alone (`bench_dns_answer`, no sockets; the kernel's",
                  "UDP path is most of the end-to-end cost):", "",
                  "| case | CPU time |", "|---|---:|"]
        lines += [f"| {name} | {t:,.1f} {unit} |" for name, t, unit in micro]
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if not args.no_doc:
        write_section(args.doc, "dns", text)
        print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
