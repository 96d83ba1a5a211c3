"""Fault: dockerd is restarted mid-burst (SIGTERM, then started again), the
way a package upgrade or a daemon crash does it. Without live-restore every
container stops with it; the ones started with --restart always come back
(same ids), the others stay stopped: the zone must end with exactly the
former's records and nothing of the latter, on every provider."""
import unittest

import fault_kit  # noqa: F401 (puts the integration harness on sys.path)
from fault_kit.scenario import Scenario
from fault_kit.sides import EmbeddedSide, Rfc2136Side, Route53Side
from fault_kit.world import World

W = World()
FAULT = "dockerd restarted"


def setUpModule():
    W.start(moto=True)


def tearDownModule():
    W.stop()


class DockerdRestart:
    def test_dockerd_restarted_mid_burst(self):
        s = Scenario(self, self.side(), W.dockerd, FAULT, stable_restart="always")
        # Every container stops with dockerd, those that run throughout too: their records may
        # blink, the final state is what counts (the sampler is off).
        s.run(inject=W.dockerd.stop, heal=W.dockerd.start, hold=2, sample=False)
        s.check()
        self.assertTrue(s.logged("Docker"), "the agent saw the engine go")


class Route53DockerdRestartTest(DockerdRestart, unittest.TestCase):
    def side(self):
        return Route53Side(W.moto)


class Rfc2136DockerdRestartTest(DockerdRestart, unittest.TestCase):
    def side(self):
        return Rfc2136Side()


class EmbeddedDockerdRestartTest(DockerdRestart, unittest.TestCase):
    def side(self):
        return EmbeddedSide()


if __name__ == "__main__":
    unittest.main()
