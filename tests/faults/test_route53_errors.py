"""Faults of the Route 53 API while a burst runs, on every call of the agent
from the burst's start until the zone is exact (the time is measured from
the burst's end): 30% of the calls answered Throttling and 5% answered 500
(half of the 500s to changes moto did apply: the agent cannot know); then
PriorRequestNotComplete to every change sent within 2 s of the last one
applied, as Route 53 does while a change is PENDING. The burst's operations
come 1.2 s apart (each its own batch: one change call each) and the agent
relists every 3 s, so that changes and listings both meet the faults."""
import unittest

import fault_kit  # noqa: F401 (puts the integration harness on sys.path)
from fault_kit import config
from fault_kit.scenario import Scenario
from fault_kit.sides import Route53Side
from fault_kit.world import World

W = World()
PACED = {"pace": 1.2, "starts": 6 if config.QUICK else 16}
RESYNC = ["--resync", "3s"]


def setUpModule():
    W.start(moto=True)


def tearDownModule():
    W.stop()


class Route53ErrorsTest(unittest.TestCase):
    def test_throttled_30_percent_and_500_on_5_percent(self):
        side = Route53Side(W.moto)
        s = Scenario(self, side, W.dockerd, "30% of calls throttled, 5% answered 500", agent_extra=RESYNC)
        # The first 500 on the 2nd call let through: throttled, the agent paces
        # itself (docs/ROUTE53.md) and makes only about 10 calls in the quick
        # form, fewer than the 10 passed calls of the even spread's first 500.
        s.run(inject=lambda: side.proxy.set_error_rates(0.30, 0.05, error_phase=8),
              heal=lambda: side.proxy.set_error_rates(0, 0),
              throughout=True, **PACED)
        s.check()
        calls = [c for c in side.proxy.snapshot() if c["client"] == "ecssd" and c["start"] >= s.fault_start]
        throttled = sum(1 for c in calls if c["injected"] and "Throttling" in c["injected"])
        errors = sum(1 for c in calls if c["injected"] and "InternalFailure" in c["injected"])
        applied_then_failed = sum(1 for c in calls if c.get("applied_then_failed"))
        print(f"{len(calls)} calls: {throttled} throttled, {errors} answered 500 "
              f"({applied_then_failed} of them applied first)")
        self.assertGreater(throttled, 0)
        self.assertGreater(errors, 0)

    def test_prior_request_not_complete(self):
        side = Route53Side(W.moto)
        s = Scenario(self, side, W.dockerd, "PriorRequestNotComplete", agent_extra=RESYNC)

        def inject():
            side.proxy.prior_request_window = 2.0

        def heal():
            side.proxy.prior_request_window = 0.0
        s.run(inject=inject, heal=heal, throughout=True, **PACED)
        s.check()
        refused = side.proxy.count("ChangeResourceRecordSets", injected=True, since=s.fault_start)
        print(f"{refused} change calls answered PriorRequestNotComplete")
        self.assertGreater(refused, 0)


if __name__ == "__main__":
    unittest.main()
