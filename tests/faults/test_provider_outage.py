"""Fault: the provider is unreachable for OUTAGE seconds (2 minutes; 15 s in
the quick form) in the middle of a burst. Route 53: the fault proxy answers
nothing at all (each call is held, then its connection closed: packets lost,
the agent's own timeouts decide, and a change may or may not have been
applied). RFC 2136: BIND is stopped and started again with its journal.
Records already published stay; the burst's changes arrive after."""
import unittest

import fault_kit  # noqa: F401 (puts the integration harness on sys.path)
from fault_kit import config
from fault_kit.scenario import Scenario
from fault_kit.sides import Rfc2136Side, Route53Side
from fault_kit.world import World

W = World()
FAULT = "provider unreachable"


def setUpModule():
    W.start(moto=True)


def tearDownModule():
    W.stop()


class Route53OutageTest(unittest.TestCase):
    def test_route53_silent_for_the_outage(self):
        side = Route53Side(W.moto)
        s = Scenario(self, side, W.dockerd, FAULT)
        s.run(inject=lambda: side.proxy.set_outage("silent"), heal=lambda: side.proxy.set_outage(False),
              hold=config.OUTAGE)
        s.check()
        held = side.proxy.count(injected=True, since=s.fault_start)
        self.assertGreater(held, 0, "calls were held unanswered")
        self.assertTrue(s.logged("retrying"), "the agent noticed the outage")


class Rfc2136OutageTest(unittest.TestCase):
    def test_bind_stopped_for_the_outage(self):
        side = Rfc2136Side()
        s = Scenario(self, side, W.dockerd, FAULT)
        s.run(inject=side.server.halt, heal=side.server.resume, hold=config.OUTAGE)
        s.check()
        self.assertTrue(s.logged("provider failed"), "the agent noticed the outage")


if __name__ == "__main__":
    unittest.main()
