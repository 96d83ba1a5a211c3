"""The container image (build/dist/ecssd-image-<version>.tar, loaded as
ecssd:<version> and ecssd:latest) as registrator users run it: under 30 MB,
a non-root user, the binary as entrypoint; and the documented command,

    docker run -d --network host -v /var/run/docker.sock:/var/run/docker.sock:ro \\
      --group-add <the socket's group> ecssd:<version> agent ...

run against a private dockerd whose socket belongs to a group of its own
(so only --group-add opens it), publishes a sibling container, checked with
dig, and withdraws it when the sibling stops.
"""
import json
import os
import subprocess
import tarfile
import time
import unittest
import uuid

from harness.agent import dig_short, dig_status, free_port, wait_until
from harness.dockerd import Dockerd
from harness.roots import dist_dir

VERSION = os.environ.get("ECSSD_VERSION", "0.1.0")
IMAGE_TAR = os.path.join(dist_dir(), "ecssd-image-%s.tar" % VERSION)
ZONE = "servicediscovery.internal"
SOCKET_GID = 2375  # a group no user of this machine is in
LIMIT = 30_000_000


class ImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(IMAGE_TAR):
            raise AssertionError("%s missing: build the dist target" % IMAGE_TAR)
        cls.d = Dockerd(extra_args=["--group", str(SOCKET_GID)])
        cls.d.start()
        cls.d.ensure_image()
        cls.d.docker("load", "-i", IMAGE_TAR, timeout=300)

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def tearDown(self):
        self.d.remove_all_containers()

    def test_image_size_user_and_entrypoint(self):
        tags = self.d.docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "ecssd").split()
        self.assertEqual(sorted(tags), ["ecssd:%s" % VERSION, "ecssd:latest"])
        info = json.loads(self.d.docker("image", "inspect", "ecssd:%s" % VERSION))[0]
        self.assertLess(info["Size"], LIMIT, "the image is %.1f MB" % (info["Size"] / 1e6))
        self.assertEqual(info["Config"]["User"], "65532:65532")
        self.assertEqual(info["Config"]["Entrypoint"], ["/usr/bin/ecssd"])
        self.assertEqual(info["Config"]["Cmd"], ["agent"])
        self.assertEqual(len(info["RootFS"]["Layers"]), 1, "built from scratch: one layer")
        self.assertEqual(self.d.docker("run", "--rm", "ecssd:%s" % VERSION, "version"), "ecssd %s" % VERSION)
        # The saved tar is what `docker save` writes: loading it again changes nothing.
        with tarfile.open(IMAGE_TAR) as t:
            manifest = json.load(t.extractfile("manifest.json"))
        self.assertEqual(manifest[0]["RepoTags"], ["ecssd:%s" % VERSION, "ecssd:latest"])
        self.assertEqual("sha256:" + manifest[0]["Config"].split(".")[0], info["Id"])

    def test_containerised_agent_publishes_a_sibling(self):
        st = os.stat(self.d.socket_path)
        self.assertEqual((st.st_gid, st.st_mode & 0o777), (SOCKET_GID, 0o660))
        dns_port, metrics_port = free_port(), free_port(both=False)
        args = ["agent", "--host-name", "host1", "--host-ip", "127.0.0.1", "--dns-listen", "127.0.0.1:%d" % dns_port,
                "--metrics-listen", "127.0.0.1:%d" % metrics_port, "--log-format", "json"]
        mount = "%s:/var/run/docker.sock:ro" % self.d.socket_path

        # Without the socket's group the non-root user cannot connect.
        self.d.docker("run", "-d", "--name", "nogroup", "--network", "host", "-v", mount, "ecssd:%s" % VERSION,
                      *args)
        self.assertTrue(wait_until(lambda: "permission denied" in self.logs("nogroup").lower(), 15),
                        self.logs("nogroup"))
        self.d.docker("rm", "-f", "nogroup")

        self.d.docker("run", "-d", "--name", "ecssd", "--network", "host", "-v", mount,
                      "--group-add", str(SOCKET_GID), "ecssd:%s" % VERSION, *args)
        # The agent process: the image's user, no capabilities, the socket read-only.
        pid = int(self.d.docker("inspect", "-f", "{{.State.Pid}}", "ecssd"))
        with open("/proc/%d/status" % pid) as f:
            status = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
        self.assertEqual(status["Uid"].split()[0], "65532")
        self.assertIn(str(SOCKET_GID), status["Groups"].split())
        self.assertEqual(int(status["CapEff"].strip(), 16), 0)
        mounts = json.loads(self.d.docker("inspect", "-f", "{{json .Mounts}}", "ecssd"))
        self.assertEqual([(m["Destination"], m["RW"]) for m in mounts], [("/var/run/docker.sock", False)])

        service = "web-%s" % uuid.uuid4().hex[:6]
        port = free_port(both=False)
        self.d.run_container(service, ["httpd", "-f", "-p", "127.0.0.1:%d" % port],
                             env={"SERVICE_%d_NAME" % port: service})
        fqdn = "%s.%s" % (service, ZONE)
        answer = wait_until(lambda: dig_short(dns_port, fqdn), 20)
        self.assertEqual(answer, ["host1.%s." % ZONE, "127.0.0.1"], self.logs("ecssd")[-3000:])
        self.d.docker("stop", "-t", "1", service)
        self.assertTrue(wait_until(lambda: dig_status(dns_port, fqdn)[0] == "NXDOMAIN", 10))
        logs = [json.loads(l) for l in self.logs("ecssd").splitlines() if l.startswith("{")]
        self.assertTrue([l for l in logs if l.get("msg") == "record published" and l.get("name") == fqdn], logs)
        started = time.monotonic()
        self.d.docker("stop", "-t", "10", "ecssd")
        self.assertLess(time.monotonic() - started, 9, "SIGTERM stops the agent (it is PID 1 in the container)")
        self.assertEqual(self.d.docker("inspect", "-f", "{{.State.ExitCode}}", "ecssd"), "0")

    def logs(self, name):
        """What the container wrote, stdout and stderr."""
        r = subprocess.run([self.d.cli, "-H", self.d.docker_host, "logs", name], capture_output=True, text=True,
                           timeout=30)
        return r.stdout + r.stderr


if __name__ == "__main__":
    unittest.main()
