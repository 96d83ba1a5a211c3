"""Conformance of the embedded responder, served by tests/tools/ecssd_zone_server
on a free loopback port, checked with dig, kdig and raw sockets."""
import os
import shutil
import subprocess
import unittest

from harness.dns_conformance import DnsConformanceChecks, conformance_names, conformance_records
from harness.dns_server import ZoneServer, dig, query_bytes, raw_udp, rcode_of, zone_server_binary

ZONE = "svc.test"


class ZoneServerConformanceTest(DnsConformanceChecks, unittest.TestCase):
    threads = 2

    @classmethod
    def setUpClass(cls):
        cls.zone = ZONE
        cls.names = conformance_names(ZONE)
        cls.zone_server = ZoneServer(ZONE, conformance_records(ZONE), threads=cls.threads).start()
        cls.server, cls.port = cls.zone_server.address, cls.zone_server.port

    @classmethod
    def tearDownClass(cls):
        cls.zone_server.stop()


class SingleThreadConformanceTest(ZoneServerConformanceTest):
    """The same checks with the responder on the process's main io_context."""
    threads = 0


class Ipv6LoopbackTest(unittest.TestCase):
    def test_serves_and_transfers_over_ipv6(self):
        with ZoneServer(ZONE, conformance_records(ZONE), threads=2, listen="[::1]:0") as zs:
            self.assertEqual(zs.address, "::1")
            for options in ((), ("+tcp",)):
                m = dig("::1", zs.port, f"host1.{ZONE}", "A", *options)
                self.assertEqual(m["status"], "NOERROR", options)
            m = dig("::1", zs.port, ZONE, "AXFR")  # ::1 is a loopback peer
            self.assertEqual(m["status"], "NOERROR")
            reply = raw_udp("::1", zs.port, query_bytes(f"host1.{ZONE}")[:12])
            self.assertEqual(rcode_of(reply), 1)


class ZoneServerLifecycleTest(unittest.TestCase):
    def test_updates_are_served_without_restart(self):
        records = conformance_records(ZONE)
        with ZoneServer(ZONE, records) as zs:
            serial = zs.serial()
            changed = [r for r in records if r["name"] != f"host1.{ZONE}"]
            changed.append({"name": f"host1.{ZONE}", "type": "A", "ttl": 30, "values": ["10.9.9.9"]})
            changed.append({"name": f"new.{ZONE}", "type": "A", "ttl": 10, "values": ["10.7.7.7"]})
            zs.reload(changed)
            self.assertGreater(zs.serial(), serial)
            m = dig(zs.address, zs.port, f"host1.{ZONE}", "A")
            self.assertEqual([a.split()[4] for a in m["ANSWER_SECTION"]], ["10.9.9.9"])
            self.assertEqual(dig(zs.address, zs.port, f"new.{ZONE}", "A")["status"], "NOERROR")
            zs.reload([r for r in changed if r["name"] != f"new.{ZONE}"])
            self.assertEqual(dig(zs.address, zs.port, f"new.{ZONE}", "A")["status"], "NXDOMAIN")

    def test_a_taken_port_is_a_clear_error(self):
        with ZoneServer(ZONE, conformance_records(ZONE)) as first:
            out = subprocess.run([zone_server_binary(), "--zone", ZONE, "--records", first.records_path,
                                  "--listen", f"{first.address}:{first.port}", "--threads", "2"],
                                 capture_output=True, text=True, timeout=20)
            self.assertNotEqual(out.returncode, 0)
            self.assertIn(f"cannot listen on {first.address}:{first.port}", out.stderr)
            self.assertIn("in use", out.stderr)
            # The first one is unaffected.
            self.assertEqual(dig(first.address, first.port, ZONE, "SOA")["status"], "NOERROR")

    def test_records_outside_the_zone_are_refused_clearly(self):
        bad = conformance_records(ZONE) + [{"name": "web.other.test", "type": "A", "values": ["10.0.0.1"]}]
        with self.assertRaises(RuntimeError) as ctx:
            ZoneServer(ZONE, bad).start()
        self.assertIn("outside the zone", str(ctx.exception))


@unittest.skipUnless(shutil.which("ip"), "iproute2 is required")
class WildcardListenInNamespaceTest(unittest.TestCase):
    """Listening on 0.0.0.0 in a network namespace this test creates (its
    addresses are the test's own): replies leave from the address each query
    came to (IP_PKTINFO), and zone transfers are refused to non-loopback peers."""

    def setUp(self):
        if os.geteuid() != 0:
            self.fail("this test creates a network namespace and must run as root")
        self.ns = f"ecssd-dns-{os.getpid()}"
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        self.addCleanup(subprocess.run, ["ip", "netns", "delete", self.ns])
        for cmd in (["ip", "link", "set", "lo", "up"],
                    ["ip", "addr", "add", "10.251.0.1/32", "dev", "lo"],
                    ["ip", "addr", "add", "10.251.0.2/32", "dev", "lo"]):
            subprocess.run(["ip", "netns", "exec", self.ns] + cmd, check=True)

    def test_replies_come_from_the_queried_address(self):
        with ZoneServer(ZONE, conformance_records(ZONE), threads=2, listen="0.0.0.0:0", netns=self.ns) as zs:
            for target in ("10.251.0.1", "10.251.0.2", "127.0.0.1"):
                # dig ignores replies from an address it did not ask; bound to
                # .1, it would get the wrong source for .2 without IP_PKTINFO.
                m = dig(target, zs.port, f"host1.{ZONE}", "A", "-b", "10.251.0.1", netns=self.ns)
                self.assertEqual(m["status"], "NOERROR", target)
            m = dig("10.251.0.2", zs.port, ZONE, "AXFR", "-b", "10.251.0.1", netns=self.ns)
            self.assertEqual(m["status"], "REFUSED")
            m = dig("127.0.0.1", zs.port, ZONE, "AXFR", netns=self.ns)
            self.assertEqual(m["status"], "NOERROR")


if __name__ == "__main__":
    unittest.main()
