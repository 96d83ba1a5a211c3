"""The agent's health checks, measured (issue 10); run by bench.py.

Healthy-to-served: N containers (busybox httpd, host networking) declare
SERVICE_<port>_CHECK_HTTP=/h<i> on one folder the bench bind-mounts into all
of them, with SERVICE_CHECK_INTERVAL=<interval>. Once every one has been
checked and found failing (404), the bench creates their files one after
another at random moments and times, for each, the wait from the file's
creation to the first UDP answer (NOERROR with an answer) from the agent's
responder, polled every 0.5 ms. The probe's phase against the file's
creation is random, so the wait spreads over one interval; the goal is p99
under interval + 50 ms.

CPU: M containers with ten TCP services each (ten busybox httpd listening in
each), declared with SERVICE_CHECK_TCP=true and checked every 10 s; the
agent's user+system CPU from /proc/<pid>/stat over a minute or more."""
import json
import os
import random
import shutil
import socket
import tempfile
import time
import urllib.request

from harness.agent import AgentProcess, wait_until

ZONE = "servicediscovery.internal"


def services_doc(agent):
    with urllib.request.urlopen(f"http://127.0.0.1:{agent.metrics_port}/v1/services", timeout=10) as r:
        return json.loads(r.read().decode())


def states(agent):
    """The health of every instance."""
    return [i["health"] for s in services_doc(agent)["services"] for i in s["instances"]]


def healthy_to_served(d, answered, count, interval_s, base_port=21000):
    """Per-container waits (ms) from /h<i> turning 200 to the record served."""
    www = tempfile.mkdtemp(prefix="ecssd-bench-www-")
    os.chmod(www, 0o755)
    agent = AgentProcess(["--docker-host", d.docker_host, "--host-name", "host1", "--host-ip", "127.0.0.1",
                          "--log-level", "warn"])
    agent.start()
    try:
        agent.wait_ready()
        for i in range(count):
            port = base_port + i
            d.run_container(f"hc{i:03d}", ["httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", "/www"],
                            env={f"SERVICE_{port}_NAME": f"hc{i:03d}", f"SERVICE_{port}_CHECK_HTTP": f"/h{i}",
                                 "SERVICE_CHECK_INTERVAL": f"{interval_s}s"}, extra=["-v", f"{www}:/www:ro"])
        ok = wait_until(lambda: states(agent).count("failing") == count, 120, 0.5)
        if not ok:
            raise RuntimeError("the containers were not all checked and failing")
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(0.05)
        qid = random.randrange(65536)
        waits = []
        for i in range(count):
            time.sleep(random.uniform(0, interval_s))  # a random moment against the probes' phase
            with open(os.path.join(www, f"h{i}"), "w") as f:
                f.write("ok\n")
            flipped = time.monotonic()
            deadline = flipped + interval_s + 10
            fqdn = f"hc{i:03d}.{ZONE}"
            seen = None
            while time.monotonic() < deadline:
                qid = (qid + 1) & 0xFFFF
                if answered(sock, agent.dns_port, fqdn, qid):
                    seen = time.monotonic()
                    break
                time.sleep(0.0005)
            if seen is None:
                raise RuntimeError(f"{fqdn} was not served within {interval_s + 10}s of turning healthy")
            waits.append((seen - flipped) * 1000.0)
        return waits, agent.alive()
    finally:
        agent.stop()
        d.remove_all_containers()
        shutil.rmtree(www, ignore_errors=True)


def checked_cpu(d, cpu_seconds, containers, cpu_of, rss_of, per=10, base_port=22000):
    """CPU (% of one core) and RSS of an agent checking containers*per TCP services every 10 s."""
    agent = AgentProcess(["--docker-host", d.docker_host, "--host-name", "host1", "--host-ip", "127.0.0.1",
                          "--log-level", "warn", "--check-interval", "10s"])
    agent.start()
    try:
        agent.wait_ready()
        for c in range(containers):
            ports = [base_port + c * per + p for p in range(per)]
            env = {f"SERVICE_{p}_NAME": f"t{c:03d}p{i}" for i, p in enumerate(ports)}
            env["SERVICE_CHECK_TCP"] = "true"
            script = "; ".join(f"httpd -p 127.0.0.1:{p}" for p in ports) + "; exec sleep 100000"
            d.run_container(f"cpu{c:03d}", ["sh", "-c", script], env=env)
        total = containers * per
        ok = wait_until(lambda: states(agent).count("passing") == total, 180, 1.0)
        if not ok:
            bad = [(i["container"], i["target"], i["health"], i["last_result"])
                   for sv in services_doc(agent)["services"] for i in sv["instances"] if i["health"] != "passing"]
            raise RuntimeError(f"the {total} services did not all pass their checks: {bad[:10]}")
        time.sleep(12)  # past the burst of first checks: every service on its 10 s cycle
        before = metrics_checks(agent)
        cpu0, t0 = cpu_of(agent.proc.pid), time.monotonic()
        time.sleep(cpu_seconds)
        cpu1, t1 = cpu_of(agent.proc.pid), time.monotonic()
        probes = metrics_checks(agent) - before
        return {"services": total, "cpu": 100.0 * (cpu1 - cpu0) / (t1 - t0), "seconds": t1 - t0,
                "probes": probes, "rss": rss_of(agent.proc.pid), "alive": agent.alive()}
    finally:
        agent.stop()
        d.remove_all_containers()


def metrics_checks(agent):
    text = agent.http("/metrics")[1]
    n = 0.0
    for line in text.splitlines():
        if line.startswith("ecssd_health_checks_total{"):
            n += float(line.split()[-1])
    return n
