"""The original agent's main case, for real: bridge networking with published
ports (`-p HOST:CONTAINER`). dockerd runs inside a network namespace this test
creates (ENVIRONMENT.md: its addresses are the test's own hosts), entered with
nsenter so that only the network namespace changes; the agent, dig and wget run
in the same namespace with `ip netns exec`."""
import os
import subprocess
import time
import unittest
import uuid

from harness.agent import AgentProcess, ecssd_bin, free_port, wait_until
from harness.dockerd import Dockerd

ZONE = "servicediscovery.internal"


class NetnsDockerd(Dockerd):
    """dockerd with its default bridge, inside network namespace `ns`."""

    def __init__(self, ns):
        super().__init__()
        self.ns = ns

    def args(self):
        args = [a for a in super().args() if a != "--bridge=none"]
        return ["nsenter", f"--net=/var/run/netns/{self.ns}"] + args


def in_ns(ns, *cmd, timeout=20):
    return subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True, text=True, timeout=timeout)


def dig_in(ns, port, name, qtype="A"):
    out = in_ns(ns, "dig", "+short", "+time=1", "+tries=1", "@127.0.0.1", "-p", str(port), name, qtype).stdout
    return [l for l in out.splitlines() if l and not l.startswith(";")]


class NetnsDockerdCase(unittest.TestCase):
    """A dockerd with its default bridge inside a network namespace made for
    the test class (cls.ns, cls.d); the containers go after each test."""

    @classmethod
    def setUpClass(cls):
        cls.ns = "ecssd-" + uuid.uuid4().hex[:8]
        subprocess.run(["ip", "netns", "add", cls.ns], check=True)
        in_ns(cls.ns, "ip", "link", "set", "lo", "up")
        cls.d = NetnsDockerd(cls.ns)
        try:
            cls.d.start()
            cls.d.ensure_image()
        except BaseException:
            cls.d.cleanup()
            subprocess.run(["ip", "netns", "delete", cls.ns])
            raise

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        subprocess.run(["ip", "netns", "delete", cls.ns])

    def tearDown(self):
        self.d.remove_all_containers()


class BridgeNetworkTest(NetnsDockerdCase):
    def agent(self, *extra):
        # The namespace has its own ports: any number is free there.
        a = AgentProcess(["--docker-host", self.d.docker_host, "--host-name", "host1", "--host-ip", "127.0.0.1",
                          *extra], dns_port=18053, metrics_port=19253)
        a.args = ["ip", "netns", "exec", self.ns] + a.args
        self.addCleanup(a.stop)
        a.start()
        self.assertTrue(wait_until(lambda: in_ns(self.ns, "curl", "-sf", "http://127.0.0.1:19253/readyz").returncode == 0,
                                   15), "\n".join(a.log()))
        return a

    def test_published_port_is_the_record_target(self):
        a = self.agent("--record-mode", "srv")
        self.d.run_container("web", ["httpd", "-f", "-p", "80", "-h", "/etc"], network=None,
                             env={"SERVICE_80_NAME": "web"}, extra=["-p", "18081:80"])
        srv = wait_until(lambda: dig_in(self.ns, 18053, f"_web._tcp.{ZONE}", "SRV"), 5)
        self.assertEqual(srv, [f"1 1 18081 host1.{ZONE}."])
        self.assertEqual(dig_in(self.ns, 18053, f"host1.{ZONE}"), ["127.0.0.1"])
        # What the record says is where the service answers: host IP + published port.
        r = in_ns(self.ns, "curl", "-sf", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:18081/hostname")
        self.assertEqual(r.stdout, "200", r.stderr)

    def test_unpublished_port_is_skipped_with_one_log_line(self):
        a = self.agent()
        self.d.run_container("quiet", ["httpd", "-f", "-p", "80"], network=None, env={"SERVICE_80_NAME": "quiet"})
        self.assertTrue(a.wait_log("service not published", timeout=5, field="SERVICE_80_NAME", container="quiet"))
        self.assertEqual(dig_in(self.ns, 18053, f"quiet.{ZONE}"), [])
        time.sleep(1)
        self.assertEqual(len(a.find("service not published", field="SERVICE_80_NAME")), 1)

    def test_target_container_points_at_the_container_ip(self):
        a = self.agent("--record-mode", "a", "--target", "container")
        self.d.run_container("direct", ["httpd", "-f", "-p", "80", "-h", "/etc"], network=None,
                             env={"SERVICE_80_NAME": "direct"})
        ip = self.d.inspect("direct")["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]
        self.assertTrue(ip)
        self.assertEqual(wait_until(lambda: dig_in(self.ns, 18053, f"direct.{ZONE}"), 5), [ip])
        r = in_ns(self.ns, "curl", "-sf", "-o", "/dev/null", "-w", "%{http_code}", f"http://{ip}:80/hostname")
        self.assertEqual(r.stdout, "200", r.stderr)


if __name__ == "__main__":
    unittest.main()
