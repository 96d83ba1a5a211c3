"""The Route 53 agent when the API misbehaves: a proxy in front of moto
answers `Throttling` to a share of calls, or nothing but 503 for a while.
Nothing is lost, nothing is replayed per event, the zone converges; checked
with boto3."""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.route53_agent import AgentTestCase, ecssd_sets, wait_until  # noqa: E402


class AgentRoute53FaultsTest(AgentTestCase, unittest.TestCase):

    def companions_match(self):
        """Every record of this host has its companion TXT, and every companion its record."""
        sets = ecssd_sets(self.r53, self.zone_id, self.OWNER)
        mains = {("%s._ecssd.%s" % (rs["Type"].lower(), rs["Name"]), rs["SetIdentifier"]) for rs in sets
                 if rs["Type"] != "TXT"}
        comps = {(rs["Name"], rs["SetIdentifier"]) for rs in sets if rs["Type"] == "TXT"}
        return mains == comps

    def test_throttled_share_of_calls_same_final_state(self):
        self.proxy.throttle_share = 0.35  # every third Route 53 call
        agent = self.start_agent()
        self.assertTrue(agent.wait_ready(60), agent.text()[-3000:])
        running = {}
        # Changes spread over several batches (1 s each), so that many
        # listings and change requests meet the throttling.
        for i in range(10):
            service = "web" if i % 2 else "api"
            running["t%d" % i] = (service, self.run_service("t%d" % i, service, 18200 + i))
            time.sleep(0.5)
        for name in ("t1", "t4", "t8"):
            self.remove(name)
            del running[name]
            time.sleep(1.2)
        agent.proc.send_signal(signal.SIGHUP)  # a full relisting, throttled too
        for i in range(10, 13):
            running["t%d" % i] = ("admin", self.run_service("t%d" % i, "admin", 18200 + i))

        want = self.expect(running.values())
        self.assertTrue(self.wait_cnames(want, 120), "%s\n%s" % (self.cnames() ^ want, agent.text()[-4000:]))
        self.assertTrue(self.companions_match())
        time.sleep(2)
        self.assertEqual(self.cnames(), want, "stays converged")
        throttled = self.proxy.count(injected=True)
        self.assertGreater(throttled, 0, "the proxy throttled some calls")
        self.assertGreater(agent.metric("ecssd_route53_retries_total", 'reason="throttled"'), 0)
        # No record of a removed container that was never published needs to
        # have been written; all this host's writes are to its own sets.
        for call in self.proxy.snapshot():
            for _, name, _, sid in call["changes"]:
                self.assertTrue(sid.startswith("ecssd:%s:" % self.OWNER), sid)
        self.assert_foreign_untouched()
        self.assertTrue(agent.wait_ready(10), agent.readyz())
        lists = self.proxy.count("ListResourceRecordSets")
        self.assertGreaterEqual(lists, 2, "the start-up listing and the SIGHUP resync")
        print("throttled %d of %d Route 53 calls (%d listings)" % (throttled, self.proxy.count(), lists),
              file=sys.stderr)

    def test_outage_queues_the_desired_state_and_converges(self):
        agent = self.start_agent()
        self.assertTrue(agent.wait_ready(60), agent.text()[-3000:])
        kept = self.run_service("kept", "web", 18301)
        self.assertTrue(self.wait_cnames(self.expect([("web", kept)]), 10))

        # The API goes away; containers come and go meanwhile.
        self.proxy.outage = True
        outage_start = time.time()
        started = {}
        for i in range(6):
            started["o%d" % i] = self.run_service("o%d" % i, "web", 18310 + i)
        self.remove("kept", "o0", "o1")
        short_lived = {started.pop("o0")[:12], started.pop("o1")[:12]}
        self.assertTrue(wait_until(lambda: agent.readyz()[0] == 503, 20), agent.readyz())
        self.assertIn("ServiceUnavailable", agent.readyz()[1])
        time.sleep(15)
        self.assertEqual(self.cnames(), self.expect([("web", kept)]), "nothing reaches the zone during the outage")
        failed_during = self.proxy.count(injected=True)
        self.assertGreater(failed_during, 0)

        # Back: the zone converges to the desired state in a few calls, not
        # one per event that happened meanwhile.
        self.proxy.outage = False
        back = time.time()
        want = self.expect([("web", cid) for cid in started.values()])
        self.assertTrue(self.wait_cnames(want, 60), "%s\n%s" % (self.cnames() ^ want, agent.text()[-4000:]))
        self.assertTrue(self.companions_match())
        self.assertTrue(agent.wait_ready(10), agent.readyz())
        changes_after = [c for c in self.proxy.snapshot()
                         if c["op"] == "ChangeResourceRecordSets" and c["start"] >= back and not c["injected"]]
        self.assertLessEqual(len(changes_after), 2, changes_after)
        written = {sid.split(":")[2] for c in self.proxy.snapshot() for _, _, _, sid in c["changes"]
                   if c["start"] >= outage_start and not c["injected"] and sid.count(":") >= 3}
        self.assertFalse(written & short_lived, "containers gone before the API came back are never written")
        self.assert_foreign_untouched()
        print("outage: %d calls failed; %d change call(s) after it" % (failed_during, len(changes_after)),
              file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
