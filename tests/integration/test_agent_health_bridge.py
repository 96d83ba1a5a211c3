"""The agent's checks with `--target container`: dockerd with its default
bridge inside a network namespace this test makes (as test_agent_bridge), so
containers have their own IPs; the agent checks the container's IP and port,
where its A record points, and dig and curl run in the same namespace."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness.agent import AgentProcess, wait_until
from test_agent_bridge import NetnsDockerdCase, dig_in, in_ns

ZONE = "servicediscovery.internal"


class ContainerTargetHealthTest(NetnsDockerdCase):
    def services(self):
        r = in_ns(self.ns, "curl", "-sf", "http://127.0.0.1:19253/v1/services")
        return json.loads(r.stdout) if r.returncode == 0 else {"services": []}

    def test_the_check_goes_to_the_container_ip(self):
        a = AgentProcess(["--docker-host", self.d.docker_host, "--host-name", "host1", "--host-ip", "127.0.0.1",
                          "--record-mode", "a", "--target", "container"], dns_port=18053, metrics_port=19253)
        a.args = ["ip", "netns", "exec", self.ns] + a.args
        self.addCleanup(a.stop)
        a.start()
        self.assertTrue(wait_until(lambda: in_ns(self.ns, "curl", "-sf", "http://127.0.0.1:19253/readyz").returncode
                                   == 0, 15), "\n".join(a.log()))
        www = tempfile.mkdtemp(prefix="ecssd-www-")
        os.chmod(www, 0o755)
        self.addCleanup(shutil.rmtree, www, True)
        # Not published on the host (no -p): only the container's IP serves it.
        self.d.run_container("web", ["httpd", "-f", "-p", "80", "-h", "/www"], network=None,
                             env={"SERVICE_80_NAME": "web", "SERVICE_80_CHECK_HTTP": "/health",
                                  "SERVICE_80_CHECK_INTERVAL": "1s", "SERVICE_80_CHECK_FALL": "2"},
                             extra=["-v", f"{www}:/www:ro"])
        ip = self.d.inspect("web")["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]

        def instance():
            for s in self.services()["services"]:
                if s["name"] == "web":
                    return s["instances"][0]
            return None
        i = wait_until(lambda: (instance() or {}).get("last_result") and instance(), 10)
        self.assertIsNotNone(i, "\n".join(a.log()[-20:]))
        self.assertEqual(i["target"], f"{ip}:80")
        self.assertEqual(i["last_result"], "HTTP 404 (expected 2xx/3xx)")
        self.assertEqual(dig_in(self.ns, 18053, f"web.{ZONE}"), [])

        with open(os.path.join(www, "health"), "w") as f:
            f.write("ok\n")
        t0 = time.monotonic()
        self.assertTrue(wait_until(lambda: dig_in(self.ns, 18053, f"web.{ZONE}") == [ip], 5, 0.05))
        self.assertLessEqual(time.monotonic() - t0, 2.0)
        # Where the record points is where the check succeeded.
        r = in_ns(self.ns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"http://{ip}:80/health")
        self.assertEqual(r.stdout, "200")

        os.unlink(os.path.join(www, "health"))
        self.assertTrue(wait_until(lambda: dig_in(self.ns, 18053, f"web.{ZONE}") == [], 5, 0.05))
        self.assertEqual(instance()["health"], "failing")


if __name__ == "__main__":
    unittest.main()
