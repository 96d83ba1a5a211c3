"""ecssd's TSIG-signed transfer and UPDATE clients (src/dns xfr_client,
update_client, driven by tests/tools/ecssd_xfr) against BIND 9.18, Knot DNS
3.2 (journal, so IXFR is real) and PowerDNS 4.7 (gsqlite3), each started on
loopback with a TSIG-enabled zone. What ecssd reads is compared with a
signed kdig AXFR, and what it writes is read back with kdig and dig."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness.bind import Bind  # noqa: E402
from harness.knot import Knot  # noqa: E402
from harness.powerdns import PowerDns  # noqa: E402
from harness.rfc2136 import XfrTool, nsupdate, soa_serial, zone_rrs  # noqa: E402
from harness.tsig_keys import TsigKey  # noqa: E402

ZONE = "svc.test"
RECORDS = [
    {"name": "web.svc.test", "type": "A", "ttl": 10, "values": ["10.0.0.1", "10.0.0.2"]},
    {"name": "api.svc.test", "type": "CNAME", "ttl": 10, "values": ["web.svc.test"]},
    {"name": "_web._tcp.svc.test", "type": "SRV", "ttl": 10, "values": ["1 1 80 h1.svc.test", "1 1 81 h2.svc.test"]},
    {"name": "srv._ecssd._web._tcp.svc.test", "type": "TXT", "ttl": 10,
     "values": ['"heritage=ecssd" "set=ecssd:h1:abc:80-tcp" "value=1 1 80 h1.svc.test" "owner=h1"']},
    {"name": "v6.svc.test", "type": "AAAA", "ttl": 10, "values": ["fd00::1"]},
] + [{"name": f"filler-{i}.svc.test", "type": "A", "ttl": 10, "values": [f"10.1.{i // 250}.{i % 250}"]}
     for i in range(100)]  # so that a few changes by IXFR cost less than the whole zone


class XfrAgainstServer:
    """The scenarios; each subclass names its server."""

    kind = None
    incremental = True  # the server answers IXFR with steps (PowerDNS sends the whole zone)

    def make_server(self, key):
        raise NotImplementedError

    def setUp(self):
        self.key = TsigKey()
        self.server = self.make_server(self.key)
        self.server.start()
        self.addCleanup(self.server.stop)
        self.tmp = tempfile.TemporaryDirectory(prefix="ecssd-xfr-test-")
        self.addCleanup(self.tmp.cleanup)
        self.key_file = self.key.write(os.path.join(self.tmp.name, "key.conf"))

    def tool(self, key_file=None, extra=()):
        return XfrTool(self.server.port, ZONE, key_file or self.key_file, extra)

    def test_full_transfer_matches_kdig(self):
        with self.tool() as x:
            r = x.command("refresh")
            self.assertTrue(r["ok"], r)
            self.assertEqual(r["kind"], "full")
            self.assertEqual(r["serial"], soa_serial(self.server.port, ZONE))
            self.assertEqual(x.records(), zone_rrs(self.server.port, ZONE, self.key))

    def test_changes_are_read_by_ixfr(self):
        with self.tool() as x:
            full = x.command("refresh")
            self.assertTrue(full["ok"], full)
            rc, out = nsupdate(self.server.port, self.key, [
                "update add new.svc.test 10 A 10.0.0.9",
                "update delete web.svc.test A 10.0.0.1",
                'update add t.svc.test 10 TXT "a b" "c"',
            ])
            self.assertEqual(rc, 0, out)
            r = x.command("refresh")
            self.assertTrue(r["ok"], r)
            self.assertEqual(r["kind"], "incremental" if self.incremental else "full", r)
            self.assertEqual(r["serial"], soa_serial(self.server.port, ZONE))
            self.assertEqual(x.records(), zone_rrs(self.server.port, ZONE, self.key))
            if self.incremental:
                self.assertLess(r["bytes_received"], full["bytes_received"])

    def test_unchanged_zone_costs_one_soa_query(self):
        with self.tool() as x:
            self.assertTrue(x.command("refresh")["ok"])
            r = x.command("refresh")
            self.assertTrue(r["ok"], r)
            self.assertEqual(r["kind"], "uptodate")
            self.assertEqual(r["messages"], 1)
            self.assertLess(r["bytes_received"] + r["bytes_sent"], 400)

    def test_wrong_secret_is_refused_and_says_so(self):
        wrong = TsigKey(self.key.name).write(os.path.join(self.tmp.name, "wrong.conf"))
        with self.tool(wrong) as x:
            r = x.command("refresh")
            self.assertFalse(r["ok"], r)
            self.assertIn(r.get("rcode"), ("NOTAUTH", "REFUSED"), r)
            if self.kind != "powerdns":  # PowerDNS answers NOTAUTH without a TSIG error
                self.assertEqual(r["tsig_error"], 16, r)  # BADSIG
            self.assertTrue(r["signature"], r)  # and the answer is not trusted

    def test_wrong_key_name_is_refused_and_says_so(self):
        other = TsigKey("someone-else", secret=self.key.secret).write(os.path.join(self.tmp.name, "other.conf"))
        with self.tool(other) as x:
            r = x.command("refresh")
            self.assertFalse(r["ok"], r)
            self.assertIn(r.get("rcode"), ("NOTAUTH", "REFUSED"), r)
            if r["tsig_error"]:
                self.assertEqual(r["tsig_error"], 17, r)  # BADKEY

    def test_unsigned_transfer_is_refused(self):
        with XfrTool(self.server.port, ZONE) as x:
            r = x.command("refresh")
            self.assertFalse(r["ok"], r)
            self.assertIn(r.get("rcode"), ("NOTAUTH", "REFUSED"), r)

    def test_updates_with_prerequisites(self):
        with self.tool() as x:
            # 2.4.2: the RRset holds exactly these values, else NXRRSET and nothing changes.
            r = x.update({"prerequisites": [{"kind": "equals", "name": "web.svc.test", "type": "A",
                                             "values": ["10.0.0.1"]}],
                          "updates": [{"kind": "delete", "name": "web.svc.test", "type": "A", "value": "10.0.0.1"}]})
            self.assertEqual(r["rcode"], "NXRRSET", r)
            self.assertIn(("web.svc.test", "A", "10.0.0.1"), zone_rrs(self.server.port, ZONE, self.key))
            r = x.update({"prerequisites": [{"kind": "equals", "name": "web.svc.test", "type": "A",
                                             "values": ["10.0.0.2", "10.0.0.1"]}],
                          "updates": [{"kind": "delete", "name": "web.svc.test", "type": "A", "value": "10.0.0.1"},
                                      {"kind": "add", "name": "web.svc.test", "type": "A", "ttl": 10,
                                       "value": "10.0.0.3"}]})
            self.assertTrue(r["ok"], r)
            rrs = zone_rrs(self.server.port, ZONE, self.key)
            self.assertEqual(sorted(v for n, t, v in rrs if n == "web.svc.test"), ["10.0.0.2", "10.0.0.3"])
            # 2.4.3: no CNAME there, else YXRRSET.
            r = x.update({"prerequisites": [{"kind": "absent", "name": "api.svc.test", "type": "CNAME"}],
                          "updates": [{"kind": "add", "name": "api.svc.test", "type": "TXT", "ttl": 10,
                                       "value": '"x"'}]})
            self.assertEqual(r["rcode"], "YXRRSET", r)
            # 2.4.5 and 2.4.4: name not in use / in use.
            r = x.update({"prerequisites": [{"kind": "name_not_in_use", "name": "web.svc.test"}],
                          "updates": [{"kind": "add", "name": "web.svc.test", "type": "CNAME", "ttl": 10,
                                       "value": "h1.svc.test"}]})
            self.assertEqual(r["rcode"], "YXDOMAIN", r)
            r = x.update({"prerequisites": [{"kind": "name_in_use", "name": "nothing.svc.test"}],
                          "updates": [{"kind": "add", "name": "nothing.svc.test", "type": "A", "ttl": 10,
                                       "value": "10.0.0.7"}]})
            self.assertEqual(r["rcode"], "NXDOMAIN", r)
            self.assertNotIn("nothing.svc.test", {n for n, _, _ in zone_rrs(self.server.port, ZONE, self.key)})
            # A whole RRset and a whole name.
            r = x.update({"prerequisites": [{"kind": "exists", "name": "_web._tcp.svc.test", "type": "SRV"}],
                          "updates": [{"kind": "delete_rrset", "name": "_web._tcp.svc.test", "type": "SRV"},
                                      {"kind": "delete_name", "name": "v6.svc.test"}]})
            self.assertTrue(r["ok"], r)
            names = {n for n, _, _ in zone_rrs(self.server.port, ZONE, self.key)}
            self.assertNotIn("_web._tcp.svc.test", names)
            self.assertNotIn("v6.svc.test", names)

    def test_name_outside_the_zone_is_notzone(self):
        with self.tool() as x:
            r = x.update({"updates": [{"kind": "add", "name": "web.other.test", "type": "A", "ttl": 10,
                                       "value": "10.0.0.1"}]})
            # ecssd refuses to build it: the server never sees it.
            self.assertFalse(r["ok"])
            self.assertIn("not inside the zone", r["error"])


class KnotXfrTest(XfrAgainstServer, unittest.TestCase):
    def make_server(self, key):
        return Knot(ZONE, RECORDS, key=key, allow_update=True, journal=True)


class BindXfrTest(XfrAgainstServer, unittest.TestCase):
    def make_server(self, key):
        return Bind(ZONE, RECORDS, key)


class PowerDnsXfrTest(XfrAgainstServer, unittest.TestCase):
    kind = "powerdns"
    incremental = False

    def make_server(self, key):
        return PowerDns(ZONE, RECORDS, key)


if __name__ == "__main__":
    unittest.main()
