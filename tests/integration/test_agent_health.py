"""The agent checks what it publishes (issue 10), end to end: a private dockerd
(host networking, containers on 127.0.0.1), the real binary, dig for what the
responder answers, the status server's documents, `ecssd status`, `ecssd
reap` reading the agent's verdict, and the status page rendered by headless
Chromium.

A busybox httpd serves a folder of the test's, bind-mounted into the
container: the test deletes and re-creates `health` in it to flip GET /health
between 404 and 200. Checks run every second so the test stays short."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

from harness.agent import dig_short, ecssd_bin, free_port, run_ecssd, wait_until
from harness.agent_case import DockerdAgentCase
from harness.chromium import chromium_bin, dump_dom, screenshot

ZONE = "servicediscovery.internal"
INTERVAL = 1.0
# What "within one interval" allows beyond the interval on a loaded 2-core
# machine: the probe, the plan run and dig's own round trip.
SLACK = 1.0


def fetch_json(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return json.loads(r.read().decode())


def instance(doc, service, container=None):
    for s in doc["services"]:
        if s["name"] != service:
            continue
        for i in s["instances"]:
            if container is None or i["container"] == container:
                return i
    return None


class HealthServer:
    """A folder served by busybox httpd in a container: /health answers 200
    while the file exists and 404 once it is deleted."""

    def __init__(self, d, name, port, env, labels=None, healthy=False):
        self.dir = tempfile.mkdtemp(prefix="ecssd-www-")
        os.chmod(self.dir, 0o755)
        with open(os.path.join(self.dir, "index.html"), "w") as f:
            f.write("ok\n")
        if healthy:
            self.up()
        self.port = port
        d.run_container(name, ["httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", "/www"], env=env, labels=labels,
                        extra=["-v", f"{self.dir}:/www:ro"])

    def up(self):
        with open(os.path.join(self.dir, "health"), "w") as f:
            f.write("ok\n")

    def down(self):
        try:
            os.unlink(os.path.join(self.dir, "health"))
        except FileNotFoundError:
            pass

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class AgentHealthTest(DockerdAgentCase):
    def server(self, name, service, healthy=False, fall=2, **extra_env):
        port = free_port(both=False)
        env = {f"SERVICE_{port}_NAME": service, f"SERVICE_{port}_CHECK_HTTP": "/health",
               "SERVICE_CHECK_INTERVAL": "1s", f"SERVICE_{port}_CHECK_FALL": str(fall), **extra_env}
        s = HealthServer(self.d, name, port, env, healthy=healthy)
        self.addCleanup(s.cleanup)
        return s

    def cname(self, a, service):
        return dig_short(a.dns_port, f"{service}.{ZONE}", "CNAME")

    def test_http_check_gates_publication_and_withdraws_after_fall(self):
        a = self.agent()
        web = self.server("web1", "web", fall=2)
        # 404: checked, never published.
        self.assertTrue(wait_until(lambda: (instance(fetch_json(a.metrics_port, "/v1/services"), "web") or {})
                                   .get("health") == "failing", 10), "\n".join(a.log()[-20:]))
        self.assertEqual(self.cname(a, "web"), [])
        doc = fetch_json(a.metrics_port, "/v1/services")
        i = instance(doc, "web")
        self.assertEqual(i["last_result"], "HTTP 404 (expected 2xx/3xx)")
        self.assertEqual(i["target"], f"127.0.0.1:{web.port}")
        self.assertFalse(i["published"])
        self.assertEqual(i["why_not"], "check failing: HTTP 404 (expected 2xx/3xx)")

        # 200: published within one interval.
        web.up()
        t0 = time.monotonic()
        self.assertTrue(wait_until(lambda: self.cname(a, "web"), INTERVAL + SLACK + 2, 0.05))
        took = time.monotonic() - t0
        self.assertLessEqual(took, INTERVAL + SLACK, "published %.2fs after the endpoint turned healthy" % took)
        self.assertEqual(self.cname(a, "web"), [f"host1.{ZONE}."])
        # The verdict is in the ownership data, as an independent client reads it.
        txt = " ".join(dig_short(a.dns_port, f"cname._ecssd.web.{ZONE}", "TXT"))
        self.assertIn('"health=passing"', txt)
        self.assertRegex(txt, r'"health-since=\d+"')

        # Failing again: withdrawn after `fall` (2) intervals, not before the second failure.
        time.sleep(2.5)  # a few passing probes, none of them changes anything
        web.down()
        t1 = time.monotonic()
        self.assertTrue(wait_until(lambda: not self.cname(a, "web"), 2 * INTERVAL + SLACK + 2, 0.05))
        took = time.monotonic() - t1
        self.assertGreaterEqual(took, (2 - 1) * INTERVAL - 0.2, "withdrawn after one failure")
        self.assertLessEqual(took, 2 * INTERVAL + SLACK, "withdrawn %.2fs after the endpoint failed" % took)

        # One line per transition, never one per probe.
        self.assertEqual(len(a.find("health check passing")), 1)
        failing = a.find("health check failing")
        self.assertEqual(len(failing), 2)
        self.assertEqual(failing[0]["reason"], "HTTP 404 (expected 2xx/3xx)")
        self.assertEqual(failing[0]["container"], "web1")
        metrics = a.http("/metrics")[1]
        probes = sum(float(m) for m in re.findall(r'^ecssd_health_checks_total\{outcome="\w+"\} (\S+)$', metrics, re.M))
        self.assertGreaterEqual(probes, 6)
        self.assertRegex(metrics, r'ecssd_services\{state="failing"\} 1')
        self.assertRegex(metrics, r"ecssd_publish_latency_seconds_count 1")

        # What a terminal shows.
        rc, out, err = run_ecssd("status", "--metrics-listen", f"127.0.0.1:{a.metrics_port}")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"web\s+failing\s+web1\s+127\.0\.0\.1:%d" % web.port)
        self.assertIn("no: check failing: HTTP 404", out)
        self.assertIn("RECENT CHANGES", out)
        rc, out, err = run_ecssd("status", "--metrics-listen", f"127.0.0.1:{a.metrics_port}", "--output", "json")
        self.assertEqual(rc, 0, err)
        doc = json.loads(out)
        self.assertEqual(instance(doc["services"], "web")["health"], "failing")
        kinds = [e["kind"] for e in reversed(doc["events"]["events"])]
        self.assertEqual(kinds, ["waiting", "failing", "passing", "published", "failing", "withdrawn"])

    def test_tcp_checks_and_check_all(self):
        a = self.agent("--check-all", "tcp", "--check-interval", "1s")
        declared, optout, implicit = (free_port(both=False) for _ in range(3))
        self.d.run_container("tcp1", ["sleep", "3600"],
                             env={f"SERVICE_{declared}_NAME": "tcpsvc", f"SERVICE_{declared}_CHECK_TCP": "true"})
        self.d.run_container("tcp2", ["sleep", "3600"],
                             env={f"SERVICE_{optout}_NAME": "optout", f"SERVICE_{optout}_CHECK_TCP": "false"})
        self.d.run_container("tcp3", ["sleep", "3600"], env={f"SERVICE_{implicit}_NAME": "implicit"})
        # Opted out of --check-all: published though nothing listens.
        self.assertTrue(wait_until(lambda: self.cname(a, "optout"), 10))
        time.sleep(2 * INTERVAL)
        self.assertEqual(self.cname(a, "tcpsvc"), [])
        self.assertEqual(self.cname(a, "implicit"), [])
        doc = fetch_json(a.metrics_port, "/v1/services")
        self.assertEqual(instance(doc, "implicit")["last_result"], "connection refused")
        self.assertEqual(instance(doc, "implicit")["check"], "tcp every 1s")
        self.assertEqual(instance(doc, "optout")["health"], "unchecked")
        # Something listens now: published within one interval.
        self.d.docker("exec", "-d", "tcp1", "httpd", "-f", "-p", f"127.0.0.1:{declared}")
        t0 = time.monotonic()
        self.assertTrue(wait_until(lambda: self.cname(a, "tcpsvc"), INTERVAL + SLACK + 2, 0.05))
        self.assertLessEqual(time.monotonic() - t0, INTERVAL + SLACK)
        self.assertEqual(instance(fetch_json(a.metrics_port, "/v1/services"), "tcpsvc")["last_result"], "connected")
        self.assertEqual(self.cname(a, "implicit"), [])

    def test_the_reaper_reads_the_agents_verdict(self):
        a = self.agent()
        dns = a.dns_port
        self.server("web1", "web", healthy=True)
        self.assertTrue(wait_until(lambda: self.cname(a, "web"), 10))
        rc, out, err = run_ecssd("reap", "--provider", "embedded", "--zone", ZONE, "--dns-listen", f"127.0.0.1:{dns}",
                                 "--output", "json", "--grace", "0s", "--check-interval", "200ms")
        self.assertEqual(rc, 0, err[-2000:])
        report = json.loads(out)
        web = [r for r in report["records"] if r["name"] == f"web.{ZONE}"][0]
        self.assertRegex(web["agent_health"], r"^passing since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(web["check"], "http GET /health expect 2xx/3xx")
        self.assertEqual(web["result"], "healthy")

        # `reap --every` serves the agent's page with its last passes.
        status = free_port(both=False)
        p = subprocess.Popen([ecssd_bin(), "reap", "--provider", "embedded", "--zone", ZONE, "--dns-listen",
                              f"127.0.0.1:{dns}", "--every", "1s", "--grace", "0s", "--check-interval", "200ms",
                              "--metrics-listen", f"127.0.0.1:{status}", "--log-level", "warn"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=dict(os.environ, AWS_EC2_METADATA_DISABLED="true"))
        try:
            def reaped():
                try:
                    doc = fetch_json(status, "/v1/services")
                    return doc if doc["services"] else None
                except OSError:
                    return None
            doc = wait_until(reaped, 15, 0.2)
            self.assertIsNotNone(doc)
            self.assertEqual(doc["kind"], "reaper")
            i = instance(doc, "web")
            self.assertEqual(i["health"], "passing")
            self.assertTrue(i["agent"].startswith("passing since "))
            events = fetch_json(status, "/v1/events")["events"]
            self.assertEqual(events[0]["kind"], "pass")
            with urllib.request.urlopen(f"http://127.0.0.1:{status}/", timeout=5) as r:
                self.assertIn("<title>ecssd status</title>", r.read().decode())
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=20)


@unittest.skipUnless(chromium_bin(), "chromium not installed (scripts/install-deps.sh test)")
class StatusPageTest(DockerdAgentCase):
    """The page as a browser renders it. With ECSSD_STATUS_SCREENSHOT=<file.png>
    it also sets up a fuller scene and takes the README's screenshot."""

    def test_page_shows_a_service_and_turns_failing(self):
        a = self.agent()
        port = free_port(both=False)
        web = HealthServer(self.d, "web1", port, {f"SERVICE_{port}_NAME": "web", f"SERVICE_{port}_CHECK_HTTP": "/health",
                                                 "SERVICE_CHECK_INTERVAL": "1s", "SERVICE_CHECK_FALL": "1"},
                           healthy=True)
        self.addCleanup(web.cleanup)
        url = f"http://127.0.0.1:{a.metrics_port}/"
        self.assertTrue(wait_until(lambda: dig_short(a.dns_port, f"web.{ZONE}", "CNAME"), 10))
        dom = dump_dom(url)
        row = re.search(r'<tr class="instance" data-container="web1" data-health="(\w+)" data-published="(\w+)"', dom)
        self.assertIsNotNone(row, dom[-3000:])
        self.assertEqual(row.groups(), ("passing", "true"))
        self.assertIn('data-service="web" data-health="passing"', dom)
        self.assertIn(f"127.0.0.1:{port}", dom)

        web.down()
        self.assertTrue(wait_until(lambda: not dig_short(a.dns_port, f"web.{ZONE}", "CNAME"), 10))
        dom = dump_dom(url)
        row = re.search(r'<tr class="instance" data-container="web1" data-health="(\w+)" data-published="(\w+)"', dom)
        self.assertEqual(row.groups(), ("failing", "false"))
        self.assertIn('data-service="web" data-health="critical"', dom)
        self.assertIn("HTTP 404 (expected 2xx/3xx)", dom)
        self.assertIn('data-kind="withdrawn"', dom)  # the recent changes
        shot = os.path.join(tempfile.mkdtemp(prefix="ecssd-shot-"), "page.png")
        self.addCleanup(shutil.rmtree, os.path.dirname(shot), True)
        screenshot(url, shot, 1280, 800)
        self.assertGreater(os.path.getsize(shot), 10_000)  # something was drawn

        target = os.environ.get("ECSSD_STATUS_SCREENSHOT")
        if target:
            self.scene(a, web)
            screenshot(url, target, 1440, 900)

    def scene(self, a, web):
        """A host an operator would look at: replicas passing and failing, a TCP
        service, one waiting for its first passes, a flapping one, one without a check."""
        web.up()
        servers = [web]
        for i, healthy in ((2, True), (3, False)):
            port = free_port(both=False)
            s = HealthServer(self.d, f"web{i}", port, {f"SERVICE_{port}_NAME": "web",
                                                        f"SERVICE_{port}_CHECK_HTTP": "/health",
                                                        "SERVICE_CHECK_INTERVAL": "1s"}, healthy=healthy)
            self.addCleanup(s.cleanup)
            servers.append(s)
        for i in (1, 2):
            port = free_port(both=False)
            self.d.run_container(f"api{i}", ["httpd", "-f", "-p", f"127.0.0.1:{port}"],
                                 env={f"SERVICE_{port}_NAME": "api", f"SERVICE_{port}_CHECK_TCP": "true",
                                      "SERVICE_CHECK_INTERVAL": "2s"})
        port = free_port(both=False)
        self.d.run_container("redis1", ["httpd", "-f", "-p", f"127.0.0.1:{port}"], env={f"SERVICE_{port}_NAME": "cache"})
        port = free_port(both=False)
        s = HealthServer(self.d, "search1", port, {f"SERVICE_{port}_NAME": "search",
                                                    f"SERVICE_{port}_CHECK_HTTP": "/health",
                                                    f"SERVICE_{port}_CHECK_RISE": "3",
                                                    "SERVICE_CHECK_INTERVAL": "30s"}, healthy=True)
        self.addCleanup(s.cleanup)
        port = free_port(both=False)
        flappy = HealthServer(self.d, "billing1", port, {f"SERVICE_{port}_NAME": "billing",
                                                         f"SERVICE_{port}_CHECK_HTTP": "/health",
                                                         "SERVICE_CHECK_INTERVAL": "1s", "SERVICE_CHECK_FALL": "1"},
                              healthy=True)
        self.addCleanup(flappy.cleanup)
        for _ in range(8):  # flips faster than a minute allows: held
            time.sleep(1.6)
            flappy.down()
            time.sleep(1.6)
            flappy.up()
        time.sleep(2)


if __name__ == "__main__":
    unittest.main()
