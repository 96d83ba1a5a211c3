"""Route53Provider (with registry and plan, as the agent runs them) against a
real moto_server, every result checked with boto3.

The provider runs inside tests/tools/route53_pipe; this test forwards its HTTP
requests to moto (see harness/route53_moto.py). Once the signed transport and
`ecssd agent --provider route53` are on main, an agent-level test replaces the
pipe; the assertions stay.
"""
import os
import unittest

from harness.route53_moto import MotoServer, Route53Pipe, all_record_sets

ZONE = "example.com"


def tool_path():
    build = os.path.dirname(os.environ["ECSSD_BIN"])
    return os.path.join(build, "tests", "tools", "route53_pipe")


def container_records(owner, index, name, ttl=10):
    """The labeled weighted CNAME the record builder makes for one container."""
    container = f"{index:012x}" + "f" * 52
    return {
        "name": f"{name}.{ZONE}", "type": "CNAME", "ttl": ttl, "values": [f"{owner}.{ZONE}"],
        "set_identifier": f"ecssd:{owner}:{container[:12]}:80-tcp", "weight": 1,
        "labels": {"owner": owner, "kind": "service", "container": container, "container-name": f"app-{index}",
                   "service": name, "port": "80/tcp", "addr": f"10.0.0.1:{18000 + index}", "check": "tcp"},
    }


