"""`ecssd agent --provider route53` end to end: a private dockerd, moto_server
behind a counting proxy, the zone read back with boto3.

Every test seeds the zone with records ecssd does not own (another tool's
weighted member of a name ecssd uses, another host's ecssd record and its
companion, an alias, a plain A, an MX) and checks they survive.
"""
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.aws_stubs import ImdsStub, closed_port  # noqa: E402
from harness.route53_agent import (AgentTestCase, create_zone, ecssd_sets, record_sets,  # noqa: E402
                                   run_agent_once, wait_until)

PUBLISH_DEADLINE = 2.0  # seconds from `docker run` returning, batch interval (1 s) included


class AgentRoute53Test(AgentTestCase, unittest.TestCase):

    def test_containers_published_within_deadline_and_withdrawn(self):
        agent = self.start_agent()
        self.assertTrue(agent.wait_ready(30), agent.text())
        running = []
        for name, service, port in (("web-1", "web", 18081), ("web-2", "web", 18082), ("api-1", "api", 18083)):
            cid = self.run_service(name, service, port)
            t0 = time.monotonic()
            running.append((service, cid))
            seen = wait_until(lambda: self.expect(running) <= self.cnames(), PUBLISH_DEADLINE + 3)
            took = time.monotonic() - t0
            self.assertTrue(seen, "%s never published: %s" % (name, agent.text()[-3000:]))
            print("%s published %.0f ms after docker run returned" % (name, took * 1000), file=sys.stderr)
            self.assertLessEqual(took, PUBLISH_DEADLINE, "%s published after %.2f s" % (name, took))

        # The records, as Route 53 holds them: weighted CNAMEs to the host, set
        # identifiers ecssd:<owner>:<container>:<port>-<proto>, a companion TXT
        # each, and the host's own A record (its name lies in the zone).
        sets = {(rs["Name"], rs["Type"], rs["SetIdentifier"]): rs for rs in ecssd_sets(self.r53, self.zone_id,
                                                                                        self.OWNER)}
        for (service, cid), port in zip(running, (18081, 18082, 18083)):
            sid = "ecssd:%s:%s:%d-tcp" % (self.OWNER, cid[:12], port)
            rs = sets[("%s.%s." % (service, self.ZONE), "CNAME", sid)]
            self.assertEqual(rs["ResourceRecords"], [{"Value": "h1.sd.test."}])
            self.assertEqual(rs["TTL"], 10)
            self.assertIn("Weight", rs)
            txt = sets[("cname._ecssd.%s.%s." % (service, self.ZONE), "TXT", sid)]
            value = txt["ResourceRecords"][0]["Value"]
            self.assertIn('"heritage=ecssd"', value)
            self.assertIn('"container=%s"' % cid, value)
        host = sets[("h1.sd.test.", "A", "ecssd:%s:host" % self.OWNER)]
        self.assertEqual(host["ResourceRecords"], [{"Value": self.HOST_IP}])
        self.assert_foreign_untouched()

        # Stopped: gone within the deadline, with its companion; the others stay.
        self.remove("web-1")
        t0 = time.monotonic()
        gone = wait_until(lambda: self.cnames() == self.expect(running[1:]), PUBLISH_DEADLINE + 3)
        took = time.monotonic() - t0
        self.assertTrue(gone, agent.text()[-3000:])
        self.assertLessEqual(took, PUBLISH_DEADLINE, "withdrawn after %.2f s" % took)
        names = {(rs["Name"], rs["SetIdentifier"]) for rs in ecssd_sets(self.r53, self.zone_id, self.OWNER)}
        self.assertFalse(any(running[0][1][:12] in sid for _, sid in names), names)

        # All stopped: nothing of this host is left, the host record included.
        self.remove("web-2", "api-1")
        self.assertTrue(wait_until(lambda: not ecssd_sets(self.r53, self.zone_id, self.OWNER), 5),
                        ecssd_sets(self.r53, self.zone_id, self.OWNER))
        self.assert_foreign_untouched()

        # One log line per change, naming the record and the container.
        published = agent.messages("record published")
        self.assertTrue(any(l.get("name") == "web.sd.test" and l.get("container") == "web-1" for l in published),
                        published)
        self.assertTrue(agent.messages("record withdrawn"))
        # Every change went out as weighted CREATE/DELETE of names in the zone.
        for call in self.proxy.snapshot():
            for action, name, rtype, sid in call["changes"]:
                self.assertIn(action, ("CREATE", "DELETE"))
                self.assertTrue(name.rstrip(".").endswith("." + self.ZONE), name)
                self.assertTrue(sid.startswith("ecssd:%s:" % self.OWNER), sid)
        self.assertEqual(agent.stop(), 0)

    def test_restart_after_kill_converges(self):
        agent = self.start_agent()
        self.assertTrue(agent.wait_ready(30), agent.text())
        a = self.run_service("ca", "web", 18091)
        b = self.run_service("cb", "api", 18092)
        self.assertTrue(self.wait_cnames(self.expect([("web", a), ("api", b)]), 10), agent.text()[-3000:])
        agent.kill()

        # While no agent runs: a stops, c starts.
        self.remove("ca")
        c = self.run_service("cc", "web", 18093)
        time.sleep(1)
        self.assertEqual(self.cnames(), self.expect([("web", a), ("api", b)]), "nothing changes without an agent")

        agent = self.start_agent()
        self.assertTrue(self.wait_cnames(self.expect([("api", b), ("web", c)]), 15), agent.text()[-3000:])
        self.assertTrue(agent.wait_ready(10))
        self.assert_foreign_untouched()
        self.assertEqual(agent.stop(), 0)
        # SIGTERM leaves the records: the containers still run.
        self.assertEqual(self.cnames(), self.expect([("api", b), ("web", c)]))

    def test_once_remove_all_and_dry_run(self):
        a = self.run_service("ca", "web", 18101)
        b = self.run_service("cb", "api", 18102)

        # --once --dry-run: the plan is logged, nothing changes.
        rc, logs, text = run_agent_once(self.base_args() + ["--once", "--dry-run"], self.env())
        self.assertEqual(rc, 0, text)
        would = [l for l in logs if l.get("msg") == "would publish"]
        self.assertEqual({(l["name"], l["type"]) for l in would},
                         {("web.sd.test", "CNAME"), ("api.sd.test", "CNAME"), ("h1.sd.test", "A")}, text)
        self.assertEqual(record_sets(self.r53, self.zone_id), self.before)
        self.assertEqual(self.proxy.count("ChangeResourceRecordSets"), 0)

        # --once: synced, then exits.
        rc, logs, text = run_agent_once(self.base_args() + ["--once"], self.env())
        self.assertEqual(rc, 0, text)
        self.assertEqual(self.cnames(), self.expect([("web", a), ("api", b)]))
        self.assertTrue([l for l in logs if l.get("msg") == "in sync"], text)

        # --once again after a container went: withdrawn; nothing else.
        self.remove("ca")
        rc, logs, text = run_agent_once(self.base_args() + ["--once"], self.env())
        self.assertEqual(rc, 0, text)
        self.assertEqual(self.cnames(), self.expect([("api", b)]))
        self.assert_foreign_untouched()

        # A long-running agent with --dry-run logs, and changes nothing.
        agent = self.start_agent("--dry-run")
        self.assertTrue(agent.wait_ready(30), agent.text())
        changes_before = self.proxy.count("ChangeResourceRecordSets")
        c = self.run_service("cc", "admin", 18103)
        hits = agent.wait_log(lambda l: l.get("msg") == "would publish" and l.get("name") == "admin.sd.test", 10)
        self.assertTrue(hits, agent.text()[-3000:])
        time.sleep(1.5)
        self.assertNotIn(("admin.sd.test.", c[:12]), self.cnames())
        self.assertEqual(self.proxy.count("ChangeResourceRecordSets"), changes_before)
        self.assertEqual(agent.stop(), 0)

        # --remove-all: every record of this host goes (containers still
        # running); other hosts' and foreign records stay.
        rc, logs, text = run_agent_once(self.base_args() + ["--remove-all"], self.env())
        self.assertEqual(rc, 0, text)
        self.assertEqual(ecssd_sets(self.r53, self.zone_id, self.OWNER), [])
        self.assertEqual(record_sets(self.r53, self.zone_id), self.before)
        rc, logs, text = run_agent_once(self.base_args() + ["--remove-all"], self.env())
        self.assertEqual(rc, 0, text)
        self.assertTrue([l for l in logs if l.get("msg") == "no records owned by this host"], text)

    def test_zone_missing_then_created_converges_without_restart(self):
        zone = "late.test"
        args = ["--zone", zone, "--docker-host", self.dockerd.docker_host, "--host-name", "h1", "--host-ip",
                self.HOST_IP]
        agent = self.start_agent(*args, base=False)
        cid = self.run_service("late", "web", 18111)
        errors = agent.wait_log(lambda l: l.get("level") == "error" and "late.test" in l.get("error", ""), 15)
        self.assertTrue(errors, agent.text())
        self.assertIn("no private hosted zone named late.test", errors[0]["error"])
        status, body = agent.readyz()
        self.assertEqual(status, 503, body)
        self.assertIn("late.test", body)
        time.sleep(3)  # a few background retries
        same = [l for l in agent.logs if l.get("level") == "error" and "late.test" in l.get("error", "")]
        self.assertEqual(len(same), 1, "one clear error, not one per retry: %s" % same)

        zone_id = create_zone(self.r53, zone)
        want = {("web.late.test.", cid[:12])}
        got = wait_until(lambda: {(rs["Name"], rs["SetIdentifier"].split(":")[2])
                                  for rs in ecssd_sets(self.r53, zone_id, "h1.late.test")
                                  if rs["Type"] == "CNAME"} == want, 60, 0.2)
        self.assertTrue(got, agent.text()[-3000:])
        self.assertTrue(agent.wait_ready(10), agent.readyz())
        self.assertTrue(agent.messages("provider reachable again"))
        self.assertTrue(agent.messages("route53: using hosted zone"))
        self.assertTrue(agent.alive())

    def test_no_credentials_then_provided_converges(self):
        env = self.env()
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            env.pop(name)
        agent = self.start_agent(env=env)
        cid = self.run_service("cred", "web", 18121)
        errors = agent.wait_log(lambda l: l.get("level") == "error" and "AWS_ACCESS_KEY_ID" in l.get("error", ""),
                                15)
        self.assertTrue(errors, agent.text())
        status, body = agent.readyz()
        self.assertEqual(status, 503, body)
        self.assertIn("credentials", body)

        # Credentials appear in the shared file: picked up without a restart.
        os.makedirs(os.path.join(self.home.name, ".aws"))
        with open(os.path.join(self.home.name, ".aws", "credentials"), "w") as f:
            f.write("[default]\naws_access_key_id = AKIDLATE\naws_secret_access_key = late-secret-value-1234\n")
        self.assertTrue(self.wait_cnames(self.expect([("web", cid)]), 60), agent.text()[-3000:])
        self.assertTrue(agent.wait_ready(10), agent.readyz())
        self.assertIn("AKIDLATE", {c["access_key"] for c in self.proxy.snapshot()})
        self.assertNotIn("late-secret-value-1234", agent.text())
        self.assert_foreign_untouched()

    def test_access_denied_then_allowed_converges(self):
        self.proxy.deny_ops = {"ChangeResourceRecordSets"}
        agent = self.start_agent()
        cid = self.run_service("denied", "web", 18131)
        errors = agent.wait_log(lambda l: l.get("level") == "error" and
                                "route53:ChangeResourceRecordSets" in l.get("error", ""), 15)
        self.assertTrue(errors, agent.text())
        self.assertIn("allow it", errors[0]["error"])
        self.assertTrue(wait_until(lambda: agent.readyz()[0] == 503, 5), agent.readyz())
        self.assertIn("denied", agent.readyz()[1])
        self.assertEqual(self.cnames(), set())

        self.proxy.deny_ops = set()
        self.assertTrue(self.wait_cnames(self.expect([("web", cid)]), 60), agent.text()[-3000:])
        self.assertTrue(agent.wait_ready(10))
        self.assert_foreign_untouched()


