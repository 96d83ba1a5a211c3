"""DNS conformance checks of an ecssd responder with independent clients (dig,
kdig, raw sockets). Mix DnsConformanceChecks into a unittest.TestCase that sets
`server`, `port`, `zone` and `names` (see conformance_names) and serves
conformance_records(zone): the zone-server test does, and the same checks can
run against a real agent serving equivalent records."""
import struct

from harness.dns_server import (dig, dig_messages, kdig, kdig_transfer, query_bytes, raw_udp, rcode_of)


def conformance_records(zone):
    z = zone
    return [
        # Two containers on host1 and one on host2: one weighted CNAME each.
        {"name": f"web.{z}", "type": "CNAME", "ttl": 10, "values": [f"host1.{z}"], "set_identifier": "ecssd:a:c1:80-tcp", "weight": 1},
        {"name": f"web.{z}", "type": "CNAME", "ttl": 10, "values": [f"host1.{z}"], "set_identifier": "ecssd:a:c2:80-tcp", "weight": 1},
        {"name": f"web.{z}", "type": "CNAME", "ttl": 10, "values": [f"host2.{z}"], "set_identifier": "ecssd:b:c3:80-tcp", "weight": 1},
        {"name": f"host1.{z}", "type": "A", "ttl": 30, "values": ["10.0.0.1"]},
        {"name": f"host2.{z}", "type": "A", "ttl": 30, "values": ["10.0.0.2"]},
        {"name": f"host2.{z}", "type": "AAAA", "ttl": 30, "values": ["fd00::2"]},
        {"name": f"_calc._tcp.{z}", "type": "SRV", "ttl": 10, "values": [f"1 1 18081 host1.{z}"]},
        {"name": f"cname._ecssd.web.{z}", "type": "TXT", "ttl": 10,
         "values": ['"heritage=ecssd" "set=ecssd:a:c1:80-tcp" "owner=a"']},
        # 120 addresses: about 2 KB, over the 1232-octet UDP limit.
        {"name": f"big.{z}", "type": "A", "ttl": 10, "values": [f"10.5.{i // 200}.{i % 200}" for i in range(120)]},
    ]


def conformance_names(zone):
    z = zone
    return {
        "address": f"host1.{z}", "address_value": "10.0.0.1",
        "cname": f"web.{z}", "cname_targets": {f"host1.{z}.", f"host2.{z}."},
        "srv": f"_calc._tcp.{z}", "srv_target": f"host1.{z}.",
        "dual": f"host2.{z}",
        "empty_non_terminal": f"_tcp.{z}",
        "missing": f"nope.{z}",
        "outside": "example.org",
        "big": f"big.{z}", "big_count": 120,
    }


def rrs(msg, section):
    """Records of a dig section as [owner, ttl, class, type, rdata...] lists."""
    return [r.split() for r in msg.get(f"{section}_SECTION", [])]


