#!/usr/bin/env python3
"""RFC 2136 benchmarks (run through bench/rfc2136/run.sh), all against one
BIND 9 (named) on loopback with a TSIG key and a private dockerd:

1. Publication latency: containers started one after another; from each
   one's `start` event (the engine's timeNano) to the first UDP answer from
   BIND carrying its A record (bench/agent's latency loop, pointed at BIND).
2. Burst: 200 containers started together, then killed together; ecssd and
   the naive pattern (one nsupdate per container event, as a shell hook on
   `docker events` would do) watch the same engine and write to two zones of
   the same BIND. UPDATEs are counted by BIND itself (zone-statistics); the
   zones are read with a signed kdig AXFR until they are right.
3. Zone reads: bytes a resync costs on a 10,000-record zone after 10 changes,
   ecssd's SOA check + IXFR (tests/tools/ecssd_xfr) against a full AXFR,
   both cross-checked with kdig's own byte counts."""
import argparse
import concurrent.futures
import datetime
import http.client
import importlib.util
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

from benchmarks_md import machine_line, write_section  # noqa: E402
from harness.agent import AgentProcess, free_port  # noqa: E402
from harness.bind import Bind  # noqa: E402
from harness.dockerd import Dockerd, _UnixHTTPConnection  # noqa: E402
from harness.rfc2136 import XfrTool, nsupdate, zone_rrs  # noqa: E402
from harness.tsig_keys import TsigKey  # noqa: E402