class AgentInstanceMetadataTest(AgentTestCase, unittest.TestCase):
    """The host's identity and credentials from an IMDSv2 stub on loopback."""

    def imds_env(self, stub, **extra):
        env = self.env()
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED"):
            env.pop(name, None)
        env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = stub.url
        env.update(extra)
        return env

    def test_host_name_ip_instance_and_role_credentials_from_imds(self):
        cid = self.run_service("imds", "web", 18141)
        with ImdsStub(region="us-east-1") as stub:
            env = self.imds_env(stub)
            args = ["--zone", self.ZONE, "--docker-host", self.dockerd.docker_host, "--log-level", "trace"]
            rc, logs, text = run_agent_once(args + ["--once"], env)
            self.assertEqual(rc, 0, text)
            host = stub.metadata["local-hostname"]
            owner = host  # the owner id defaults to the host name
            sets = ecssd_sets(self.r53, self.zone_id, owner)
            cname = [rs for rs in sets if rs["Type"] == "CNAME"]
            self.assertEqual(len(cname), 1, sets)
            self.assertEqual(cname[0]["ResourceRecords"], [{"Value": host + "."}])
            self.assertIn(cid[:12], cname[0]["SetIdentifier"])
            txt = [rs for rs in sets if rs["Type"] == "TXT"][0]["ResourceRecords"][0]["Value"]
            self.assertIn('"instance=%s"' % stub.metadata["instance-id"], txt)

            # A-record mode publishes the instance's private address.
            rc, logs2, text2 = run_agent_once(args + ["--once", "--record-mode", "a", "--owner-id", "imds-a"], env)
            self.assertEqual(rc, 0, text2)
            a = [rs for rs in ecssd_sets(self.r53, self.zone_id, "imds-a") if rs["Type"] == "A"]
            self.assertEqual([rs["ResourceRecords"] for rs in a], [[{"Value": stub.metadata["local-ipv4"]}]])

            # Signed with the instance role's credentials, fetched from IMDS.
            self.assertGreaterEqual(stub.credential_fetches(), 1)
            calls = [c for c in self.proxy.snapshot() if c["client"] == "ecssd"]
            self.assertTrue(calls)
            self.assertEqual({c["access_key"] for c in calls}, {stub.credentials["AccessKeyId"]})
            self.assertEqual({c["security_token"] for c in calls}, {stub.credentials["Token"]})

            # Secrets never appear in the logs, even at trace level.
            for secret in ([stub.credentials["SecretAccessKey"], stub.credentials["Token"]] + stub.tokens +
                           [c["signature"] for c in calls]):
                self.assertNotIn(secret, text + text2)
            self.assertTrue([l for l in logs if l.get("msg") == "host identity from EC2 instance metadata"])

    def test_imds_not_asked_when_host_flags_are_given(self):
        self.run_service("flags", "web", 18151)
        with ImdsStub() as stub:
            env = self.imds_env(stub, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
            rc, logs, text = run_agent_once(self.base_args() + ["--once"], env)
            self.assertEqual(rc, 0, text)
            self.assertEqual(stub.requests, [])
        self.assertEqual(len([rs for rs in ecssd_sets(self.r53, self.zone_id, self.OWNER) if rs["Type"] == "CNAME"]), 1)

    def test_off_ec2_fails_fast_and_falls_back(self):
        self.run_service("offec2", "web", 18161)
        env = self.env(AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:%d" % closed_port())
        env.pop("AWS_EC2_METADATA_DISABLED")
        args = ["--zone", self.ZONE, "--docker-host", self.dockerd.docker_host, "--host-ip", self.HOST_IP]
        t0 = time.monotonic()
        rc, logs, text = run_agent_once(args + ["--once"], env)
        took = time.monotonic() - t0
        self.assertEqual(rc, 0, text)
        self.assertLess(took, 15, text)
        self.assertTrue([l for l in logs if l.get("msg", "").startswith("EC2 instance metadata not available")], text)
        name = socket.gethostname().lower()
        if "." not in name:
            name += "." + self.ZONE
        sets = ecssd_sets(self.r53, self.zone_id, name)
        self.assertEqual([rs["ResourceRecords"] for rs in sets if rs["Type"] == "CNAME"], [[{"Value": name + "."}]])


if __name__ == "__main__":
    unittest.main()
