"""The golden ChangeResourceRecordSets bodies (tests/fixtures/route53/requests,
built by the provider's XML code and pinned by its unit tests) are accepted by
a real Route 53 API implementation (moto_server) and do what they say, as boto3
reads back."""
import os
import unittest

from harness.route53_moto import MotoServer, all_record_sets

REQUESTS = os.path.join(os.environ["ECSSD_SOURCE_DIR"], "tests", "fixtures", "route53", "requests")


def golden(name):
    with open(os.path.join(REQUESTS, name), "rb") as f:
        return f.read()


class GoldenRequestsAgainstMoto(unittest.TestCase):
    def setUp(self):
        self.moto = MotoServer().start()
        self.addCleanup(self.moto.stop)
        self.r53 = self.moto.client()
        zone = self.r53.create_hosted_zone(Name="example.com", CallerReference="z",
                                           HostedZoneConfig={"PrivateZone": True},
                                           VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"})
        self.zone_id = zone["HostedZone"]["Id"].split("/")[-1]

    def post(self, name):
        return self.moto.raw("POST", f"/2013-04-01/hostedzone/{self.zone_id}/rrset", golden(name))

    def find(self, name, rtype, set_id):
        for rs in all_record_sets(self.r53, self.zone_id):
            if rs["Name"] == name and rs["Type"] == rtype and rs.get("SetIdentifier") == set_id:
                return rs
        return None

    def test_create_of_a_weighted_cname_and_its_companion(self):
        status, body = self.post("create_weighted_cname.xml")
        self.assertEqual(status, 200, body)
        self.assertIn(b"<ChangeInfo>", body)
        sid = "ecssd:host-a:0123456789ab:80-tcp"
        cname = self.find("web.example.com.", "CNAME", sid)
        self.assertEqual(cname["Weight"], 1)
        self.assertEqual(cname["TTL"], 10)
        self.assertEqual(cname["ResourceRecords"], [{"Value": "host-a.example.com."}])
        txt = self.find("cname._ecssd.web.example.com.", "TXT", sid)
        # XML escapes undone, Route 53's presentation escapes kept as sent.
        self.assertEqual(txt["ResourceRecords"][0]["Value"],
                         '"heritage=ecssd" "set=ecssd:host-a:0123456789ab:80-tcp" "value=host-a.example.com" '
                         '"owner=host-a" "container-name=a \\"b\\" \\\\ <c> & d\\011e"')

    def test_update_as_delete_and_create_then_upsert(self):
        sid = "ecssd:host-a:0123456789ab:80-tcp"
        self.r53.change_resource_record_sets(HostedZoneId=self.zone_id, ChangeBatch={"Changes": [{
            "Action": "CREATE", "ResourceRecordSet": {
                "Name": "_web._tcp.example.com.", "Type": "SRV", "SetIdentifier": sid, "Weight": 1, "TTL": 10,
                "ResourceRecords": [{"Value": "1 1 18081 host-a.example.com."}],
                "HealthCheckId": "abcdef11-2222-3333-4444-555555fedcba"}}]})
        status, body = self.post("update_srv.xml")
        self.assertEqual(status, 200, body)
        srv = self.find("_web._tcp.example.com.", "SRV", sid)
        self.assertEqual(srv["TTL"], 30)
        self.assertEqual(srv["ResourceRecords"], [{"Value": "1 1 18082 host-a.example.com."}])
        self.assertEqual(srv["HealthCheckId"], "abcdef11-2222-3333-4444-555555fedcba")
        host = self.find("host-a.example.com.", "A", "ecssd:host-a:host")
        self.assertEqual(host["ResourceRecords"], [{"Value": "10.0.0.1"}])

    def test_delete_that_does_not_match_is_refused(self):
        # No SRV exists yet: the DELETE in the golden update must be refused and
        # nothing of the batch applied.
        status, body = self.post("update_srv.xml")
        self.assertEqual(status, 400, body)
        self.assertIsNone(self.find("host-a.example.com.", "A", "ecssd:host-a:host"))


if __name__ == "__main__":
    unittest.main()
