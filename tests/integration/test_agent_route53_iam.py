"""deploy/iam/agent-policy.json: it parses, IAM (moto) accepts it, and it
grants exactly the calls the agent makes. The calls are observed on the wire
(the counting proxy in front of moto) while a real agent publishes and
withdraws containers, sends events and looks its zone up by name and by id;
every ChangeResourceRecordSets and PutEvents seen must pass the policy's
conditions, and requests the agent must never make must fail them."""
import fnmatch
import json
import os
import string
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.route53_agent import AgentTestCase, run_agent_once, wait_until  # noqa: E402

POLICY = os.path.join(os.environ.get("ECSSD_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
                      "deploy", "iam", "agent-policy.json")
ACCOUNT = "123456789012"
REGION = "us-east-1"
BUS = "ecssd-bus"


def load_policy(zone_id, zone_name):
    with open(POLICY) as f:
        raw = f.read()
    json.loads(raw)  # valid JSON before substitution too
    text = string.Template(raw).substitute(ZoneId=zone_id, ZoneName=zone_name, Region=REGION, AccountId=ACCOUNT,
                                           EventBusName=BUS)
    return json.loads(text), text


def normalized(name):
    """route53:ChangeResourceRecordSetsNormalizedRecordNames form: lower
    case, no trailing dot, other characters than a-z 0-9 - _ . as \\ooo."""
    out = []
    for ch in name.lower().rstrip("."):
        out.append(ch if ch.isalnum() and ch.isascii() or ch in "-_." else "\\%03o" % ord(ch))
    return "".join(out)


def as_list(v):
    return v if isinstance(v, list) else [v]


def conditions_allow(condition, context):
    """A small evaluator for the operators the policy uses. `context` maps a
    condition key to a list of values (multivalued keys) or a string."""
    for op, keys in (condition or {}).items():
        for key, allowed in keys.items():
            allowed = as_list(allowed)
            values = context.get(key)
            if op == "ForAllValues:StringLike":
                if not all(any(fnmatch.fnmatchcase(v, p) for p in allowed) for v in values or []):
                    return False
            elif op == "ForAllValues:StringEquals":
                if not all(v in allowed for v in values or []):
                    return False
            elif op == "StringEquals":
                if values is None or values not in allowed:
                    return False
            else:
                raise AssertionError("operator the evaluator does not know: " + op)
    return True


def allowed(policy, action, resource, context):
    for st in policy["Statement"]:
        if st["Effect"] != "Allow" or action not in as_list(st["Action"]):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in as_list(st["Resource"])):
            continue
        if conditions_allow(st.get("Condition"), context):
            return True
    return False


def change_context(changes):
    return {"route53:ChangeResourceRecordSetsNormalizedRecordNames": [normalized(n) for _, n, _, _ in changes],
            "route53:ChangeResourceRecordSetsRecordTypes": [t for _, _, t, _ in changes],
            "route53:ChangeResourceRecordSetsActions": [a for a, _, _, _ in changes]}


