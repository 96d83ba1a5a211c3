"""The Docker source against a real private dockerd.

tests/tools/ecssd_watch runs source::DockerSource and prints the service
snapshot as one JSON line on every change; these tests drive dockerd with the
docker CLI and check the snapshots (and the watcher's log) against what the
engine itself reports. Containers use host networking and listen, when they
listen at all, on 127.0.0.1.
"""

import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.dockerd import Dockerd, PodmanService  # noqa: E402
from harness.ports import free_port  # noqa: E402

PUBLISH_DEADLINE = 2.0  # seconds, from the brief


def watch_binary():
    path = os.environ.get("ECSSD_WATCH")
    if not path:
        path = os.path.join(os.path.dirname(os.environ["ECSSD_BIN"]), "tests", "tools", "ecssd_watch")
    if not os.access(path, os.X_OK):
        raise RuntimeError("ecssd_watch not built: %s (ninja -C build ecssd_watch)" % path)
    return path


class Watcher:
    """Runs ecssd_watch; collects its snapshots (stdout) and log lines (stderr)."""

    def __init__(self, docker_host, *args):
        self.proc = subprocess.Popen([watch_binary(), "--docker-host", docker_host, "--log-format", "json", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.cond = threading.Condition()
        self.snapshots = []  # (monotonic time, parsed line)
        self.logs = []  # parsed JSON log lines (raw text for anything else)
        self._threads = [threading.Thread(target=self._read, args=(self.proc.stdout, self.snapshots), daemon=True),
                         threading.Thread(target=self._read, args=(self.proc.stderr, self.logs), daemon=True)]
        for t in self._threads:
            t.start()

    def _read(self, stream, into):
        for line in stream:
            try:
                item = json.loads(line)
            except ValueError:
                item = {"raw": line.rstrip("\n")}
            with self.cond:
                into.append((time.monotonic(), item) if into is self.snapshots else item)
                self.cond.notify_all()

    def services(self):
        with self.cond:
            return self.snapshots[-1][1]["services"] if self.snapshots else None

    def mark(self):
        """The position from which wait_for looks: take it before acting."""
        with self.cond:
            return len(self.snapshots)

    def wait_for(self, predicate, timeout, mark=0):
        """Waits for a snapshot (from `mark` on) whose services satisfy predicate.
        Returns (monotonic time printed, services) or None."""
        deadline = time.monotonic() + timeout
        with self.cond:
            seen = mark
            while True:
                for t, snap in self.snapshots[seen:]:
                    if predicate(snap["services"]):
                        return t, snap["services"]
                seen = len(self.snapshots)
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return None
                self.cond.wait(left)

    def wait_log(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                hits = [l for l in self.logs if predicate(l)]
                if hits:
                    return hits
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                self.cond.wait(left)

    def log_lines(self, msg):
        with self.cond:
            return [l for l in self.logs if l.get("msg") == msg]

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for t in self._threads:
            t.join(timeout=5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode


def named(name):
    return lambda services: any(s["name"] == name for s in services)


def not_named(name):
    return lambda services: not any(s["name"] == name for s in services)


class _EngineTest(unittest.TestCase):
    """One private engine per test class; a fresh watcher per test."""
    engine_class = None

    @classmethod
    def setUpClass(cls):
        cls.engine = cls.engine_class()
        try:
            cls.engine.start()
            cls.engine.ensure_image()
        except BaseException:
            cls.engine.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.engine.cleanup()

    def setUp(self):
        self.watchers = []

    def tearDown(self):
        for w in self.watchers:
            rc = w.stop()
            # A clean exit on SIGTERM (and, in sanitizer builds, no leak report).
            self.assertEqual(rc, 0, "ecssd_watch exited with %s: %s" % (rc, [l for l in w.logs if "raw" in l][-20:]))
        if not self.engine.running():
            self.engine.start()
        self.engine.remove_all_containers()

    def watch(self, *args):
        w = Watcher(self.engine.docker_host, *args)
        self.watchers.append(w)
        self.assertIsNotNone(w.wait_for(lambda s: True, 10), "the watcher never synced: %s" % w.logs)
        return w


class DockerSourceTest(_EngineTest):
    engine_class = Dockerd

    @property
    def dockerd(self):
        return self.engine

    def test_host_network_service_appears_and_goes(self):
        w = self.watch()
        port = free_port()
        mark = w.mark()
        t0 = time.monotonic()
        cid = self.dockerd.run_container("web-host", ["httpd", "-f", "-p", "127.0.0.1:%d" % port],
                                         env={"SERVICE_%d_NAME" % port: "web"})
        t_returned = time.monotonic()
        seen = w.wait_for(named("web"), PUBLISH_DEADLINE, mark)
        self.assertIsNotNone(seen, "web not published within %ss: %s" % (PUBLISH_DEADLINE, w.logs))
        print("published %.0f ms after docker run began, %.0f ms after it returned" %
              ((seen[0] - t0) * 1000, (seen[0] - t_returned) * 1000), file=sys.stderr)
        [svc] = [s for s in seen[1] if s["name"] == "web"]
        # What the engine itself says.
        info = self.dockerd.inspect("web-host")
        self.assertEqual(svc["container_id"], cid)
        self.assertEqual(svc["container_id"], info["Id"])
        self.assertEqual(svc["container_name"], "web-host")
        self.assertEqual(svc["container_port"], port)
        self.assertEqual(svc["host_port"], port)
        self.assertEqual(svc["protocol"], "tcp")
        self.assertEqual(info["HostConfig"]["NetworkMode"], "host")
        # And the service is real: it answers where the snapshot says.
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/" % svc["host_port"], timeout=5) as r:
                status = r.status
        except urllib.error.HTTPError as e:  # httpd serves no index page: 404 is an answer
            status = e.code
        self.assertIn(status, (200, 404))

        mark = w.mark()
        t1 = time.monotonic()
        self.dockerd.docker("stop", "-t", "1", "web-host")
        gone = w.wait_for(not_named("web"), PUBLISH_DEADLINE, mark)
        self.assertIsNotNone(gone, "web still published %ss after docker stop" % PUBLISH_DEADLINE)
        print("withdraw after docker stop began: %.0f ms" % ((gone[0] - t1) * 1000), file=sys.stderr)
        self.assertFalse(self.dockerd.inspect("web-host")["State"]["Running"])
        self.assertTrue(w.alive())

    def test_health_checked_container_appears_only_once_healthy(self):
        w = self.watch()
        port = free_port()
        self.dockerd.run_container("hc-web", ["sleep", "3600"], env={"SERVICE_%d_NAME" % port: "hcweb"},
                                   health_cmd="test -f /tmp/ok", health_interval="500ms")
        # Not healthy yet: the check fails until /tmp/ok exists.
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            self.assertNotIn("hcweb", [s["name"] for s in (w.services() or [])])
            time.sleep(0.1)
        self.assertIn(self.dockerd.inspect("hc-web")["State"]["Health"]["Status"], ("starting", "unhealthy"))
        mark = w.mark()
        self.dockerd.docker("exec", "hc-web", "touch", "/tmp/ok")
        seen = w.wait_for(named("hcweb"), 10, mark)
        self.assertIsNotNone(seen, "hcweb never published after turning healthy: %s" % w.logs)
        self.assertEqual(self.dockerd.inspect("hc-web")["State"]["Health"]["Status"], "healthy")
        # Failing again withdraws it.
        mark = w.mark()
        self.dockerd.docker("exec", "hc-web", "rm", "/tmp/ok")
        self.assertIsNotNone(w.wait_for(not_named("hcweb"), 10, mark), "hcweb still published while unhealthy")
        self.assertEqual(self.dockerd.inspect("hc-web")["State"]["Health"]["Status"], "unhealthy")

    def test_bad_container_is_rejected_once_and_the_watcher_keeps_running(self):
        w = self.watch("--log-level", "debug")
        good = free_port()
        mark = w.mark()
        cid = self.dockerd.run_container("bad", ["sleep", "3600"], env={
            "SERVICE_abc_NAME": "x",
            "SERVICE_80_NAME": "bad name!",
            "SERVICE_99999_NAME": "toolarge",
            "SERVICE_%d_NAME" % good: "good",
        })
        self.assertIsNotNone(w.wait_for(named("good"), PUBLISH_DEADLINE, mark), w.logs)
        rejected = w.wait_log(lambda l: l.get("msg") == "ignoring service variable", 2)
        self.assertEqual(sorted(l["variable"] for l in rejected),
                         ["SERVICE_80_NAME", "SERVICE_99999_NAME", "SERVICE_abc_NAME"])
        for line in rejected:
            self.assertEqual(line["container"], cid[:12])
            self.assertEqual(line["name"], "bad")
            self.assertTrue(line["reason"])
            self.assertEqual(line["level"], "warn")
        # A full relisting (SIGHUP) inspects it again but does not log again.
        relists = len(w.log_lines("Docker containers relisted"))
        w.proc.send_signal(signal.SIGHUP)
        self.assertTrue(w.wait_log(lambda l: l.get("msg") == "Docker containers relisted" and
                                   len(w.log_lines("Docker containers relisted")) > relists, 5))
        self.assertEqual(len(w.log_lines("ignoring service variable")), 3)
        self.assertEqual(sorted(s["name"] for s in w.services()), ["good"])
        # Still watching.
        self.assertTrue(w.alive())
        other = free_port()
        mark = w.mark()
        self.dockerd.run_container("after-bad", ["sleep", "3600"], env={"SERVICE_%d_NAME" % other: "after"})
        self.assertIsNotNone(w.wait_for(named("after"), PUBLISH_DEADLINE, mark))

    def test_burst_of_containers_all_published_and_withdrawn(self):
        w = self.watch()
        count = 20
        ports = [free_port() for _ in range(count)]
        mark = w.mark()

        def run(i):
            return self.dockerd.run_container("burst%d" % i, ["sleep", "3600"],
                                              env={"SERVICE_%d_NAME" % ports[i]: "burst%d" % i})

        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            ids = list(pool.map(run, range(count)))
        t_last = time.monotonic()
        wanted = {"burst%d" % i for i in range(count)}
        seen = w.wait_for(lambda s: wanted <= {x["name"] for x in s}, PUBLISH_DEADLINE, mark)
        self.assertIsNotNone(seen, "not all published: %s" % sorted(wanted - {x["name"] for x in w.services()}))
        print("burst of %d: all published %.0f ms after the last docker run returned" %
              (count, (seen[0] - t_last) * 1000), file=sys.stderr)
        by_name = {x["name"]: x for x in seen[1]}
        for i in range(count):
            self.assertEqual(by_name["burst%d" % i]["container_id"], ids[i])
            self.assertEqual(by_name["burst%d" % i]["host_port"], ports[i])

        mark = w.mark()
        self.dockerd.docker("rm", "-f", *ids)
        t_removed = time.monotonic()
        gone = w.wait_for(lambda s: not (wanted & {x["name"] for x in s}), PUBLISH_DEADLINE, mark)
        self.assertIsNotNone(gone, "still published after docker rm -f: %s" % w.services())
        print("burst of %d: all withdrawn %.0f ms after docker rm -f returned" % (count, (gone[0] - t_removed) * 1000),
              file=sys.stderr)

    def test_zz_dockerd_restart_under_the_watcher_converges(self):
        # Named to run last: it restarts the shared daemon.
        w = self.watch("--backoff-base", "200ms", "--backoff-cap", "1s")
        p_alive, p_gone, p_late = free_port(), free_port(), free_port()
        mark = w.mark()
        self.dockerd.run_container("alive", ["sleep", "3600"], env={"SERVICE_%d_NAME" % p_alive: "alive"},
                                   restart="always")
        self.dockerd.run_container("gone", ["sleep", "3600"], env={"SERVICE_%d_NAME" % p_gone: "gone"})
        self.assertIsNotNone(w.wait_for(lambda s: named("alive")(s) and named("gone")(s), PUBLISH_DEADLINE, mark))
        alive_before = [s for s in w.services() if s["name"] == "alive"][0]

        mark = w.mark()
        self.dockerd.stop()
        self.assertTrue(w.wait_log(lambda l: l.get("msg") == "lost the Docker engine; reconnecting with backoff", 10),
                        w.logs)
        time.sleep(1.5)  # several failed retries while the engine is away
        self.dockerd.start()
        # Started before the watcher is back (or just after): either way it must show up.
        self.dockerd.run_container("late", ["sleep", "3600"], env={"SERVICE_%d_NAME" % p_late: "late"})

        def converged(services):
            return named("alive")(services) and named("late")(services) and not_named("gone")(services)

        self.assertIsNotNone(w.wait_for(converged, 15, mark), "no convergence: %s\n%s" % (w.services(), w.logs))
        self.assertTrue(w.log_lines("Docker engine reconnected"))
        self.assertEqual(len(w.log_lines("lost the Docker engine; reconnecting with backoff")), 1)
        self.assertEqual(len(w.log_lines("the Docker engine is still unreachable")), 0)
        # The engine agrees: alive was restarted by its policy, gone is not running.
        self.assertTrue(self.dockerd.inspect("alive")["State"]["Running"])
        self.assertFalse(self.dockerd.inspect("gone")["State"]["Running"])
        alive_after = [s for s in w.services() if s["name"] == "alive"][0]
        self.assertGreaterEqual(alive_after["started_unix"], alive_before["started_unix"])
        self.assertTrue(w.alive())


class PodmanSourceTest(_EngineTest):
    """Podman 4's Docker-compatible API (podman system service)."""
    engine_class = PodmanService

    def test_podman_service_appears_and_goes(self):
        w = self.watch()
        port = free_port()
        mark = w.mark()
        cid = self.engine.run_container("pweb", ["httpd", "-f", "-p", "127.0.0.1:%d" % port],
                                        env={"SERVICE_%d_NAME" % port: "papi"})
        t_returned = time.monotonic()
        seen = w.wait_for(named("papi"), PUBLISH_DEADLINE, mark)
        self.assertIsNotNone(seen, "papi not published within %ss: %s" % (PUBLISH_DEADLINE, w.logs))
        print("podman: published %.0f ms after podman run returned" % ((seen[0] - t_returned) * 1000),
              file=sys.stderr)
        [svc] = [s for s in seen[1] if s["name"] == "papi"]
        info = self.engine.inspect("pweb")
        self.assertEqual(svc["container_id"], cid)
        self.assertEqual(svc["container_id"], info["Id"])
        self.assertEqual(svc["host_port"], port)
        self.assertTrue(any(l.get("msg") == "Docker engine connected" and l.get("engine", "").startswith("Libpod/")
                            for l in w.logs), w.logs)

        mark = w.mark()
        t1 = time.monotonic()
        self.engine.podman("stop", "-t", "1", "pweb")
        gone = w.wait_for(not_named("papi"), PUBLISH_DEADLINE, mark)
        self.assertIsNotNone(gone, "papi still published after podman stop")
        print("podman: withdrawn %.0f ms after podman stop began" % ((gone[0] - t1) * 1000), file=sys.stderr)
        self.engine.podman("rm", "pweb")
        self.assertTrue(w.wait_log(lambda l: l.get("msg") == "ignoring service variable", 0.5) == [])
        self.assertTrue(w.alive())

    def test_containers_changed_while_the_api_was_down_converge(self):
        w = self.watch("--backoff-base", "200ms", "--backoff-cap", "1s")
        p_early, p_late = free_port(), free_port()
        mark = w.mark()
        self.engine.run_container("early", ["sleep", "3600"], env={"SERVICE_%d_NAME" % p_early: "early"})
        self.assertIsNotNone(w.wait_for(named("early"), PUBLISH_DEADLINE, mark))

        mark = w.mark()
        self.engine.stop()  # the API goes away; the containers and the podman CLI do not
        self.assertTrue(w.wait_log(lambda l: l.get("msg") == "lost the Docker engine; reconnecting with backoff", 10))
        self.engine.podman("stop", "-t", "1", "early")
        self.engine.run_container("late", ["sleep", "3600"], env={"SERVICE_%d_NAME" % p_late: "late"})
        time.sleep(1.0)
        self.engine.start()
        converged = w.wait_for(lambda s: named("late")(s) and not_named("early")(s), 15, mark)
        self.assertIsNotNone(converged, "no convergence: %s\n%s" % (w.services(), w.logs))
        self.assertEqual(len(w.log_lines("lost the Docker engine; reconnecting with backoff")), 1)
        self.assertEqual(len(w.log_lines("Docker engine reconnected")), 1)
        self.assertTrue(self.engine.inspect("late")["State"]["Running"])
        self.assertFalse(self.engine.inspect("early")["State"]["Running"])


if __name__ == "__main__":
    unittest.main()
