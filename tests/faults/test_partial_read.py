"""Fault: the zone is read only in part. Route 53: page 2 of every listing
the agent makes is answered 500, or its body is cut half-way with the
connection closed (the zone holds some 700 record sets: three pages of
300). RFC 2136: every AXFR and IXFR through a TCP proxy in front of BIND is
cut after two messages (the zone holds 300 more RRs, in messages of 1 KiB).
The agent relists every 3 s meanwhile. A change planned on a partial read
could delete what the missing part holds: none may be sent, and the zone
converges once reads are whole again."""
import unittest

import fault_kit  # noqa: F401 (puts the integration harness on sys.path)
from fault_kit import config
from fault_kit.scenario import Scenario
from fault_kit.sides import Rfc2136Side, Route53Side
from fault_kit.world import World

W = World()
RESYNC = ["--resync", "3s"]


def setUpModule():
    W.start(moto=True)


def tearDownModule():
    W.stop()


class Route53PartialReadTest(unittest.TestCase):
    def partial(self, mode, fault):
        side = self._side = Route53Side(W.moto, foreign_extra=700)
        s = Scenario(self, side, W.dockerd, fault, agent_extra=RESYNC)

        def inject():
            side.proxy.list_fault = {"page": 2, "mode": mode}
        s.run(inject=inject, heal=lambda: setattr(side.proxy, "list_fault", None), hold=config.HOLD)
        s.check()
        faulted = [c for c in side.proxy.snapshot() if c["op"] == "ListResourceRecordSets" and c["injected"]]
        self.assertGreater(len(faulted), 0, "listings met the fault")
        self.assertEqual(side.proxy.changes_after_partial_listings(), [], "changes planned on a partial listing")
        print(f"{len(faulted)} listing pages failed or cut")

    def test_listing_page_2_fails(self):
        self.partial("error", "partial read: listing page 2 answered 500")

    def test_listing_page_2_cut(self):
        self.partial("cut", "partial read: listing page 2 cut mid-body")


class Rfc2136PartialReadTest(unittest.TestCase):
    def test_transfers_cut_mid_way(self):
        bulk = [{"name": f"bulk-{i}.svc.test", "type": "A", "ttl": 300, "values": [f"192.0.2.{i % 250 + 1}"]}
                for i in range(300)]
        side = Rfc2136Side(proxied=True, foreign_extra=bulk, bind_options=["transfer-message-size 1024;"])
        s = Scenario(self, side, W.dockerd, "partial read: AXFR/IXFR cut mid-way", agent_extra=RESYNC)

        def inject():
            side.proxy.cut_transfers = True
        s.run(inject=inject, heal=lambda: setattr(side.proxy, "cut_transfers", False), hold=config.HOLD)
        s.check()
        cut = side.proxy.count(cut=True)
        self.assertGreater(cut, 0, "transfers met the fault")
        print(f"{cut} transfers cut; {side.proxy.count(opcode='UPDATE', since=s.fault_start)} UPDATEs meanwhile")


if __name__ == "__main__":
    unittest.main()