class AgentPolicyTest(AgentTestCase, unittest.TestCase):

    def test_policy_is_well_formed_and_accepted_by_iam(self):
        policy, text = load_policy("Z0123456789ABC", self.ZONE)
        self.assertEqual(policy["Version"], "2012-10-17")
        for st in policy["Statement"]:
            self.assertEqual(st["Effect"], "Allow")
            for action in as_list(st["Action"]):
                self.assertNotIn("*", action, "no wildcard actions")
            if as_list(st["Resource"]) == ["*"]:
                # The one action without resource-level permissions.
                self.assertEqual(as_list(st["Action"]), ["route53:ListHostedZonesByName"])
        iam = self.moto.client("iam")
        arn = iam.create_policy(PolicyName="ecssd-agent", PolicyDocument=text)["Policy"]["Arn"]
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        doc = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        if isinstance(doc, str):
            doc = json.loads(doc)
        self.assertEqual(doc, policy)

    def test_policy_grants_exactly_the_calls_the_agent_makes(self):
        self.moto.client("events").create_event_bus(Name=BUS)
        policy, _ = load_policy(self.zone_id, self.ZONE)

        # The agent's whole life: find the zone by name, publish, withdraw,
        # send events; --once with --zone-id; --remove-all.
        agent = self.start_agent("--events-bus", BUS)
        self.assertTrue(agent.wait_ready(30), agent.text())
        cid = self.run_service("iam-web", "web", 18501)
        self.assertTrue(self.wait_cnames(self.expect([("web", cid)]), 10))
        srv = self.dockerd.run_container("iam-srv", ["sleep", "3600"], env={"SERVICE_18502_NAME": "_calc._tcp"})
        self.assertTrue(wait_until(lambda: self.proxy.count("PutEvents") >= 2, 15), self.proxy.snapshot())
        self.remove("iam-web")
        self.assertTrue(self.wait_cnames(self.expect([("_calc._tcp", srv)]), 10), self.cnames())
        self.assertTrue(wait_until(lambda: self.proxy.count("PutEvents") >= 3, 15))
        self.assertEqual(agent.stop(), 0)
        rc, _, text = run_agent_once(self.base_args() + ["--once", "--zone-id", self.zone_id, "--record-mode", "srv"],
                                     self.env())
        self.assertEqual(rc, 0, text)
        rc, _, text = run_agent_once(self.base_args() + ["--remove-all"], self.env())
        self.assertEqual(rc, 0, text)

        calls = [c for c in self.proxy.snapshot() if c["client"] == "ecssd"]
        made = {"%s:%s" % (c["service"], c["op"]) for c in calls}
        granted = {a for st in policy["Statement"] for a in as_list(st["Action"])}
        self.assertEqual(made, granted, "the policy grants exactly the actions the agent calls")

        zone_arn = "arn:aws:route53:::hostedzone/" + self.zone_id
        bus_arn = "arn:aws:events:%s:%s:event-bus/%s" % (REGION, ACCOUNT, BUS)
        for c in calls:
            action = "%s:%s" % (c["service"], c["op"])
            if c["op"] == "ListHostedZonesByName":
                self.assertTrue(allowed(policy, action, "*", {}))
            elif c["service"] == "route53":
                self.assertEqual(c["zone"], self.zone_id)
                self.assertTrue(allowed(policy, action, zone_arn, change_context(c["changes"])),
                                "denied by the policy: %s %s" % (action, c["changes"]))
            elif c["op"] == "PutEvents":
                for source, _, bus in c["entries"]:
                    self.assertEqual(bus, BUS)
                    self.assertTrue(allowed(policy, action, bus_arn, {"events:source": source}), c["entries"])
        kinds = {t for c in calls for _, _, t, _ in c["changes"]}
        self.assertTrue({"CNAME", "TXT", "A", "SRV"} <= kinds, kinds)

        # What the agent must never do, the policy refuses.
        def change(*changes):
            return allowed(policy, "route53:ChangeResourceRecordSets", zone_arn, change_context(changes))
        self.assertTrue(change(("CREATE", "web.sd.test.", "CNAME", "x")))
        self.assertFalse(change(("UPSERT", "web.sd.test.", "CNAME", "x")), "UPSERT is never used")
        self.assertFalse(change(("CREATE", "sd.test.", "TXT", "")), "the apex is not the agent's")
        self.assertFalse(change(("CREATE", "web.other.test.", "CNAME", "")), "names outside the zone")
        self.assertFalse(change(("CREATE", "evilsd.test.", "CNAME", "")), "a sibling name sharing the suffix")
        self.assertFalse(change(("CREATE", "mail.sd.test.", "MX", "")), "types the agent never writes")
        self.assertFalse(change(("CREATE", "web.sd.test.", "CNAME", ""), ("DELETE", "sd.test.", "NS", "")))
        self.assertFalse(allowed(policy, "route53:ChangeResourceRecordSets",
                                 "arn:aws:route53:::hostedzone/ZOTHERZONE", change_context(
                                     [("CREATE", "web.sd.test.", "CNAME", "")])), "other zones")
        self.assertFalse(allowed(policy, "route53:ListResourceRecordSets", "arn:aws:route53:::hostedzone/ZOTHER", {}))
        self.assertFalse(allowed(policy, "events:PutEvents", bus_arn, {"events:source": "aws.ec2"}))
        self.assertFalse(allowed(policy, "events:PutEvents", bus_arn.replace(BUS, "default"),
                                 {"events:source": "ecssd"}))
        self.assertFalse(allowed(policy, "route53:DeleteHostedZone", zone_arn, {}))


if __name__ == "__main__":
    unittest.main()
