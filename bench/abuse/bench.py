"""Bounded under abuse (see run.sh).

Memory: the agent's VmRSS (and its peak, VmHWM) from /proc, (a) once it
publishes N running containers, (b) on a baseline of 100 containers, before
and after a burst of N engine events (short-lived containers that start, die
and are destroyed, and repeated events for the running ones), and after N
malformed event lines and N malformed DNS queries. Log lines are counted from
the agent's own log. TCP: 1,000 idle connections against the responder's cap
(128) and idle timeout (--dns-tcp-idle-timeout)."""
import argparse
import datetime
import os
import resource
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

from harness.agent import AgentProcess, wait_until  # noqa: E402
from benchmarks_md import machine_line, write_section  # noqa: E402


class FakeEngine:
    """tests/tools/ecssd_fake_engine, one command per line."""

    def __init__(self):
        self.proc = subprocess.Popen([os.environ["ECSSD_FAKE_ENGINE"]], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.socket = self.proc.stdout.readline().strip()

    def run(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().strip()
        if reply != "ok":
            raise RuntimeError(f"fake engine: {command}: {reply}")

    def stop(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except OSError:
            pass
        self.proc.wait(timeout=10)


def memory_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def metric(agent, name):
    status, body = agent.http("/metrics")
    for line in body.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def start_agent(engine, *extra):
    a = AgentProcess(["--docker-host", "unix://" + engine.socket, "--host-name", "bench", "--host-ip", "127.0.0.1",
                      *extra])
    a.start()
    a.wait_ready(60)
    return a


def settle(agent, owned, timeout):
    """Waits until the agent owns `owned` records and a few seconds pass without change."""
    if not wait_until(lambda: metric(agent, "ecssd_records_owned") == owned, timeout, 0.2):
        raise RuntimeError(f"the agent never owned {owned} records:\n" + "\n".join(agent.log()[-20:]))
    time.sleep(3)


def lines(agent, msg):
    return len(agent.find(msg))


def containers_case(n):
    engine = FakeEngine()
    try:
        engine.run(f"containers {n}")
        started = time.monotonic()
        a = start_agent(engine)
        settle(a, n + 1, 300)  # and the host's own A record
        took = time.monotonic() - started - 3
        mem = memory_kib(a.proc.pid)
        a.stop()
        return {"rss": mem["VmRSS"], "hwm": mem["VmHWM"], "converged_s": took}
    finally:
        engine.stop()


def burst_case(n, base=100, bad_input=True):
    engine = FakeEngine()
    try:
        engine.run(f"containers {base}")
        a = start_agent(engine)
        settle(a, base + 1, 300)
        before = memory_kib(a.proc.pid)
        events0 = metric(a, "ecssd_docker_events_total")
        published0 = lines(a, "record published")
        started = time.monotonic()
        engine.run(f"burst {n}")
        if not wait_until(lambda: metric(a, "ecssd_docker_events_total") - events0 >= n, 300, 0.2):
            raise RuntimeError("the agent did not see the whole burst")
        seen = time.monotonic() - started
        settle(a, base + 1, 300)
        after = memory_kib(a.proc.pid)
        out = {"before": before, "after": after, "seen_s": seen,
               "published": lines(a, "record published") - published0}
        if bad_input:
            out.update(bad_input_case(a, engine, n))
        a.stop()
        return out
    finally:
        engine.stop()


def bad_input_case(a, engine, n):
    """N malformed event lines and N malformed DNS queries; the log lines they make, a minute later."""
    engine.run(f"garbage {n}")
    if not wait_until(lambda: metric(a, "ecssd_docker_malformed_events_total") >= n, 120, 0.2):
        raise RuntimeError("the agent did not see the malformed events")
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(n):
        u.sendto(os.urandom(5), ("127.0.0.1", a.dns_port))
        if i % 500 == 499:
            time.sleep(0.005)  # the socket buffer holds a few hundred
    u.close()
    time.sleep(62)  # the limiters' window ends: their count lines
    log = a.log()
    return {"bad_mem": memory_kib(a.proc.pid),
            "bad": {"events": lines(a, "skipping a malformed Docker event"),
                    "event_counts": sum(1 for l in log if "more malformed Docker events from" in l),
                    "queries": lines(a, "dns: malformed query"),
                    "query_counts": sum(1 for l in log if "more malformed DNS queries from" in l),
                    "queries_counted": metric(a, 'ecssd_dns_malformed_queries_total{transport="udp"}')}}


def tcp_case(connections=1000, idle="5s"):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, connections + 200)), hard))
    engine = FakeEngine()
    try:
        a = start_agent(engine, "--dns-tcp-idle-timeout", idle)
        settle(a, 0, 30)
        before = memory_kib(a.proc.pid)
        held = [socket.create_connection(("127.0.0.1", a.dns_port), timeout=5) for _ in range(connections)]
        time.sleep(1)
        during = memory_kib(a.proc.pid)
        refused = metric(a, "ecssd_dns_tcp_refused_total")
        open_now = metric(a, "ecssd_dns_tcp_connections")
        wait_until(lambda: metric(a, "ecssd_dns_tcp_connections") == 0, 30, 0.2)
        idle_closed = metric(a, "ecssd_dns_tcp_idle_closed_total")
        for s in held:
            s.close()
        after = memory_kib(a.proc.pid)
        a.stop()
        return {"before": before, "during": during, "after": after, "refused": refused, "open": open_now,
                "idle_closed": idle_closed, "connections": connections, "idle": idle}
    finally:
        engine.stop()


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--containers", type=int, default=10000)
    p.add_argument("--events", type=int, default=10000)
    p.add_argument("--command", default="bench/abuse/run.sh")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()

    c = containers_case(args.containers)
    print("containers", c, flush=True)
    b = burst_case(args.events)
    print("burst", b, flush=True)
    big = burst_case(args.events, base=args.containers, bad_input=False)
    print("burst on the containers", big, flush=True)
    t = tcp_case()
    print("tcp", t, flush=True)

    date = datetime.date.today().isoformat()
    text = f"""
Measured {date} on {machine_line()} with `{args.command}`: the real agent
(embedded provider, default flags) against the unit tests' fake engine as a
process (tests/tools/ecssd_fake_engine).

| case | agent VmRSS | peak (VmHWM) |
| --- | --- | --- |
| {args.containers:,} running containers, published ({c['converged_s']:.1f} s to converge) | {mib(c['rss'])} | {mib(c['hwm'])} |
| 100 running containers, before the burst | {mib(b['before']['VmRSS'])} | {mib(b['before']['VmHWM'])} |
| the same, after a burst of {args.events:,} events (seen in {b['seen_s']:.1f} s) | {mib(b['after']['VmRSS'])} | {mib(b['after']['VmHWM'])} |
| the same, after {args.events:,} malformed events and {args.events:,} malformed DNS queries | {mib(b['bad_mem']['VmRSS'])} | {mib(b['bad_mem']['VmHWM'])} |
| {args.containers:,} running containers, before the burst | {mib(big['before']['VmRSS'])} | {mib(big['before']['VmHWM'])} |
| the same, after a burst of {args.events:,} events (seen in {big['seen_s']:.1f} s) | {mib(big['after']['VmRSS'])} | {mib(big['after']['VmHWM'])} |
| no container, {t['connections']:,} idle TCP connections opened | {mib(t['during']['VmRSS'])} (before: {mib(t['before']['VmRSS'])}) | {mib(t['during']['VmHWM'])} |

The burst: 87 % of its events are containers that start, die and are
destroyed (3 events each), the rest `update`, `kill` (SIGHUP), `health_status:
healthy` and `rename` for the running containers, all written at once.
Records published for short-lived containers (each dies and is destroyed
right after it starts, so most are gone before their inspect answers):
{b['published']} and {big['published']}; each time the agent was back at the records of its
baseline. The burst left VmRSS where it found it; the same burst on
{args.containers:,} containers left it there too.

Bad input: {args.events:,} malformed event lines made {b['bad']['events']} log line
(`skipping a malformed Docker event`) and, a minute later, {b['bad']['event_counts']} count line
("... more malformed Docker events from ... in the last minute");
{int(b['bad']['queries_counted']):,} malformed DNS queries reached the responder (the rest
of the {args.events:,} were dropped by the socket buffer) and made {b['bad']['queries']} line
(`dns: malformed query`) and {b['bad']['query_counts']} count line.

TCP: of {t['connections']:,} connections opened and left silent,
{int(t['refused'])} were closed at once and {int(t['open'])} held (the cap); the held ones were
closed after the idle timeout ({t['idle']}; {int(t['idle_closed'])} idle closes), VmRSS
{mib(t['after']['VmRSS'])} afterwards.
"""
    print(text)
    if not args.no_write:
        write_section(os.path.join(ROOT, "docs", "RELIABILITY.md"), "abuse", text)


if __name__ == "__main__":
    main()