def load_agent_bench():
    """bench/agent/bench.py's start-event reader, hand-built query and percentile."""
    spec = importlib.util.spec_from_file_location("agent_bench", os.path.join(ROOT, "bench", "agent", "bench.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


AGENT_BENCH = load_agent_bench()
LATENCY_ZONE = AGENT_BENCH.ZONE  # the latency loop asks <service>.<this zone>
ECSSD_ZONE, PEER_ZONE = "ecssd.bench", "peer.bench"
# The rfc2136 descriptor's defaults, passed explicitly until the provider
# table hands them to the agent (the temporary wiring leaves the agent's own).
DEFAULTS = ["--batch-interval", "500ms", "--batch-max-delay", "3s"]


def rfc2136_args(bind, key_file, zone, *extra):
    return ["--provider", "rfc2136", "--zone", zone, "--rfc2136-server", f"127.0.0.1:{bind.port}",
            "--tsig-key-file", key_file, "--host-name", "h1", "--host-ip", "127.0.0.1", "--owner-id", "h1",
            "--log-level", "warn", *extra]


def updates_of(bind, zone):
    return sum(bind.zone_counter(zone, k) for k in ("UpdateDone", "UpdateRej", "UpdateFail", "UpdateBadPrereq"))


# --- 1. latency


def latency_run(d, port, count, tag):
    """bench/agent's loop with its StartEvents and hand-built query, on ports
    from free_port (other jobs on this machine use fixed ones)."""
    events = AGENT_BENCH.StartEvents(d.socket_path)
    events.start()
    time.sleep(0.3)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(0.05)
    results, qid = [], random.randrange(65536)
    for i in range(count):
        name = f"{tag}{i:03d}"
        cport = free_port(both=False)
        d.run_container(name, ["httpd", "-f", "-p", f"127.0.0.1:{cport}"], env={f"SERVICE_{cport}_NAME": name})
        fqdn, seen = f"{name}.{LATENCY_ZONE}", None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            qid = (qid + 1) & 0xFFFF
            if AGENT_BENCH.answered(sock, port, fqdn, qid):
                seen = time.time_ns()
                break
            time.sleep(0.0005)
        started = events.wait(name)
        if seen is None or started is None:
            raise RuntimeError(f"{name}: no answer from BIND or no start event")
        results.append((seen - started) / 1e6)
    return results


def latency(d, bind, key_file, count, extra, tag):
    agent = AgentProcess(["--docker-host", d.docker_host, *rfc2136_args(bind, key_file, LATENCY_ZONE, "--record-mode",
                                                                          "a", *extra)])
    agent.start()
    try:
        agent.wait_ready(30)
        return latency_run(d, bind.port, count, tag)
    finally:
        agent.stop()
        d.remove_all_containers()


# --- 2. burst


class Events(threading.Thread):
    """The engine's start and die events: times (timeNano) per container name."""

    def __init__(self, sock, on_event=None):
        super().__init__(daemon=True)
        self.sock, self.on_event = sock, on_event
        self.lock = threading.Lock()
        self.times = {}
        self.ready = threading.Event()

    def run(self):
        filters = urllib.parse.quote(json.dumps({"type": ["container"], "event": ["start", "die"]}))
        conn = _UnixHTTPConnection(self.sock, None)
        conn.request("GET", "/events?filters=" + filters, headers={"Host": "docker"})
        resp = conn.getresponse()
        self.ready.set()
        buf = b""
        try:
            while True:
                chunk = resp.read1(65536)
                if not chunk:
                    return
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if not line.strip():
                        continue
                    ev = json.loads(line)
                    action, name = ev.get("Action"), ev.get("Actor", {}).get("Attributes", {}).get("name")
                    with self.lock:
                        self.times.setdefault(action, {})[name] = ev["timeNano"] / 1e9
                    if self.on_event:
                        self.on_event(action, name)
        except (OSError, ValueError, http.client.HTTPException):
            pass  # the engine went away at the end

    def span(self, action):
        with self.lock:
            t = list(self.times.get(action, {}).values())
        return (min(t), max(t), len(t)) if t else (None, None, 0)


class NaivePeer:
    """One nsupdate per container event, 5 at a time (a hook on `docker events`)."""

    def __init__(self, bind, key, ports):
        self.bind, self.key, self.ports = bind, key, ports
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=5)
        self.failures = 0

    def on_event(self, action, name):
        if name not in self.ports:
            return
        port = self.ports[name]
        rr = f"_svc-{name}._tcp.{PEER_ZONE} 10 SRV 1 1 {port} h1.{PEER_ZONE}"
        command = f"update add {rr}" if action == "start" else f"update delete {rr}"
        self.pool.submit(self._send, command)

    def _send(self, command):
        rc, _ = nsupdate(self.bind.port, self.key, [command], zone=PEER_ZONE)
        if rc != 0:
            self.failures += 1


def srv_count(bind, zone, key):
    return sum(1 for _, t, _ in zone_rrs(bind.port, zone, key) if t == "SRV")


def chunks(items, n):
    size = (len(items) + n - 1) // n
    return [items[i:i + size] for i in range(0, len(items), size)]


def burst_phase(d, bind, key, events, action, do, expected, workers, timeout=300):
    before = {z: updates_of(bind, z) for z in (ECSSD_ZONE, PEER_ZONE)}
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(do, chunks(sorted(events.ports), workers)))
    done = {}
    deadline = time.monotonic() + timeout
    while len(done) < 2 and time.monotonic() < deadline:
        for z in (ECSSD_ZONE, PEER_ZONE):
            if z not in done and srv_count(bind, z, key) == expected:
                done[z] = time.time()
        time.sleep(0.05)
    if len(done) < 2:
        raise RuntimeError(f"{action}: not converged: {[(z, srv_count(bind, z, key)) for z in (ECSSD_ZONE, PEER_ZONE)]}")
    time.sleep(1.5)  # late UPDATEs (none expected) would still be counted
    first, last, n = events.span(action)
    return {"events": n, "span": last - first,
            "ecssd": {"updates": updates_of(bind, ECSSD_ZONE) - before[ECSSD_ZONE],
                      "converged": done[ECSSD_ZONE] - last},
            "peer": {"updates": updates_of(bind, PEER_ZONE) - before[PEER_ZONE], "converged": done[PEER_ZONE] - last}}


def burst(d, bind, key, key_file, count, workers):
    names = ["b%03d" % i for i in range(count)]
    ports = {n: 21000 + i for i, n in enumerate(names)}
    peer = NaivePeer(bind, key, ports)
    events = Events(d.socket_path, peer.on_event)
    events.ports = ports
    events.start()
    events.ready.wait(10)
    agent = AgentProcess(["--docker-host", d.docker_host, *rfc2136_args(bind, key_file, ECSSD_ZONE, "--record-mode",
                                                                          "srv", "--resync", "10m", *DEFAULTS)])
    agent.start()
    try:
        agent.wait_ready(30)
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda n: d.docker("create", "--name", n, "--network", "host", "-e",
                                             f"SERVICE_{ports[n]}_NAME=svc-{n}", "bb:latest", "sleep", "3600"), names))
        started = burst_phase(d, bind, key, events, "start", lambda c: d.docker("start", *c), count, workers)
        stopped = burst_phase(d, bind, key, events, "die", lambda c: d.docker("kill", *c), 0, workers)
        alive = agent.alive()
    finally:
        agent.stop()
        d.remove_all_containers()
    return started, stopped, peer.failures, alive


