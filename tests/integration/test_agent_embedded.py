"""`ecssd agent` end to end on the embedded provider: a private dockerd with
busybox containers on the host network, the real agent binary, answers checked
with dig (an independent client)."""
import json
import os
import signal
import subprocess
import time
import unittest

from harness.agent import AgentProcess, dig_short, dig_status, free_port, run_ecssd, wait_until
from harness.agent_case import DockerdAgentCase, uniq
from harness.dockerd import Dockerd

ZONE = "servicediscovery.internal"


class AgentEmbeddedTest(DockerdAgentCase):
    def web(self, service, name=None, env=None, **kwargs):
        """A busybox httpd on a free loopback port declaring SERVICE_<port>_NAME=service."""
        port = free_port(both=False)
        e = {f"SERVICE_{port}_NAME": service}
        e.update(env or {})
        name = name or uniq(service)
        self.d.run_container(name, ["httpd", "-f", "-p", f"127.0.0.1:{port}"], env=e, **kwargs)
        return name, port

    def fqdn(self, service):
        return f"{service}.{ZONE}"

    # --- issue 2, section 7: the integration cases

    def test_run_answers_within_2s_and_stop_gives_nxdomain_within_2s(self):
        a = self.agent()
        service = uniq("web")
        name, _ = self.web(service)
        started = time.monotonic()
        answer = wait_until(lambda: dig_short(a.dns_port, self.fqdn(service)), 2.0)
        self.assertTrue(answer, f"no answer within 2 s of docker run returning:\n" + "\n".join(a.log()[-20:]))
        self.assertEqual(answer, [f"host1.{ZONE}.", "127.0.0.1"])
        published = a.find("record published", name=self.fqdn(service))
        self.assertEqual(len(published), 1)
        self.assertEqual(published[0]["type"], "CNAME")
        self.assertEqual(published[0]["target"], f"host1.{ZONE}")
        self.assertEqual(published[0]["container"], name)

        self.d.docker("stop", "-t", "1", name)
        gone = wait_until(lambda: dig_status(a.dns_port, self.fqdn(service))[0] == "NXDOMAIN", 2.0)
        self.assertTrue(gone, "still answered 2 s after docker stop returned")
        self.assertTrue(a.find("record withdrawn", name=self.fqdn(service), container=name))
        self.assertLess(time.monotonic() - started, 30)

    def test_changes_while_the_agent_is_down_converge_at_start_up(self):
        before, after = uniq("before"), uniq("after")
        a = self.agent()
        old_name, _ = self.web(before)
        self.assertTrue(wait_until(lambda: dig_short(a.dns_port, self.fqdn(before)), 5))
        self.assertEqual(a.stop(), 0)

        self.d.docker("stop", "-t", "1", old_name)  # stopped while the agent was down
        self.web(after)                            # started while the agent was down
        b = self.agent()
        self.assertTrue(wait_until(lambda: dig_short(b.dns_port, self.fqdn(after)), 2))
        self.assertEqual(dig_status(b.dns_port, self.fqdn(before))[0], "NXDOMAIN")

    def test_dockerd_restart_under_the_agent_reconverges(self):
        a = self.agent()
        s1, s2 = uniq("one"), uniq("two")
        self.web(s1)
        self.assertTrue(wait_until(lambda: dig_short(a.dns_port, self.fqdn(s1)), 5))
        self.d.stop()   # the engine goes away (its containers stop with it)
        time.sleep(1.5)
        self.assertTrue(a.alive(), "the agent must never exit because the engine is down")
        status, body = a.http("/readyz")
        self.d.start()
        self.web(s2)
        self.assertTrue(wait_until(lambda: dig_short(a.dns_port, self.fqdn(s2)), 15),
                        "\n".join(a.log()[-30:]))
        self.assertTrue(wait_until(lambda: dig_status(a.dns_port, self.fqdn(s1))[0] == "NXDOMAIN", 5))
        # The outage is logged once per state change, not once per retry.
        lost = [e for e in a.events() if e.get("level") in ("warn", "error") and "unreachable" in e.get("msg", "")]
        self.assertLessEqual(len(lost), 2, lost)
        self.assertTrue(a.alive())

    def test_health_checked_container_is_published_only_while_healthy(self):
        a = self.agent()
        service = uniq("hc")
        port = free_port(both=False)
        name = uniq("hc")
        # Healthy once /tmp/ok exists (after ~2 s); the check runs every second.
        self.d.run_container(name, ["sh", "-c", f"sleep 2; touch /tmp/ok; exec httpd -f -p 127.0.0.1:{port}"],
                             env={f"SERVICE_{port}_NAME": service}, health_cmd="test -f /tmp/ok",
                             health_interval="1s")
        time.sleep(1.0)
        self.assertEqual(dig_status(a.dns_port, self.fqdn(service))[0], "NXDOMAIN", "published before healthy")
        self.assertTrue(wait_until(lambda: dig_short(a.dns_port, self.fqdn(service)), 15),
                        "not published once healthy:\n" + "\n".join(a.log()[-20:]))
        # Unhealthy again: withdrawn.
        self.d.docker("exec", name, "rm", "/tmp/ok")
        self.assertTrue(wait_until(lambda: dig_status(a.dns_port, self.fqdn(service))[0] == "NXDOMAIN", 15))

    def test_bad_container_is_logged_and_the_good_services_published(self):
        a = self.agent()
        good = uniq("good")
        port = free_port(both=False)
        name = uniq("bad")
        self.d.run_container(name, ["httpd", "-f", "-p", f"127.0.0.1:{port}"],
                             env={"SERVICE_abc_NAME": "x", "SERVICE_80_NAME": "bad name!",
                                  "SERVICE_99999_NAME": "toolarge", f"SERVICE_{port}_NAME": good})
        self.assertTrue(wait_until(lambda: dig_short(a.dns_port, self.fqdn(good)), 5))
        rejected = {}
        for e in a.events():
            text = json.dumps(e)
            for field in ("SERVICE_abc_NAME", "SERVICE_80_NAME", "SERVICE_99999_NAME"):
                if field in text and name in text:
                    rejected.setdefault(field, []).append(e)
        self.assertEqual(sorted(rejected), ["SERVICE_80_NAME", "SERVICE_99999_NAME", "SERVICE_abc_NAME"], a.log())
        for field, lines in rejected.items():
            self.assertEqual(len(lines), 1, f"{field} logged {len(lines)} times")
        # A resync re-inspects the container: still one line each.
        a.send(signal.SIGHUP)
        time.sleep(1)
        again = [e for e in a.events() if "SERVICE_abc_NAME" in json.dumps(e)]
        self.assertEqual(len(again), 1)
        self.assertTrue(a.alive())

    def test_restart_loop_ends_withdrawn(self):
        a = self.agent()
        service = uniq("crash")
        port = free_port(both=False)
        self.d.run_container(uniq("crash"), ["sh", "-c", f"httpd -p 127.0.0.1:{port}; sleep 1; exit 3"],
                             env={f"SERVICE_{port}_NAME": service}, restart="on-failure:2")
        # Three runs of about a second each, then it stays down.
        def settled():
            state = self.d.docker("ps", "-a", "--filter", f"name=crash", "--format", "{{.Status}}")
            return "Exited" in state
        self.assertTrue(wait_until(settled, 30))
        self.assertTrue(wait_until(lambda: dig_status(a.dns_port, self.fqdn(service))[0] == "NXDOMAIN", 3))
        time.sleep(1)
        self.assertEqual(dig_status(a.dns_port, self.fqdn(service))[0], "NXDOMAIN")

    # --- record modes

    def test_srv_mode(self):
        a = self.agent("--record-mode", "srv")
        service = uniq("api")
        _, port = self.web(service)
        srv = f"_{service}._tcp.{ZONE}"
        answer = wait_until(lambda: dig_short(a.dns_port, srv, "SRV"), 5)
        self.assertEqual(answer, [f"1 1 {port} host1.{ZONE}."])
        self.assertEqual(dig_short(a.dns_port, f"host1.{ZONE}"), ["127.0.0.1"])
        # SRV priority and weight from the container (issue 11): the port's own keys.
        weighted = uniq("api")
        wport = free_port(both=False)
        self.d.run_container(uniq(weighted), ["httpd", "-f", "-p", f"127.0.0.1:{wport}"],
                             env={f"SERVICE_{wport}_NAME": weighted, f"SERVICE_{wport}_PRIORITY": "10",
                                  f"SERVICE_{wport}_WEIGHT": "5"})
        answer = wait_until(lambda: dig_short(a.dns_port, f"_{weighted}._tcp.{ZONE}", "SRV"), 5)
        self.assertEqual(answer, [f"10 5 {wport} host1.{ZONE}."])

    def test_several_zones_each_name_in_its_longest_zone(self):
        # Issue 11: --zone repeats; one responder serves both zones, each with its SOA and NS.
        outer, inner = "sd.test", "b.sd.test"
        a = self.agent("--record-mode", "a", "--zone", outer, "--zone", inner)
        rel, absolute, lost = uniq("a"), uniq("api"), uniq("lost")
        self.web(f"{rel}.b")                       # relative to the first zone: <rel>.b.sd.test, in b.sd.test
        self.web(f"{absolute}.{inner}.")           # a trailing dot: the zone that holds it
        self.web("web", env={})                    # web.sd.test, in the first zone
        lost_name, lost_port = self.web(f"{lost}.elsewhere.")
        self.assertEqual(wait_until(lambda: dig_short(a.dns_port, f"{rel}.{inner}"), 5), ["127.0.0.1"])
        self.assertEqual(wait_until(lambda: dig_short(a.dns_port, f"{absolute}.{inner}"), 5), ["127.0.0.1"])
        self.assertEqual(wait_until(lambda: dig_short(a.dns_port, f"web.{outer}"), 5), ["127.0.0.1"])
        for zone in (outer, inner):
            soa = dig_short(a.dns_port, zone, "SOA")
            self.assertEqual(len(soa), 1, soa)
            self.assertTrue(soa[0].startswith(f"ns.{zone}. "), soa)
            self.assertEqual(dig_short(a.dns_port, zone, "NS"), [f"ns.{zone}."])
        self.assertEqual(dig_status(a.dns_port, f"nothing.{inner}")[0], "NXDOMAIN")
        self.assertEqual(dig_status(a.dns_port, f"{lost}.elsewhere")[0], "REFUSED")
        lines = [e for e in a.find("service not published") if e.get("container") == lost_name]
        self.assertEqual(len(lines), 1, a.log()[-20:])
        self.assertEqual(lines[0]["field"], f"SERVICE_{lost_port}_NAME")
        self.assertIn("none of the served zones", lines[0]["reason"])
        # records reads both zones by AXFR and lists the records of each.
        code, out, err = run_ecssd("records", "--dns-listen", f"127.0.0.1:{a.dns_port}", "--zone", outer,
                                   "--zone", inner, "--output", "json")
        self.assertEqual(code, 0, err)
        names = {r["name"] for r in json.loads(out)}
        self.assertTrue({f"{rel}.{inner}", f"{absolute}.{inner}", f"web.{outer}"} <= names, names)
        # reap reads both zones too, and its report names them (dry run: the targets here answer nothing).
        code, out, err = run_ecssd("reap", "--provider", "embedded", "--zone", outer, "--zone", inner,
                                   "--dns-listen", f"127.0.0.1:{a.dns_port}", "--output", "json", "--dry-run",
                                   "--check-interval", "100ms", "--check-timeout", "200ms")
        report = json.loads(out)
        self.assertEqual((report["zone"], report["zones"]), (outer, [outer, inner]), err[-2000:])
        reaped = {r["name"] for r in report["records"]}
        self.assertTrue({f"{rel}.{inner}", f"web.{outer}"} <= reaped, reaped)

    def test_a_mode(self):
        a = self.agent("--record-mode", "a")
        service = uniq("db")
        self.web(service)
        self.assertEqual(wait_until(lambda: dig_short(a.dns_port, self.fqdn(service)), 5), ["127.0.0.1"])

    # --- operator interface

    def test_records_command_lists_owner_and_container(self):
        a = self.agent()
        service = uniq("web")
        # The check is a gate since issue 10: a path busybox httpd serves (from /).
        # A first check that beats httpd's bind is refused; the next comes after
        # --check-start-interval (1s), not the 10s interval.
        name, port = self.web(service, env={"SERVICE_CHECK_HTTP": "/etc/hostname"})
        self.assertTrue(wait_until(lambda: dig_short(a.dns_port, self.fqdn(service)), 5), "\n".join(a.log()[-20:]))
        code, out, err = run_ecssd("records", "--dns-listen", f"127.0.0.1:{a.dns_port}", "--output", "json")
        self.assertEqual(code, 0, err)
        records = {(r["name"], r["type"]): r for r in json.loads(out)}
        r = records[(self.fqdn(service), "CNAME")]
        self.assertEqual(r["owner"], f"host1.{ZONE}")
        self.assertEqual(r["labels"]["container-name"], name)
        self.assertEqual(r["labels"]["addr"], f"127.0.0.1:{port}")
        self.assertTrue(r["set_identifier"].startswith(f"ecssd:host1.{ZONE}:"))
        code, text, _ = run_ecssd("records", "--dns-listen", f"127.0.0.1:{a.dns_port}")
        self.assertEqual(code, 0)
        self.assertIn(name, text)
        # The ownership data is in DNS itself, for any client.
        txt = dig_short(a.dns_port, f"cname._ecssd.{self.fqdn(service)}", "TXT")
        self.assertEqual(len(txt), 1)
        self.assertIn('"heritage=ecssd"', txt[0])
        self.assertIn(f'"container-name={name}"', txt[0])

    def test_metrics_signals_and_exit_codes(self):
        a = self.agent()
        service = uniq("m")
        self.web(service)
        self.assertTrue(wait_until(lambda: dig_short(a.dns_port, self.fqdn(service)), 5))
        status, body = a.http("/metrics")
        self.assertEqual(status, 200)
        self.assertIn('ecssd_record_changes_total{op="create"}', body)
        self.assertIn("ecssd_records_owned 2", body)  # the CNAME and the host's A record
        self.assertEqual(a.http("/healthz")[0], 200)
        a.send(signal.SIGHUP)
        self.assertTrue(a.wait_log("SIGHUP: resyncing", timeout=5))
        self.assertTrue(a.alive())
        self.assertEqual(a.stop(signal.SIGTERM), 0)

    def test_bad_flags_exit_2_with_a_clear_message(self):
        for args, needle in ((["--record-mode", "bogus"], "--record-mode"),
                             (["--resync", "5x"], "5x"),
                             (["--zone", "bad zone"], "--zone"),
                             (["--ttl", "-1"], "--ttl"),
                             (["--check-start-interval", "10ms"], "--check-start-interval")):
            code, out, err = run_ecssd("agent", "--docker-host", self.d.docker_host, "--host-ip", "127.0.0.1",
                                       "--dns-listen", "127.0.0.1:0", "--metrics-listen", "", *args, timeout=10)
            self.assertEqual(code, 2, (args, out, err))
            self.assertIn(needle, out + err)
        # A listen address no retry can fix is a configuration error too.
        code, out, err = run_ecssd("agent", "--docker-host", self.d.docker_host, "--host-ip", "127.0.0.1",
                                   "--dns-listen", "127.0.0.1:99999", "--metrics-listen", "", timeout=10)
        self.assertEqual(code, 2, (out, err))
        self.assertIn("99999", out + err)

    def test_engine_unreachable_at_start_up_keeps_the_agent_waiting(self):
        a = AgentProcess(["--docker-host", "unix:///tmp/ecssd-no-such-engine.sock", "--host-ip", "127.0.0.1"])
        self.addCleanup(a.stop)
        a.start()
        time.sleep(3)
        self.assertTrue(a.alive())
        status, body = a.http("/readyz")
        self.assertEqual(status, 503)
        self.assertIn("container engine", body)
        complaints = [e for e in a.events() if e.get("level") in ("warn", "error")]
        self.assertLessEqual(len(complaints), 1, complaints)
        self.assertEqual(a.stop(), 0)

    def test_dns_port_in_use_is_a_clear_start_up_error(self):
        a = self.agent()
        code, out, err = run_ecssd("agent", "--docker-host", self.d.docker_host, "--host-ip", "127.0.0.1",
                                   "--dns-listen", f"127.0.0.1:{a.dns_port}", "--metrics-listen", "", timeout=10)
        self.assertEqual(code, 1)
        self.assertIn(str(a.dns_port), out + err)


