"""Fault: the agent is SIGKILLed mid-burst and started again at once, with
the same flags. Route 53 and RFC 2136 keep the records while no agent runs
(none of a running container may go missing); the embedded responder dies
with the agent and must come back with exactly the engine's containers."""
import unittest

import fault_kit  # noqa: F401 (puts the integration harness on sys.path)
from fault_kit.scenario import Scenario
from fault_kit.sides import EmbeddedSide, Rfc2136Side, Route53Side
from fault_kit.world import World

W = World()
FAULT = "agent SIGKILLed and restarted"


def setUpModule():
    W.start(moto=True)


def tearDownModule():
    W.stop()


class AgentKill:
    persistent = True  # the zone outlives the agent

    def test_sigkill_mid_burst_then_restart(self):
        s = Scenario(self, self.side(), W.dockerd, FAULT)
        s.run(inject=s.agent.kill, heal=lambda: s.agent.start(ready=False), hold=1, sample=self.persistent)
        s.check()
        self.assertEqual(len(s.agent.runs), 2)


class Route53AgentKillTest(AgentKill, unittest.TestCase):
    def side(self):
        return Route53Side(W.moto)


class Rfc2136AgentKillTest(AgentKill, unittest.TestCase):
    def side(self):
        return Rfc2136Side()


class EmbeddedAgentKillTest(AgentKill, unittest.TestCase):
    persistent = False

    def side(self):
        return EmbeddedSide()


if __name__ == "__main__":
    unittest.main()