# --- 3. zone reads


def kdig_bytes(port, zone, key, qtype):
    out = subprocess.run(["kdig", "+timeout=5", "-y", key.dig_arg(), "@127.0.0.1", "-p", str(port), zone, qtype],
                         capture_output=True, text=True, timeout=120).stdout
    m = re.search(r";; Received (\d+) B", out)
    return int(m.group(1)) if m else None


def zone_reads(key, key_file, records, changes):
    zone = "big.bench"
    rrs = [{"name": f"n{i:05d}.{zone}", "type": "A", "ttl": 10, "values": [f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"]}
           for i in range(records)]
    with Bind(zone, rrs, key) as bind, XfrTool(bind.port, zone, key_file) as x:
        full = x.command("refresh")
        unchanged = x.command("refresh")
        serial = full["serial"]
        for i in range(changes):
            rc, out = nsupdate(bind.port, key, [f"update add change{i}.{zone} 10 A 10.200.0.{i}"])
            if rc != 0:
                raise RuntimeError(out)
        incremental = x.command("refresh")
        ok = x.records() == zone_rrs(bind.port, zone, key)
        axfr_kdig = kdig_bytes(bind.port, zone, key, "AXFR")
        ixfr_kdig = kdig_bytes(bind.port, zone, key, f"IXFR={serial}")
    return {"full": full, "unchanged": unchanged, "incremental": incremental, "copy_matches": ok,
            "axfr_kdig": axfr_kdig, "ixfr_kdig": ixfr_kdig}


# --- the section


def versions():
    named = subprocess.run(["named", "-v"], capture_output=True, text=True).stdout.strip()
    named = re.sub(r"\s*<id:[^>]*>", "", named)
    docker = subprocess.run(["dockerd", "--version"], capture_output=True, text=True).stdout.strip()
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True).stdout.strip()
    return named, docker, head + ("+changes" if dirty else "")


def section(args, lat0, lat_def, started, stopped, peer_failures, reads):
    pct = AGENT_BENCH.percentile
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    named, docker, commit = versions()
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    inc, full, unch = reads["incremental"], reads["full"], reads["unchanged"]
    inc_bytes = inc["bytes_sent"] + inc["bytes_received"]
    full_bytes = full["bytes_sent"] + full["bytes_received"]
    ratio = 100.0 * inc_bytes / full_bytes
    p99 = pct(lat0, 99)
    s_updates, k_updates = started["ecssd"]["updates"], stopped["ecssd"]["updates"]
    conv = max(started["ecssd"]["converged"], stopped["ecssd"]["converged"])
    return f"""## RFC 2136: publication latency, bursts and zone reads against BIND

Measured {now} with `{args.command}` on {machine_line()}; ecssd at {commit}; {named};
{docker} (vfs, host networking). Load average (1/5/15 min) at the end: {load} (other jobs share this machine).

All against one `named` on loopback with a TSIG key (hmac-sha256), `update-policy {{ grant ecssd-key zonesub ANY; }}`,
`zone-statistics full` (BIND's own counters count the UPDATEs); ecssd agent `--provider rfc2136 --record-mode srv`
(a for the latency run) with the rfc2136 defaults `--batch-interval 500ms --batch-max-delay 3s` unless said.

**Publication latency**: containers started one after another (`docker run`), each declaring one service; from the
engine's `start` event (`timeNano`) to the first UDP answer from BIND with the service's A record, polled every
0.5 ms (bench/agent's method). With `--batch-interval 0` the change goes out on the next loop turn; with the defaults
it waits for a quiet 500 ms first (what a burst needs, section below).

| agent batching | containers | p50 | p99 | max | goal |
|---|---:|---:|---:|---:|---|
| `--batch-interval 0` | {len(lat0)} | {pct(lat0, 50):.1f} ms | {p99:.1f} ms | {max(lat0):.1f} ms | p99 under 50 ms: **{"met" if p99 < 50 else "missed"}** |
| defaults (500ms, 3s) | {len(lat_def)} | {pct(lat_def, 50):.1f} ms | {pct(lat_def, 99):.1f} ms | {max(lat_def):.1f} ms | - |

**Burst**: {args.containers} containers created beforehand, started together (`docker start`, {args.workers} CLI
processes in parallel), then killed together (`docker kill`). ecssd and the naive pattern watch the same engine and
write to two zones of the same BIND: the naive pattern runs one `nsupdate` per `start` and per `die` event (5 at a
time), as a hook on `docker events` would. Convergence: from the engine's last event of the burst to the first
signed `kdig` AXFR (polled every 50 ms) that shows the zone right.

The engine emitted {started["events"]} start events over {started["span"]:.1f} s and {stopped["events"]} die events over
{stopped["span"]:.1f} s.

| writer | UPDATEs (starts) | UPDATEs (stops) | converged after the last start | converged after the last die |
|---|---:|---:|---:|---:|
| ecssd agent | {s_updates} | {k_updates} | {started["ecssd"]["converged"]:.2f} s | {stopped["ecssd"]["converged"]:.2f} s |
| one nsupdate per container | {started["peer"]["updates"]} | {stopped["peer"]["updates"]} | {started["peer"]["converged"]:.2f} s | {stopped["peer"]["converged"]:.2f} s |

Goal: at most 10 UPDATEs per burst: **{s_updates} and {k_updates} ({"met" if max(s_updates, k_updates) <= 10 else "missed"})**;
converged within 2 s of the last event: **{conv:.2f} s ({"met" if conv <= 2 else "missed"})**. (A negative time means the
zone was right before the engine had sent its last event: ecssd withdraws on `kill`, before `die`.)
Failed nsupdate calls of the naive pattern: {peer_failures}.

**Zone reads**: a {args.records:,}-record zone (A records), read once whole by ecssd's client
(`tests/tools/ecssd_xfr`), then {args.changes} changes by `nsupdate` (one UPDATE each), then the resync ecssd does:
the SOA query, then IXFR from its serial. Octets on the wire, both directions, with the TCP length prefixes.

| read | messages | octets | share of the full AXFR |
|---|---:|---:|---:|
| full AXFR (the first read; what ExternalDNS does every interval) | {full["messages"]} | {full_bytes:,} | 100 % |
| resync, zone unchanged (SOA query only) | {unch["messages"]} | {unch["bytes_sent"] + unch["bytes_received"]:,} | {100.0 * (unch["bytes_sent"] + unch["bytes_received"]) / full_bytes:.3f} % |
| resync after {args.changes} changes (SOA query + IXFR, kind: {inc["kind"]}) | {inc["messages"]} | {inc_bytes:,} | **{ratio:.2f} %** |

kdig's own count of the same transfers (received octets, without the length prefixes): AXFR {reads["axfr_kdig"]:,},
IXFR from the first serial {reads["ixfr_kdig"]:,}. The copy after the IXFR equals a kdig AXFR: {reads["copy_matches"]}.
Goal: under 5 % of the AXFR: **{ratio:.2f} % ({"met" if ratio < 5 else "missed"})**.
"""


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--latency-containers", type=int, default=100)
    p.add_argument("--default-latency-containers", type=int, default=20)
    p.add_argument("--containers", type=int, default=200)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--records", type=int, default=10000)
    p.add_argument("--changes", type=int, default=10)
    p.add_argument("--no-doc", action="store_true")
    p.add_argument("--command", default="bench/rfc2136/run.sh")
    p.add_argument("--doc", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    args = p.parse_args()

    key = TsigKey()
    with tempfile.TemporaryDirectory(prefix="ecssd-bench-rfc2136-") as tmp:
        key_file = key.write(os.path.join(tmp, "key.conf"))
        reads = zone_reads(key, key_file, args.records, args.changes)
        with Dockerd() as d:
            d.ensure_image()
            with Bind(LATENCY_ZONE, [], key) as bind:
                lat0 = latency(d, bind, key_file, args.latency_containers,
                               ["--batch-interval", "0", "--batch-max-delay", "0"], "lat")
                lat_def = latency(d, bind, key_file, args.default_latency_containers, DEFAULTS, "def")
            with Bind(ECSSD_ZONE, [], key, extra_zones=[PEER_ZONE]) as bind:
                started, stopped, peer_failures, alive = burst(d, bind, key, key_file, args.containers, args.workers)
    text = section(args, lat0, lat_def, started, stopped, peer_failures, reads)
    if not args.no_doc:
        write_section(args.doc, "rfc2136", text)
    print(text)
    return 0 if alive else 1


if __name__ == "__main__":
    sys.exit(main())