class AgentZoneConformanceTest(unittest.TestCase):
    """The rcode rules of the agent's own zone, checked with dig and kdig."""

    @classmethod
    def setUpClass(cls):
        cls.d = Dockerd()
        cls.d.start()
        cls.d.ensure_image()
        cls.a = AgentProcess(["--docker-host", cls.d.docker_host, "--host-name", "host1", "--host-ip", "127.0.0.1"])
        cls.a.start()
        cls.a.wait_ready()
        cls.port = free_port(both=False)
        cls.d.run_container("conf", ["httpd", "-f", "-p", f"127.0.0.1:{cls.port}"],
                            env={f"SERVICE_{cls.port}_NAME": "web"})
        assert wait_until(lambda: dig_short(cls.a.dns_port, f"web.{ZONE}"), 5)

    @classmethod
    def tearDownClass(cls):
        cls.a.stop()
        cls.d.cleanup()

    def kdig(self, *args):
        return subprocess.run(["kdig", "+timeout=2", "+retry=0", "@127.0.0.1", "-p", str(self.a.dns_port), *args],
                              capture_output=True, text=True).stdout

    def test_apex_has_soa_and_ns(self):
        self.assertEqual(len(dig_short(self.a.dns_port, ZONE, "SOA")), 1)
        self.assertEqual(dig_short(self.a.dns_port, ZONE, "NS"), [f"ns.{ZONE}."])

    def test_nxdomain_nodata_refused(self):
        status, text = dig_status(self.a.dns_port, f"nope.{ZONE}")
        self.assertEqual(status, "NXDOMAIN")
        self.assertIn("SOA", text.split("AUTHORITY SECTION")[1])
        status, text = dig_status(self.a.dns_port, f"host1.{ZONE}", "AAAA")
        self.assertEqual(status, "NOERROR")
        self.assertIn("ANSWER: 0", text)
        self.assertIn("SOA", text.split("AUTHORITY SECTION")[1])
        self.assertEqual(dig_status(self.a.dns_port, "example.org")[0], "REFUSED")

    def test_no_recursion_and_authoritative(self):
        out = self.kdig(f"web.{ZONE}", "A")
        self.assertIn("NOERROR", out)
        flags = [l for l in out.splitlines() if l.startswith(";; Flags:")][0]
        self.assertIn(" aa", flags)
        self.assertNotIn(" ra", flags)

    def test_case_insensitive_and_tcp(self):
        # Compressed names in the answer point into the question, so they keep its case.
        answer = [l.lower() for l in dig_short(self.a.dns_port, f"WeB.{ZONE.upper()}", tcp=True)]
        self.assertEqual(answer, [f"host1.{ZONE}.", "127.0.0.1"])

    def test_axfr_from_loopback(self):
        out = subprocess.run(["dig", "+noall", "+answer", "@127.0.0.1", "-p", str(self.a.dns_port), ZONE, "AXFR"],
                             capture_output=True, text=True).stdout
        names = {l.split()[0] for l in out.splitlines() if l}
        self.assertIn(f"web.{ZONE}.", names)
        self.assertIn(f"cname._ecssd.web.{ZONE}.", names)
        self.assertEqual(sum(1 for l in out.splitlines() if "\tSOA\t" in l or " SOA " in l), 2)

    def test_edns_buffer_1232(self):
        out = self.kdig(f"web.{ZONE}", "+edns")
        self.assertIn("UDP size: 1232 B", out)


if __name__ == "__main__":
    unittest.main()
