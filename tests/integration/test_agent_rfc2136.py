"""`ecssd agent --provider rfc2136` (and `ecssd reap`, `ecssd records`) end to
end against BIND 9.18, Knot DNS 3.2 (journal: IXFR is real) and PowerDNS 4.7
(gsqlite3, dnsupdate=yes), each started on loopback with a TSIG-enabled zone,
with a private dockerd. The same scenarios run against each server; results
are checked with dig and a TSIG-signed kdig AXFR, never only with ecssd."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness.agent import AgentProcess, dig_short, ecssd_bin, free_port, wait_until  # noqa: E402
from harness.bind import Bind  # noqa: E402
from harness.dockerd import Dockerd  # noqa: E402
from harness.knot import Knot  # noqa: E402
from harness.powerdns import PowerDns  # noqa: E402
from harness.rfc2136 import nsupdate, zone_rrs  # noqa: E402
from harness.tsig_keys import TsigKey  # noqa: E402

ZONE = "svc.test"
FAST = ["--batch-interval", "100ms", "--batch-max-delay", "500ms", "--resync", "10s"]
REAP_FAST = ["--grace", "0s", "--check-interval", "200ms", "--check-timeout", "1s"]
DOCKER = None


def setUpModule():
    global DOCKER
    DOCKER = Dockerd()
    DOCKER.start()
    DOCKER.ensure_image()


def tearDownModule():
    if DOCKER:
        DOCKER.cleanup()


def listening(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def uniq(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


class AgentRfc2136Scenarios:
    """The scenarios of issue 11 section 5; a subclass names its server."""

    outage = 20  # seconds the server is stopped in test_server_outage

    def make_server(self, key):
        raise NotImplementedError

    def refuse(self, name):
        """Reconfigures the server so that its policy refuses updates of `name`."""
        raise NotImplementedError

    def allow_all(self):
        raise NotImplementedError

    refusal_says = "REFUSED"

    # --- set-up

    def setUp(self):
        self.key = TsigKey()
        self.server = self.make_server(self.key)
        self.server.start()
        self.addCleanup(self.server.stop)
        self.tmp = tempfile.TemporaryDirectory(prefix="ecssd-rfc2136-")
        self.addCleanup(self.tmp.cleanup)
        self.key_file = self.key.write(os.path.join(self.tmp.name, "key.conf"))
        self.addCleanup(DOCKER.remove_all_containers)

    def args(self, owner="h1", key_file=None, extra=(), zone=ZONE, mode="srv"):
        return ["--provider", "rfc2136", "--zone", zone, "--rfc2136-server", f"127.0.0.1:{self.server.port}",
                "--tsig-key-file", key_file or self.key_file, "--docker-host", DOCKER.docker_host,
                "--host-name", owner, "--host-ip", "127.0.0.1", "--owner-id", owner, "--record-mode", mode,
                *FAST, *extra]

    def agent(self, owner="h1", ready=True, env=None, **kw):
        a = AgentProcess(self.args(owner, **kw), env=env)
        self.addCleanup(a.stop)
        a.start()
        if ready:
            a.wait_ready(30)
        return a

    def web(self, service, name=None):
        port = free_port(both=False)
        name = name or uniq(service)
        DOCKER.run_container(name, ["httpd", "-f", "-p", f"127.0.0.1:{port}"], env={f"SERVICE_{port}_NAME": service})
        return name, port

    # --- checks with independent clients

    def srv(self, service):
        return sorted(dig_short(self.server.port, f"_{service}._tcp.{ZONE}", "SRV"))

    def rrs(self):
        return zone_rrs(self.server.port, ZONE, self.key)

    def companions(self, service):
        return [v for n, t, v in self.rrs() if n == f"srv._ecssd._{service}._tcp.{ZONE}" and t == "TXT"]

    def wait_srv(self, service, expected, timeout=15):
        ok = wait_until(lambda: self.srv(service) == sorted(expected), timeout, 0.1)
        self.assertTrue(ok, f"_{service}._tcp: {self.srv(service)}, expected {expected}")

    def wait_error(self, agent, text, timeout=20):
        def found():
            return [e for e in agent.events() if text in e.get("error", "")]
        hit = wait_until(found, timeout, 0.1)
        self.assertTrue(hit, f"no log line with {text!r}:\n" + "\n".join(agent.log()[-25:]))
        self.assertTrue(agent.alive())
        return hit[0]

    # --- publish, withdraw, restart

    def test_publish_and_withdraw(self):
        a = self.agent()
        service = uniq("web")
        name, port = self.web(service)
        self.wait_srv(service, [f"1 1 {port} h1.{ZONE}."])
        self.assertIn((f"h1.{ZONE}", "A", "127.0.0.1"), self.rrs())  # the host record the SRV points at
        companion = self.companions(service)
        self.assertEqual(len(companion), 1)
        self.assertIn('"owner=h1"', companion[0])
        self.assertIn(f'"container-name={name}"', companion[0])
        self.assertTrue(a.find("record published", name=f"_{service}._tcp.{ZONE}"))
        DOCKER.docker("stop", "-t", "1", name)
        self.wait_srv(service, [])
        self.assertEqual(self.companions(service), [])

    def test_a_mode_publishes_a_and_aaaa(self):
        self.agent(mode="a", extra=["--host-ip6", "fd00::1"])
        service = uniq("api")
        self.web(service)
        fqdn = f"{service}.{ZONE}"
        self.assertTrue(wait_until(lambda: dig_short(self.server.port, fqdn, "A") == ["127.0.0.1"], 15))
        self.assertTrue(wait_until(lambda: dig_short(self.server.port, fqdn, "AAAA") == ["fd00::1"], 15))
        types = {t for n, t, _ in self.rrs() if n.endswith(f"._ecssd.{fqdn}")}
        self.assertEqual(types, {"TXT"})
        self.assertEqual({n.split(".")[0] for n, _, _ in self.rrs() if n.endswith(f"._ecssd.{fqdn}")}, {"a", "aaaa"})

    def test_changes_while_the_agent_was_down_converge(self):
        before, after = uniq("before"), uniq("after")
        a = self.agent()
        old, old_port = self.web(before)
        self.wait_srv(before, [f"1 1 {old_port} h1.{ZONE}."])
        self.assertEqual(a.stop(), 0)
        self.assertEqual(len(self.srv(before)), 1, "records outlive the agent")
        DOCKER.docker("stop", "-t", "1", old)  # stopped while the agent was down
        _, new_port = self.web(after)          # started while the agent was down
        self.agent()
        self.wait_srv(after, [f"1 1 {new_port} h1.{ZONE}."])
        self.wait_srv(before, [])

    def test_two_agents_share_a_zone(self):
        a1 = self.agent("h1")
        a2 = self.agent("h2")
        service = uniq("shared")
        name, port = self.web(service)
        self.wait_srv(service, [f"1 1 {port} h1.{ZONE}.", f"1 1 {port} h2.{ZONE}."])
        self.assertEqual(len(self.companions(service)), 2)
        # Agent 2 goes away (its records stay); agent 1 withdraws only its own.
        self.assertEqual(a2.stop(), 0)
        DOCKER.docker("stop", "-t", "1", name)
        self.wait_srv(service, [f"1 1 {port} h2.{ZONE}."])
        companion = self.companions(service)
        self.assertEqual(len(companion), 1)
        self.assertIn('"owner=h2"', companion[0])
        self.assertTrue(a1.alive())

    def test_cname_second_instance_is_one_clear_error_and_the_first_stays(self):
        a1 = self.agent("h1", mode="cname")
        service = uniq("app")
        self.web(service)
        fqdn = f"{service}.{ZONE}"
        self.assertTrue(wait_until(lambda: dig_short(self.server.port, fqdn, "CNAME") == [f"h1.{ZONE}."], 15))
        a2 = self.agent("h2", mode="cname")
        self.wait_error(a2, "--record-mode srv")
        self.assertEqual(dig_short(self.server.port, fqdn, "CNAME"), [f"h1.{ZONE}."])
        self.assertTrue(a1.alive() and a2.alive())

    def test_record_added_with_nsupdate_is_left_alone(self):
        service = uniq("mixed")
        rc, out = nsupdate(self.server.port, self.key, [
            f"update add _{service}._tcp.{ZONE} 30 SRV 0 0 9999 manual.{ZONE}",
            f"update add manual.{ZONE} 30 A 10.9.9.9",
        ])
        self.assertEqual(rc, 0, out)
        self.agent()
        name, port = self.web(service)
        self.wait_srv(service, [f"0 0 9999 manual.{ZONE}.", f"1 1 {port} h1.{ZONE}."])
        DOCKER.docker("stop", "-t", "1", name)
        self.wait_srv(service, [f"0 0 9999 manual.{ZONE}."])
        self.assertIn((f"manual.{ZONE}", "A", "10.9.9.9"), self.rrs())

    def test_reaper_deletes_what_a_killed_agent_left(self):
        a = self.agent()
        alive, dead = uniq("alive"), uniq("dead")
        _, alive_port = self.web(alive)
        dead_name, dead_port = self.web(dead)
        self.wait_srv(alive, [f"1 1 {alive_port} h1.{ZONE}."])
        self.wait_srv(dead, [f"1 1 {dead_port} h1.{ZONE}."])
        a.stop(signal.SIGKILL)
        DOCKER.docker("kill", dead_name)
        self.assertTrue(wait_until(lambda: not listening(dead_port), 10))
        r = subprocess.run([ecssd_bin(), "reap", "--once", "--provider", "rfc2136", "--zone", ZONE,
                            "--rfc2136-server", f"127.0.0.1:{self.server.port}", "--tsig-key-file", self.key_file,
                            "--output", "json", *REAP_FAST], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertEqual(self.srv(dead), [])
        self.assertEqual(self.companions(dead), [])
        self.assertEqual(self.srv(alive), [f"1 1 {alive_port} h1.{ZONE}."])
        self.assertEqual(len(self.companions(alive)), 1)
        listed = subprocess.run([ecssd_bin(), "records", "--provider", "rfc2136", "--zone", ZONE, "--rfc2136-server",
                                 f"127.0.0.1:{self.server.port}", "--tsig-key-file", self.key_file, "--owned"],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertIn(f"_{alive}._tcp.{ZONE}", listed.stdout)
        self.assertNotIn(f"_{dead}._tcp.{ZONE}", listed.stdout)

    # --- faults: a clear line, no crash, convergence once fixed

    def test_wrong_key_then_fixed(self):
        wrong = TsigKey(self.key.name).write(os.path.join(self.tmp.name, "wrong.conf"))
        a = self.agent(key_file=wrong, ready=False)
        line = self.wait_error(a, "TSIG")
        self.assertNotIn(self.key.secret, "\n".join(a.log()))
        self.assertIn(self.key.name, line["error"])
        status, body = a.http("/readyz")
        self.assertEqual(status, 503, body)
        a.stop()
        self.agent()  # the right key: it converges
        service = uniq("fixed")
        _, port = self.web(service)
        self.wait_srv(service, [f"1 1 {port} h1.{ZONE}."])

    def test_wrong_key_name(self):
        other = TsigKey("not-known", secret=self.key.secret).write(os.path.join(self.tmp.name, "other.conf"))
        a = self.agent(key_file=other, ready=False)
        self.wait_error(a, "not-known")
        self.assertNotIn(self.key.secret, "\n".join(a.log()))

    def test_wrong_zone(self):
        a = self.agent(zone="other.test", ready=False)
        line = self.wait_error(a, "other.test")
        self.assertTrue(any(w in line["error"] for w in ("NOTAUTH", "NOTZONE", "REFUSED", "--zone")), line)

    def test_server_outage_then_convergence(self):
        a = self.agent()
        first = uniq("first")
        _, p1 = self.web(first)
        self.wait_srv(first, [f"1 1 {p1} h1.{ZONE}."])
        self.server.halt()
        during = uniq("during")
        _, p2 = self.web(during)
        self.wait_error(a, "127.0.0.1", timeout=20)
        time.sleep(self.outage)
        self.assertTrue(a.alive())
        self.server.resume()
        self.wait_srv(during, [f"1 1 {p2} h1.{ZONE}."], timeout=60)
        self.assertEqual(self.srv(first), [f"1 1 {p1} h1.{ZONE}."])
        self.assertTrue(a.wait_log("provider reachable again", timeout=10))

    def test_clock_skew_beyond_the_fudge(self):
        lib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
        if not os.path.exists(lib):
            self.skipTest("libfaketime is not installed (scripts/install-deps.sh)")
        env = {"LD_PRELOAD": lib, "FAKETIME": "+20m", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
        a = self.agent(ready=False, env=env)
        line = self.wait_error(a, "clock")
        self.assertTrue("1200 s" in line["error"] or "119" in line["error"] or "120" in line["error"]
                        or "BADTIME" in line["error"] or "NOTAUTH" in line["error"], line)
        a.stop()
        self.agent()
        service = uniq("ontime")
        _, port = self.web(service)
        self.wait_srv(service, [f"1 1 {port} h1.{ZONE}."])

    def test_policy_that_refuses_then_fixed(self):
        a = self.agent()
        service = uniq("denied")
        self.refuse(f"_{service}._tcp.{ZONE}")
        _, port = self.web(service)
        self.wait_error(a, self.refusal_says, timeout=30)
        self.assertEqual(self.srv(service), [])
        self.allow_all()
        self.wait_srv(service, [f"1 1 {port} h1.{ZONE}."], timeout=60)


class BindAgentTest(AgentRfc2136Scenarios, unittest.TestCase):
    outage = 60  # "a server stopped for a minute"

    def make_server(self, key):
        return Bind(ZONE, [], key)

    def refuse(self, name):
        # Everything but that name (and its companion below it).
        self.server.reconfigure(f"deny {self.key.name} subdomain {name}; grant {self.key.name} zonesub ANY;")

    def allow_all(self):
        self.server.reconfigure(f"grant {self.key.name} zonesub ANY;")

    def test_two_zones_one_update_stream_each(self):
        # Issue 11: several --zone; each name in its longest zone, the SRV priority and weight from the container.
        inner = f"b.{ZONE}"
        server = Bind(ZONE, [], self.key, extra_zones=[inner])
        server.start()
        self.addCleanup(server.stop)
        args = ["--provider", "rfc2136", "--zone", ZONE, "--zone", inner,
                "--rfc2136-server", f"127.0.0.1:{server.port}", "--tsig-key-file", self.key_file,
                "--docker-host", DOCKER.docker_host, "--host-name", "h1", "--host-ip", "127.0.0.1",
                "--owner-id", "h1", "--record-mode", "srv", *FAST]
        a = AgentProcess(args)
        self.addCleanup(a.stop)
        a.start()
        a.wait_ready(30)
        api, web = uniq("api"), uniq("web")
        api_port, web_port = free_port(both=False), free_port(both=False)
        DOCKER.run_container(uniq(api), ["httpd", "-f", "-p", f"127.0.0.1:{api_port}"],
                             env={f"SERVICE_{api_port}_NAME": f"{api}.{inner}.", f"SERVICE_{api_port}_PRIORITY": "10",
                                  f"SERVICE_{api_port}_WEIGHT": "5"})
        DOCKER.run_container(uniq(web), ["httpd", "-f", "-p", f"127.0.0.1:{web_port}"],
                             env={f"SERVICE_{web_port}_NAME": web})
        def srv(name):
            return dig_short(server.port, name, "SRV")
        self.assertTrue(wait_until(lambda: srv(f"_{api}._tcp.{inner}") == [f"10 5 {api_port} h1.{ZONE}."], 15, 0.1),
                        srv(f"_{api}._tcp.{inner}"))
        self.assertTrue(wait_until(lambda: srv(f"_{web}._tcp.{ZONE}") == [f"1 1 {web_port} h1.{ZONE}."], 15, 0.1),
                        srv(f"_{web}._tcp.{ZONE}"))
        # Each zone took its own UPDATEs, and each zone's transfer shows its own records only.
        self.assertGreaterEqual(server.zone_counter(inner), 1)
        self.assertGreaterEqual(server.zone_counter(ZONE), 1)
        inner_names = {n for n, t, v in zone_rrs(server.port, inner, self.key)}
        self.assertIn(f"_{api}._tcp.{inner}", inner_names)
        self.assertNotIn(f"_{web}._tcp.{ZONE}", inner_names)


class KnotAgentTest(AgentRfc2136Scenarios, unittest.TestCase):
    # Knot answers an update no acl allows with NOTAUTH/BADKEY.
    refusal_says = "BADKEY"

    def make_server(self, key):
        return Knot(ZONE, [], key=key, allow_update=True, journal=True)

    def refuse(self, name):
        self.server.reconfigure(["    update-owner: name", "    update-owner-match: sub-or-equal",
                                 "    update-owner-name: [h1.svc.test.]"])

    def allow_all(self):
        self.server.reconfigure([])


class PowerDnsAgentTest(AgentRfc2136Scenarios, unittest.TestCase):
    # PowerDNS answers NOERROR to what its Lua policy drops: the read-back says so.
    refusal_says = "does not show the change"

    def make_server(self, key):
        return PowerDns(ZONE, [], key)

    def refuse(self, name):
        self.server.reconfigure(refuse_prefix=name.split(".")[0])

    def allow_all(self):
        self.server.reconfigure(refuse_prefix=None)


if __name__ == "__main__":
    unittest.main()
