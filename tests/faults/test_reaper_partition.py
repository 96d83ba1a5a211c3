"""Fault: `ecssd reap` is cut off from every target while the agent deploys.
The reaper runs inside a network namespace the test made: its 127.0.0.1 is
the namespace's own, a bridge carries its provider connections (Route 53
through the proxy, or BIND) out over a unix socket, and every other TCP
connect is silently dropped there (a firewall rule inside the namespace; the
machine's network is untouched). So every target times out, as across a
network partition, while the provider answers. The containers serve HTTP on
their ports; those started before the burst are older than the reaper's
--grace, those of the burst younger. Passes run back to back during the
fault: each must delete nothing. A pass from outside the namespace then
finds every target healthy."""
import json
import os
import subprocess
import threading
import time
import unittest

import fault_kit  # noqa: F401 (puts the integration harness on sys.path)
from fault_kit import config
from fault_kit.scenario import Scenario
from fault_kit.sides import Rfc2136Side, Route53Side
from fault_kit.world import World
from harness.agent import ecssd_bin
from harness.netns import Netns

W = World()
FAULT = "reaper partitioned from every target"
GRACE = 4 if config.QUICK else 20  # seconds: the burst's containers are younger, the others older
REAP = ["--grace", f"{GRACE}s", "--check-interval", "200ms", "--check-timeout", "1s", "--output", "json",
        "--log-format", "json"]


def setUpModule():
    W.start(moto=True)


def tearDownModule():
    W.stop()


class ReaperPartition:
    def reap(self, side, port, wrap=lambda argv: argv):
        argv = [ecssd_bin(), "reap", "--once"] + self.provider_args(side, port) + REAP
        r = subprocess.run(wrap(argv), env=self.env(side, port), capture_output=True, text=True, timeout=300)
        report = json.loads(r.stdout) if r.stdout.strip() else None
        return r.returncode, report, r.stderr

    def test_reaper_cut_off_from_every_target(self):
        side = self.side()
        s = Scenario(self, side, W.dockerd, FAULT, listen=True)
        ns = Netns()
        passes, stop = [], threading.Event()

        def run_passes():
            while not stop.is_set():
                passes.append(self.reap(side, inside, ns.wrap))

        thread = threading.Thread(target=run_passes, daemon=True)

        def inject():
            thread.start()

        def heal():
            stop.set()
            thread.join(300)

        def age():
            time.sleep(GRACE + 1)
        ns.start()
        self.addCleanup(ns.stop)
        inside = ns.bridge(self.endpoint(side))
        ns.drop_all_but(inside)
        s.run(inject=inject, heal=heal, hold=config.HOLD, after_prepare=age)
        deleted = sum(report["deleted"] for _, report, _ in passes if report)
        s.report_extra = {"passes": len(passes), "deleted": deleted}
        s.check()
        self.assertTrue(passes, "no reaper pass ran")
        for rc, report, err in passes:
            self.assertIsNotNone(report, err[-2000:])
            self.assertEqual(report["deleted"], 0, json.dumps(report, indent=1)[:4000])
        self.assertTrue(any(report["dead"] > 0 for _, report, _ in passes), "the partition was felt")
        rc, report, err = self.reap(side, self.endpoint(side))
        self.assertEqual((rc, report["dead"], report["deleted"]), (0, 0, 0), err[-2000:])


class Route53ReaperPartitionTest(ReaperPartition, unittest.TestCase):
    def side(self):
        return Route53Side(W.moto)

    def endpoint(self, side):
        return side.proxy.port

    def provider_args(self, side, port):
        return ["--provider", "route53", "--zone", side.zone]

    def env(self, side, port):
        return side.moto.env(HOME=side.home.name, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}")


class Rfc2136ReaperPartitionTest(ReaperPartition, unittest.TestCase):
    def side(self):
        return Rfc2136Side()

    def endpoint(self, side):
        return side.server.port

    def provider_args(self, side, port):
        return ["--provider", "rfc2136", "--zone", side.zone, "--rfc2136-server", f"127.0.0.1:{port}",
                "--tsig-key-file", side.key_file]

    def env(self, side, port):
        return dict(os.environ, AWS_EC2_METADATA_DISABLED="true")


if __name__ == "__main__":
    unittest.main()
