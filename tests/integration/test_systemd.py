"""ecssd agent under systemd, without systemd: the test owns the notification
socket (NOTIFY_SOCKET, an AF_UNIX datagram socket, as systemd passes it to a
Type=notify unit) and reads what the agent sends through libsystemd's
sd_notify: READY=1 only once the engine was listed and the first plan run is
done (the records are served by then, checked with dig), STATUS= lines,
WATCHDOG=1 every half WATCHDOG_USEC from the event loop, STOPPING=1 on
SIGTERM. And every shipped unit passes `systemd-analyze verify`, its
Documentation= resolving to the generated man page.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

from harness.agent import AgentProcess, dig_short, free_port, wait_until
from harness.dockerd import Dockerd
from harness.roots import build_dir

ZONE = "servicediscovery.internal"
ROOT = os.environ.get("ECSSD_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
UNITS = os.path.join(ROOT, "deploy", "systemd")
WATCHDOG_USEC = 600_000  # the agent pings every 0.3 s


class NotifySocket:
    """The receiving end of NOTIFY_SOCKET: every datagram, parsed, with its arrival time."""

    def __init__(self, folder):
        self.path = os.path.join(folder, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []  # (monotonic time, {key: value})
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while self.running:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            with self.lock:
                self.messages.append((time.monotonic(), fields))

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()

    def all(self):
        with self.lock:
            return list(self.messages)

    def times(self, key, value=None):
        return [t for t, m in self.all() if key in m and (value is None or m[key] == value)]

    def statuses(self):
        return [m["STATUS"] for _, m in self.all() if "STATUS" in m]

    def wait(self, key, value, timeout):
        return wait_until(lambda: self.times(key, value), timeout, 0.01)


class NotifyTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ecssd-notify-", dir="/tmp")
        self.addCleanup(self.tmp.cleanup)
        self.notify = NotifySocket(self.tmp.name)
        self.addCleanup(self.notify.close)

    def agent(self, docker_host, env=None, start=True):
        env = dict({"NOTIFY_SOCKET": self.notify.path, "WATCHDOG_USEC": str(WATCHDOG_USEC)}, **(env or {}))
        a = AgentProcess(["--docker-host", docker_host, "--host-name", "host1", "--host-ip", "127.0.0.1"], env=env)
        self.addCleanup(a.stop)
        if start:
            a.start()
        return a

    def assert_pings(self, since, until):
        pings = [t for t in self.notify.times("WATCHDOG", "1") if since <= t <= until]
        # One every WATCHDOG_USEC / 2: at least most of them, never a gap of a whole interval.
        expected = (until - since) / (WATCHDOG_USEC / 2e6)
        self.assertGreaterEqual(len(pings), int(expected * 0.6), pings)
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        self.assertLess(max(gaps), WATCHDOG_USEC / 1e6, gaps)

    def test_ready_waits_for_the_engine_and_the_watchdog_pings_meanwhile(self):
        d = Dockerd()  # its socket path is known before it runs
        self.addCleanup(d.cleanup)
        a = self.agent(d.docker_host)
        started = time.monotonic()
        time.sleep(2.5)
        self.assertTrue(a.alive(), a.log()[-20:])
        self.assertEqual(self.notify.times("READY"), [], "READY=1 before the engine was ever listed")
        self.assertTrue(any("container engine has not been listed" in s for s in self.notify.statuses()),
                        self.notify.statuses())
        self.assert_pings(started + 0.2, time.monotonic())

        d.start()
        ready = self.notify.wait("READY", "1", 30)
        self.assertTrue(ready, "no READY=1 after the engine came up: %s\n%s" % (self.notify.statuses(),
                                                                               "\n".join(a.log()[-20:])))
        self.assertTrue(self.notify.statuses()[-1].startswith("in sync: "), self.notify.statuses())
        self.assertEqual(len(self.notify.times("READY")), 1)
        time.sleep(1.5)
        self.assert_pings(ready[0], time.monotonic())
        self.assertEqual(len(self.notify.times("READY")), 1, "READY=1 is sent once")

        self.assertEqual(a.stop(signal.SIGTERM), 0)
        self.assertTrue(self.notify.times("STOPPING", "1"), self.notify.all()[-5:])
        stopping = self.notify.times("STOPPING", "1")[0]
        self.assertEqual([t for t in self.notify.times("WATCHDOG") if t > stopping + 0.05], [],
                         "no watchdog ping after STOPPING=1")

    def test_records_are_served_when_ready_is_sent(self):
        d = Dockerd()
        self.addCleanup(d.cleanup)
        d.start()
        d.ensure_image()
        names = []
        for i in range(5):
            port = free_port(both=False)
            service = "web%d-%s" % (i, uuid.uuid4().hex[:6])
            d.run_container(service, ["httpd", "-f", "-p", "127.0.0.1:%d" % port],
                            env={"SERVICE_%d_NAME" % port: service})
            names.append(service)
        a = self.agent(d.docker_host)
        self.assertTrue(self.notify.wait("READY", "1", 30), "\n".join(a.log()[-20:]))
        # Units ordered after the agent start now: every record is there.
        for service in names:
            self.assertEqual(dig_short(a.dns_port, "%s.%s" % (service, ZONE)), ["host1.%s." % ZONE, "127.0.0.1"])
        self.assertEqual(self.notify.statuses()[-1], "in sync: 6 records published",
                         "5 services and the host's A record")
        published = [l for l in a.events() if l.get("msg") == "record published"]
        self.assertGreaterEqual(len(published), 6)
        self.assertEqual(a.stop(), 0)
        d.remove_all_containers()

    def test_no_watchdog_pings_for_another_process(self):
        # WATCHDOG_PID names the process the watchdog is meant for (sd_watchdog_enabled(3)).
        a = self.agent("unix:///nonexistent/docker.sock", env={"WATCHDOG_PID": str(os.getpid())})
        time.sleep(1.5)
        self.assertTrue(a.alive())
        self.assertEqual(self.notify.times("WATCHDOG"), [])
        self.assertTrue(self.notify.statuses(), "STATUS= lines are still sent")
        self.assertEqual(a.stop(), 0)


class UnitFilesTest(unittest.TestCase):
    def test_units_verify_with_their_documentation(self):
        analyze = shutil.which("systemd-analyze")
        self.assertIsNotNone(analyze, "systemd-analyze is needed (package systemd)")
        man_page = os.path.join(build_dir(), "man", "ecssd.1")
        self.assertTrue(os.path.exists(man_page), "%s missing: build the dist target" % man_page)
        units = sorted(u for u in os.listdir(UNITS) if u.endswith((".service", ".timer")))
        self.assertEqual(units, ["ecssd-agent.service", "ecssd-reap.service", "ecssd-reap.timer"])
        with tempfile.TemporaryDirectory() as d:
            # The man page where man(1) finds it, as the packages install it.
            os.makedirs(os.path.join(d, "man", "man1"))
            shutil.copy(man_page, os.path.join(d, "man", "man1", "ecssd.1"))
            for unit in units:
                with open(os.path.join(UNITS, unit)) as f:
                    text = f.read()
                self.assertIn("Documentation=man:ecssd(1)\n", text, unit)
                self.assertNotIn("http", text.split("[Unit]", 1)[1].split("\n[", 1)[0], unit)
                if unit.endswith(".service"):
                    self.assertIn("ExecStart=/usr/local/bin/ecssd ", text, unit)
                # Verified against the built binary.
                with open(os.path.join(d, unit), "w") as f:
                    f.write(text.replace("/usr/local/bin/ecssd", os.environ["ECSSD_BIN"]))
            env = dict(os.environ, MANPATH=os.path.join(d, "man"))
            r = subprocess.run([analyze, "verify", "--man=yes"] + units, cwd=d, env=env,
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(r.stderr.strip(), "", r.stderr)
        with open(os.path.join(UNITS, "ecssd-agent.service")) as f:
            agent = f.read()
        for line in ("Type=notify", "WatchdogSec=30s", "NotifyAccess=main"):
            self.assertIn("\n" + line + "\n", agent)
        # Withdrawal on stop stays opt-in: only in a comment.
        self.assertNotIn("\nExecStopPost=", agent)


if __name__ == "__main__":
    unittest.main()
