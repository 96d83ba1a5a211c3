"""ecssd's AXFR client (tests/tools/ecssd_axfr, the code behind AxfrProvider)
against an independent server, Knot DNS, and the embedded responder listed by
it: the same records come back either way."""
import json
import os
import subprocess
import unittest

from harness.dns_server import ZoneServer, zone_server_binary
from harness.knot import Knot

ZONE = "xfr.test"


def axfr_binary():
    return os.path.join(os.path.dirname(zone_server_binary()), "ecssd_axfr")


def ecssd_axfr(port, zone=ZONE, *extra):
    out = subprocess.run([axfr_binary(), "--server", f"127.0.0.1:{port}", "--zone", zone, *extra],
                         capture_output=True, text=True, timeout=30)
    return out.returncode, (json.loads(out.stdout) if out.returncode == 0 else None), out.stderr


def records():
    z = ZONE
    companion = '"heritage=ecssd" "set=ecssd:h1:c1:80-tcp" "value=host1.xfr.test" "owner=h1" "a b=\\"q\\""'
    return [
        {"name": f"web.{z}", "type": "CNAME", "ttl": 10, "values": [f"host1.{z}"]},
        {"name": f"host1.{z}", "type": "A", "ttl": 30, "values": ["10.0.0.1", "10.0.0.3"]},
        {"name": f"host1.{z}", "type": "AAAA", "ttl": 30, "values": ["fd00::1"]},
        {"name": f"_calc._tcp.{z}", "type": "SRV", "ttl": 10, "values": [f"1 5 18081 host1.{z}"]},
        {"name": f"cname._ecssd.web.{z}", "type": "TXT", "ttl": 10, "values": [companion]},
    ] + [{"name": f"n{i}.{z}", "type": "TXT", "ttl": 10, "values": [f'"{"x" * 200}{i}"']} for i in range(1500)]


def by_key(listing):
    return {(r["name"], r["type"]): r for r in listing["records"]}


class AxfrClientAgainstKnotTest(unittest.TestCase):
    def test_lists_what_knot_serves(self):
        with Knot(ZONE, records(), serial=42, extra_zone_lines=[f"mail.{ZONE}. 10 IN MX 10 host1.{ZONE}."]) as knot:
            rc, listing, err = ecssd_axfr(knot.port)
        self.assertEqual(rc, 0, err)
        self.assertEqual(listing["serial"], 42)
        self.assertGreater(listing["messages"], 1)  # about 330 KB: several messages
        self.assertEqual(listing["skipped"], 1)     # the MX, which ecssd does not model
        got = by_key(listing)
        self.assertEqual(got[(ZONE, "SOA")]["values"], [f"ns.{ZONE} hostmaster.{ZONE} 42 3600 600 86400 5"])
        self.assertEqual(got[(f"web.{ZONE}", "CNAME")]["values"], [f"host1.{ZONE}"])
        self.assertEqual(sorted(got[(f"host1.{ZONE}", "A")]["values"]), ["10.0.0.1", "10.0.0.3"])
        self.assertEqual(got[(f"host1.{ZONE}", "A")]["ttl"], 30)
        self.assertEqual(got[(f"_calc._tcp.{ZONE}", "SRV")]["values"], [f"1 5 18081 host1.{ZONE}"])
        self.assertEqual(got[(f"cname._ecssd.web.{ZONE}", "TXT")]["values"], records()[4]["values"])
        self.assertEqual(len(got), 5 + 1500 + 2)

    def test_refused_transfer_is_a_clear_error(self):
        with Knot(ZONE, records()[:3], allow_transfer=False) as knot:
            rc, _, err = ecssd_axfr(knot.port)
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"permission denied|PermissionDenied")
        self.assertRegex(err, "NOTAUTH|REFUSED")  # Knot says NOTAUTH (RFC 8945: not authorized)

    def test_unknown_zone(self):
        with Knot(ZONE, records()[:3]) as knot:
            rc, _, err = ecssd_axfr(knot.port, "other.test")
        self.assertEqual(rc, 1)
        self.assertIn("other.test", err)


class EmbeddedRoundTripTest(unittest.TestCase):
    def test_embedded_and_knot_list_the_same_records(self):
        with ZoneServer(ZONE, records()) as zs:
            rc, ours, err = ecssd_axfr(zs.port)
            self.assertEqual(rc, 0, err)
        with Knot(ZONE, records(), serial=ours["serial"]) as knot:
            rc, theirs, err = ecssd_axfr(knot.port)
            self.assertEqual(rc, 0, err)
        self.assertEqual(by_key(ours), by_key(theirs))


if __name__ == "__main__":
    unittest.main()