class DnsConformanceChecks:
    server = None
    port = None
    zone = None
    names = None

    def dig(self, name, qtype="A", *options):
        return dig(self.server, self.port, name, qtype, *options)

    def kdig(self, name, qtype="A", *options):
        return kdig(self.server, self.port, name, qtype, *options)

    # --- rcodes -------------------------------------------------------------

    def test_noerror_answer_is_authoritative(self):
        m = self.dig(self.names["address"], "A", "+norec")
        self.assertEqual(m["status"], "NOERROR")
        self.assertIn("aa", m["flags"].split())
        self.assertNotIn("ra", m["flags"].split())
        self.assertEqual([r[4] for r in rrs(m, "ANSWER")], [self.names["address_value"]])
        k = self.kdig(self.names["address"], "A")
        self.assertEqual(k.status, "NOERROR")
        self.assertIn("aa", k.flags)
        self.assertEqual(len(k.sections["ANSWER"]), 1)

    def test_nxdomain_has_the_soa_in_authority(self):
        m = self.dig(self.names["missing"], "A")
        self.assertEqual(m["status"], "NXDOMAIN")
        self.assertIn("aa", m["flags"].split())
        self.assertNotIn("ANSWER_SECTION", m)
        auth = rrs(m, "AUTHORITY")
        self.assertEqual(len(auth), 1)
        self.assertEqual(auth[0][0], f"{self.zone}.")
        self.assertEqual(auth[0][3], "SOA")
        # RFC 2308: the SOA TTL is at most its MINIMUM field.
        self.assertLessEqual(int(auth[0][1]), int(auth[0][-1]))
        k = self.kdig(self.names["missing"], "A")
        self.assertEqual(k.status, "NXDOMAIN")
        self.assertEqual(len(k.sections["AUTHORITY"]), 1)

    def test_nodata_is_noerror_with_the_soa(self):
        m = self.dig(self.names["address"], "TXT")
        self.assertEqual(m["status"], "NOERROR")
        self.assertNotIn("ANSWER_SECTION", m)
        self.assertEqual([r[3] for r in rrs(m, "AUTHORITY")], ["SOA"])

    def test_empty_non_terminal_is_nodata(self):
        m = self.dig(self.names["empty_non_terminal"], "A")
        self.assertEqual(m["status"], "NOERROR")
        self.assertEqual([r[3] for r in rrs(m, "AUTHORITY")], ["SOA"])

    def test_refused_outside_the_zone(self):
        m = self.dig(self.names["outside"], "A")
        self.assertEqual(m["status"], "REFUSED")
        self.assertNotIn("aa", m["flags"].split())
        self.assertEqual(self.kdig(self.names["outside"], "A").status, "REFUSED")

    def test_apex_soa_and_ns(self):
        soa = self.dig(self.zone, "SOA")
        self.assertEqual(rrs(soa, "ANSWER")[0][3], "SOA")
        ns = self.dig(self.zone, "NS")
        self.assertEqual(rrs(ns, "ANSWER")[0][3], "NS")

    def test_not_implemented_opcodes(self):
        for opcode in ("notify", "update", "1"):
            m = self.dig(self.zone, "SOA", f"+opcode={opcode}")
            self.assertEqual(m["status"], "NOTIMP", opcode)

    def test_malformed_queries_get_formerr_or_are_dropped(self):
        good = query_bytes(self.names["address"], qid=0x1111)
        cases = {
            "QDCOUNT 2 with one question": good[:4] + struct.pack("!H", 2) + good[6:],
            "QDCOUNT 0": good[:4] + struct.pack("!H", 0) + good[6:],
            "header only": good[:12],
            "truncated question": good[:-3],
            "label pointer loop": good[:12] + b"\xc0\x0c\x00\x01\x00\x01",
            "pointer beyond the end": good[:12] + b"\xc0\xff\x00\x01\x00\x01",
            "trailing garbage": good + b"\x00\x01\x02",
            "OPT claims more data": good[:10] + struct.pack("!H", 1) + good[12:] + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x10",
        }
        for why, payload in cases.items():
            reply = raw_udp(self.server, self.port, payload)
            self.assertIsNotNone(reply, why)
            self.assertEqual(reply[:2], b"\x11\x11", why)  # id echoed
            self.assertTrue(reply[2] & 0x80, why)  # QR
            self.assertEqual(rcode_of(reply), 1, why)  # FORMERR
        # No reply at all for what cannot be a query: too short, or a response.
        self.assertIsNone(raw_udp(self.server, self.port, b"\x12\x34\x01", timeout=0.5))
        response = good[:2] + bytes([good[2] | 0x80]) + good[3:]
        self.assertIsNone(raw_udp(self.server, self.port, response, timeout=0.5))
        # And the server still answers.
        self.assertEqual(self.dig(self.names["address"], "A")["status"], "NOERROR")

    # --- EDNS, truncation, TCP -------------------------------------------

    def test_edns_reply_advertises_1232(self):
        for options in ((), ("+bufsize=4096",), ("+bufsize=512",)):
            m = self.dig(self.names["address"], "A", *options)
            self.assertEqual(m["OPT_PSEUDOSECTION"]["EDNS"]["udp"], 1232, options)
            self.assertEqual(m["OPT_PSEUDOSECTION"]["EDNS"]["version"], 0, options)
        m = self.dig(self.names["address"], "A", "+noedns")
        self.assertNotIn("OPT_PSEUDOSECTION", m)
        k = self.kdig(self.names["address"], "A", "+edns")
        self.assertEqual(k.edns["udp"], 1232)
        self.assertEqual(self.dig(self.names["address"], "A", "+edns=1", "+noednsnegotiation")["status"], "BADVERS")

    def test_truncated_over_udp_then_complete_over_tcp(self):
        for options in (("+noedns",), ("+bufsize=1232",), ("+bufsize=4096",)):
            tc = self.dig(self.names["big"], "A", "+ignore", *options)
            self.assertIn("tc", tc["flags"].split(), options)
            self.assertEqual(tc["socket_protocol"], "UDP")
        messages = dig_messages(self.server, self.port, self.names["big"], "A")
        full = messages[-1]
        self.assertEqual(full["socket_protocol"], "TCP")
        self.assertNotIn("tc", full["flags"].split())
        self.assertEqual(len(rrs(full, "ANSWER")), self.names["big_count"])
        k = self.kdig(self.names["big"], "A")
        self.assertEqual(k.protocol, "TCP")
        self.assertEqual(len(k.sections["ANSWER"]), self.names["big_count"])
        self.assertIn("tc", self.kdig(self.names["big"], "A", "+ignore").flags)

    def test_plain_tcp_queries(self):
        m = self.dig(self.names["address"], "A", "+tcp")
        self.assertEqual(m["socket_protocol"], "TCP")
        self.assertEqual(m["status"], "NOERROR")
        self.assertEqual(self.kdig(self.names["missing"], "A", "+tcp").status, "NXDOMAIN")

    # --- data ----------------------------------------------------------------

    def test_names_are_case_insensitive(self):
        mixed = "".join(c.upper() if i % 2 else c for i, c in enumerate(self.names["address"]))
        m = self.dig(mixed, "A")
        self.assertEqual(m["status"], "NOERROR")
        self.assertEqual([r[4] for r in rrs(m, "ANSWER")], [self.names["address_value"]])
        self.assertEqual(m["QUESTION_SECTION"][0].split()[0], mixed + ".")  # echoed as asked
        self.assertEqual(self.kdig(mixed.upper(), "A").status, "NOERROR")

    def test_cname_rotates_between_distinct_targets(self):
        seen = []
        for _ in range(6):
            m = self.dig(self.names["cname"], "A")
            answer = rrs(m, "ANSWER")
            self.assertEqual([r[3] for r in answer], ["CNAME", "A"], m)  # one CNAME, then the target's address
            self.assertEqual(answer[1][0], answer[0][4])
            seen.append(answer[0][4])
        self.assertEqual(set(seen), self.names["cname_targets"])
        # Identical values from several records are served once: an even split.
        self.assertEqual(seen.count(sorted(self.names["cname_targets"])[0]), 3)

    def test_srv_with_address_in_additional(self):
        m = self.dig(self.names["srv"], "SRV")
        answer = rrs(m, "ANSWER")
        self.assertEqual(answer[0][3], "SRV")
        self.assertEqual(answer[0][7], self.names["srv_target"])
        self.assertIn(self.names["srv_target"], [r[0] for r in rrs(m, "ADDITIONAL")])

    def test_any_lists_the_rrsets_of_a_name(self):
        m = self.dig(self.names["dual"], "ANY")
        self.assertEqual(sorted(r[3] for r in rrs(m, "ANSWER")), ["A", "AAAA"])

    # --- zone transfer -----------------------------------------------------

    def test_axfr_lists_the_zone(self):
        messages = dig_messages(self.server, self.port, self.zone, "AXFR")
        records = [r for msg in messages for r in rrs(msg, "ANSWER")]
        self.assertEqual(records[0][3], "SOA")
        self.assertEqual(records[-1][3], "SOA")
        names = {r[0] for r in records}
        for key in ("address", "cname", "srv", "big", "dual"):
            self.assertIn(self.names[key] + ".", names)
        cnames = {r[4] for r in records if r[3] == "CNAME" and r[0] == self.names["cname"] + "."}
        self.assertEqual(cnames, self.names["cname_targets"])
        self.assertEqual(len([r for r in records if r[0] == self.names["big"] + "."]), self.names["big_count"])
        lines, text = kdig_transfer(self.server, self.port, self.zone)
        self.assertEqual(len(lines), len(records), text)

    def test_ixfr_is_answered_with_the_whole_zone(self):
        records = [r for msg in dig_messages(self.server, self.port, self.zone, "IXFR=1") for r in rrs(msg, "ANSWER")]
        self.assertEqual(records[0][3], "SOA")
        self.assertEqual(records[-1][3], "SOA")
        self.assertIn(self.names["address"] + ".", {r[0] for r in records})
        # Over UDP, the current SOA (RFC 1995), which sends the client to TCP.
        udp = self.dig(self.zone, "IXFR=1", "+notcp")
        self.assertEqual(udp["socket_protocol"], "UDP")
        self.assertEqual([r[3] for r in rrs(udp, "ANSWER")], ["SOA"])

    def test_axfr_of_another_zone_is_refused(self):
        m = self.dig(self.names["outside"], "AXFR")
        self.assertEqual(m["status"], "REFUSED")