class Route53ProviderAgainstMoto(unittest.TestCase):
    def setUp(self):
        self.moto = MotoServer().start()
        self.addCleanup(self.moto.stop)
        self.r53 = self.moto.client()
        self.public_id = self.r53.create_hosted_zone(Name=ZONE, CallerReference="pub")["HostedZone"]["Id"]
        self.private_id = self.r53.create_hosted_zone(
            Name=ZONE, CallerReference="priv", HostedZoneConfig={"Comment": "agents", "PrivateZone": True},
            VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"})["HostedZone"]["Id"]
        self.zone_id = self.private_id.split("/")[-1]
        self.pipe = Route53Pipe(tool_path(), self.moto)
        # Records ecssd does not own: another tool's weighted member, another
        # host's record with its companion, an alias, a failover record with a
        # health check, and a type ecssd never lists (MX).
        other = "ecssd:host-b:0123456789ab:80-tcp"
        foreign = [
            {"Name": f"web.{ZONE}", "Type": "CNAME", "SetIdentifier": "manual-blue", "Weight": 5, "TTL": 60,
             "ResourceRecords": [{"Value": "blue.example.org"}]},
            {"Name": f"web.{ZONE}", "Type": "CNAME", "SetIdentifier": other, "Weight": 1, "TTL": 10,
             "ResourceRecords": [{"Value": f"host-b.{ZONE}"}]},
            {"Name": f"cname._ecssd.web.{ZONE}", "Type": "TXT", "SetIdentifier": other, "Weight": 1, "TTL": 10,
             "ResourceRecords": [{"Value": f'"heritage=ecssd" "set={other}" "value=host-b.{ZONE}" "owner=host-b"'}]},
            {"Name": f"www.{ZONE}", "Type": "A", "AliasTarget": {
                "HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": "d1.cloudfront.net.", "EvaluateTargetHealth": False}},
            {"Name": f"db.{ZONE}", "Type": "A", "SetIdentifier": "primary", "Failover": "PRIMARY", "TTL": 60,
             "ResourceRecords": [{"Value": "192.0.2.10"}], "HealthCheckId": "abcdef11-2222-3333-4444-555555fedcba"},
            {"Name": f"mail.{ZONE}", "Type": "MX", "TTL": 300, "ResourceRecords": [{"Value": "10 mx.example.com."}]},
        ]
        self.r53.change_resource_record_sets(HostedZoneId=self.zone_id, ChangeBatch={
            "Changes": [{"Action": "CREATE", "ResourceRecordSet": rs} for rs in foreign]})
        self.before = all_record_sets(self.r53, self.zone_id)

    def options(self, **extra):
        return dict({"zone": ZONE, "zone_type": "any"}, **extra)

    def ours(self, owner="host-a"):
        return [rs for rs in all_record_sets(self.r53, self.zone_id)
                if rs.get("SetIdentifier", "").startswith(f"ecssd:{owner}:")]

    def assert_foreign_untouched(self):
        now = all_record_sets(self.r53, self.zone_id)
        foreign_now = [rs for rs in now if not rs.get("SetIdentifier", "").startswith("ecssd:host-a:")]
        self.assertEqual(sorted(map(repr, foreign_now)), sorted(map(repr, self.before)))

    def test_zone_selection_prefers_private_and_reports_missing_zones(self):
        results = self.pipe.run(self.options(), [{"op": "init"}])
        self.assertTrue(results[0]["ok"], results[0])
        self.assertEqual(results[0]["zone_id"], self.zone_id)
        results = self.pipe.run(self.options(zone_type="public"), [{"op": "init"}])
        self.assertEqual(results[0]["zone_id"], self.public_id.split("/")[-1])
        results = self.pipe.run({"zone_id": self.zone_id}, [{"op": "init"}])
        self.assertEqual(results[0]["zone"], ZONE)
        results = self.pipe.run({"zone": "missing.example"}, [{"op": "init"}])
        self.assertFalse(results[0]["ok"])
        self.assertIn("no hosted zone named missing.example", results[0]["error"])
        results = self.pipe.run({"zone_id": "ZNOSUCHZONE0000"}, [{"op": "init"}])
        self.assertFalse(results[0]["ok"])
        self.assertEqual(results[0]["error"], "not found: no hosted zone has --zone-id ZNOSUCHZONE0000")

    def test_burst_update_stop_and_cleanup_keep_foreign_records(self):
        # 40 containers of one service (weighted members of web) and 80 of others.
        desired = [container_records("host-a", i, "web") for i in range(40)]
        desired += [container_records("host-a", 100 + i, f"svc-{i}") for i in range(80)]
        ops = [{"op": "init"}, {"op": "publish", "owner": "host-a", "desired": desired},
               {"op": "publish", "owner": "host-a", "desired": desired}, {"op": "list"}]
        init, burst, again, listed = self.pipe.run(self.options(), ops)
        self.assertTrue(init["ok"], init)
        self.assertTrue(burst["ok"], burst)
        self.assertEqual(burst["report"]["created"], 120)
        self.assertEqual(burst["report"]["failed"], [])
        change_requests = [r for r in self.pipe.requests if r["method"] == "POST"]
        self.assertEqual(len(change_requests), burst["report"]["requests"])
        # 240 record sets with ~300-character companions: the 32000-character
        # limit makes this 3 requests; one or two per container would be 120-240.
        self.assertLessEqual(burst["report"]["requests"], 3)
        self.assertEqual(again["report"]["requests"], 0, "a second run finds nothing to do")

        ours = self.ours()
        self.assertEqual(len(ours), 240)
        by_key = {(rs["Name"], rs["Type"], rs["SetIdentifier"]): rs for rs in ours}
        for d in desired:
            rs = by_key[(d["name"] + ".", "CNAME", d["set_identifier"])]
            self.assertEqual(rs["Weight"], 1)
            self.assertEqual(rs["TTL"], 10)
            self.assertEqual(rs["ResourceRecords"], [{"Value": "host-a.example.com."}])
            companion = by_key[(f"cname._ecssd.{d['name']}.", "TXT", d["set_identifier"])]
            value = companion["ResourceRecords"][0]["Value"]
            self.assertTrue(value.startswith('"heritage=ecssd" "set=' + d["set_identifier"] + '"'), value)
            self.assertIn(f'"container={d["labels"]["container"]}"', value)
        self.assert_foreign_untouched()
        # The provider's own listing shows the foreign records too (MX excepted).
        listed_names = {(r["name"], r["type"], r["set_identifier"]) for r in listed["records"]}
        self.assertIn((f"www.{ZONE}", "A", ""), listed_names)
        self.assertIn((f"db.{ZONE}", "A", "primary"), listed_names)
        self.assertIn((f"web.{ZONE}", "CNAME", "manual-blue"), listed_names)
        self.assertEqual(len(listed["records"]), len(self.before) - 1 + 240)

        # TTL change: every record and companion is replaced (DELETE + CREATE).
        longer = [dict(d, ttl=30) for d in desired]
        half = longer[:20] + longer[40:80]
        ops = [{"op": "init"}, {"op": "publish", "owner": "host-a", "desired": longer},
               {"op": "publish", "owner": "host-a", "desired": half},
               {"op": "publish", "owner": "host-a", "desired": []}]
        init, updated, stopped, cleaned = self.pipe.run(self.options(), ops)
        self.assertEqual(updated["report"]["updated"], 120, updated)
        self.assertEqual(updated["report"]["failed"], [])
        self.assertEqual(stopped["report"]["removed"], 60, stopped)
        self.assertEqual(cleaned["report"]["removed"], 60, cleaned)
        self.assertEqual(self.ours(), [])
        self.assertEqual(sorted(map(repr, all_record_sets(self.r53, self.zone_id))), sorted(map(repr, self.before)))

    def test_throttling_is_retried_and_a_refused_change_is_isolated(self):
        throttling = open(os.path.join(os.environ["ECSSD_SOURCE_DIR"],
                                       "tests/fixtures/route53/doc_error_throttling.xml")).read()
        refusal = ('<?xml version="1.0"?><InvalidChangeBatch xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
                   "<Messages><Message>RRSet with DNS name svc-7.example.com. is not permitted in zone "
                   "example.com.</Message></Messages><RequestId>x</RequestId></InvalidChangeBatch>")
        posts = []

        def inject(req, index):
            if req["method"] != "POST":
                return None
            posts.append(index)
            if len(posts) <= 2:
                return {"status": 400, "body": throttling}
            if "<Name>svc-7.example.com.</Name>" in req["body"]:
                return {"status": 400, "body": refusal}
            return None

        desired = [container_records("host-a", i, f"svc-{i}") for i in range(20)]
        init, result = self.pipe.run(self.options(), [{"op": "init"},
                                                      {"op": "publish", "owner": "host-a", "desired": desired}],
                                     inject=inject)
        self.assertTrue(result["ok"], result)
        report = result["report"]
        self.assertEqual(report["created"], 19)
        self.assertEqual(len(report["failed"]), 1)
        self.assertIn("svc-7.example.com", report["failed"][0]["record"])
        self.assertIn("is not permitted", report["failed"][0]["error"])
        # 2 throttled + the refused batch + the other 19 + svc-7 alone.
        self.assertEqual(report["requests"], 5)
        names = {rs["Name"] for rs in self.ours()}
        self.assertEqual(len(self.ours()), 38)
        self.assertNotIn("svc-7.example.com.", names)
        self.assertNotIn("cname._ecssd.svc-7.example.com.", names)
        self.assertIn("route53: retrying", self.pipe.stderr)
        self.assert_foreign_untouched()

    def test_paginated_listing_matches_boto3(self):
        # Four names of 40 weighted members each, listed 100 at a time. moto
        # cannot resume inside a weighted group (no NextRecordIdentifier) and
        # repeats the group from its start: the listing must still be exact.
        desired = [container_records("host-a", 1000 * n + i, f"web-{n}") for n in range(4) for i in range(40)]
        ops = [{"op": "init"}, {"op": "publish", "owner": "host-a", "desired": desired}, {"op": "list"}]
        _, burst, listed = self.pipe.run(self.options(page_size=100), ops)
        self.assertEqual(burst["report"]["created"], 160, burst)
        self.assertTrue(listed["ok"], listed)
        boto = [(rs["Name"].rstrip(".").replace("\\052", "*"), rs["Type"], rs.get("SetIdentifier", ""))
                for rs in all_record_sets(self.r53, self.zone_id) if rs["Type"] != "MX"]
        mine = [(r["name"], r["type"], r["set_identifier"]) for r in listed["records"]]
        self.assertEqual(len(mine), len(set(mine)), "no record listed twice")
        self.assertEqual(sorted(mine), sorted(boto))
        self.assertGreaterEqual(len([r for r in self.pipe.requests if "maxitems=100" in r["url"]]), 4)


if __name__ == "__main__":
    unittest.main()
