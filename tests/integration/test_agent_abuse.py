"""Issue 12, bounded under abuse, end to end: the real agent on a private
dockerd (embedded provider), checked with dig. The name policy refuses one
service of a container and publishes its other; the responder's TCP limits
hold against idle connections; a flood of malformed queries is one log line."""
import os
import signal
import socket
import time
import unittest

from harness.agent import AgentProcess, dig_short, dig_status, free_port, wait_until
from harness.agent_case import DockerdAgentCase, uniq

ZONE = "servicediscovery.internal"


class AgentAbuseTest(DockerdAgentCase):
    def test_a_refused_name_is_not_served_and_the_containers_other_service_is(self):
        team = uniq("team-a")
        # --allow-name on the command line, --deny-name from the environment (comma-separated).
        a = self.agent("--allow-name", "team-a-*", "--allow-name", "shared",
                       env={"ECSSD_DENY_NAME": f"{team}-admin, nothing-*"})
        web, admin, other = free_port(both=False), free_port(both=False), free_port(both=False)
        name = uniq("multi")
        self.d.run_container(name, ["sleep", "3600"],  # nothing probes the ports: the names are what counts
                             env={f"SERVICE_{web}_NAME": team,             # allowed
                                  f"SERVICE_{admin}_NAME": f"{team}-admin",  # denied (deny wins)
                                  f"SERVICE_{other}_NAME": "payments"})      # not allowed
        answer = wait_until(lambda: dig_short(a.dns_port, f"{team}.{ZONE}"), 10)
        self.assertEqual(answer, [f"host1.{ZONE}.", "127.0.0.1"], "\n".join(a.log()[-20:]))
        refused = wait_until(lambda: len(a.find("service not published: name refused by the name policy")) >= 2, 5)
        self.assertTrue(refused, "\n".join(a.log()[-20:]))
        for service in (f"{team}-admin", "payments"):
            self.assertEqual(dig_status(a.dns_port, f"{service}.{ZONE}")[0], "NXDOMAIN", service)
        lines = {e["name"]: e for e in a.find("service not published: name refused by the name policy")}
        self.assertEqual(lines[f"{team}-admin.{ZONE}"]["rule"], f"--deny-name {team}-admin")
        self.assertEqual(lines[f"{team}-admin.{ZONE}"]["field"], f"SERVICE_{admin}_NAME")
        self.assertEqual(lines[f"{team}-admin.{ZONE}"]["container"], name)
        self.assertEqual(lines[f"payments.{ZONE}"]["rule"], "--allow-name: no pattern matches (team-a-*, shared)")
        status, metrics = a.http("/metrics")
        self.assertIn('ecssd_services_refused{reason="name-policy"} 2\n', metrics)
        # Logged once while refused, not at every plan run (SIGHUP forces one).
        a.send(signal.SIGHUP)
        time.sleep(1.0)
        self.assertEqual(len(a.find("service not published: name refused by the name policy")), 2)
        start = a.find("ecssd agent starting")[0]
        self.assertEqual(start["name_policy"], f"allow=team-a-*,shared deny={team}-admin,nothing-*")

    def test_the_name_policy_covers_every_zone(self):
        # Several --zone: a relative pattern stands in each zone, one written with its zone for that name only.
        first, second = ZONE, "other.internal"
        team = uniq("team-a")
        a = self.agent("--zone", first, "--zone", second, "--allow-name", "team-a-*",
                       "--allow-name", f"api.{second}", "--deny-name", f"{team}-admin")
        ports = [free_port(both=False) for _ in range(5)]
        self.d.run_container(uniq("multi"), ["sleep", "3600"],
                             env={f"SERVICE_{ports[0]}_NAME": team,                      # first zone, allowed
                                  f"SERVICE_{ports[1]}_NAME": f"{team}.{second}.",       # second zone, allowed
                                  f"SERVICE_{ports[2]}_NAME": f"api.{second}.",          # allowed by name
                                  f"SERVICE_{ports[3]}_NAME": f"{team}-admin.{second}.",  # denied in the second zone
                                  f"SERVICE_{ports[4]}_NAME": "api"})                     # api.<first>: not allowed
        for name in (f"{team}.{first}", f"{team}.{second}", f"api.{second}"):
            self.assertTrue(wait_until(lambda: dig_short(a.dns_port, name), 10), (name, a.log()[-20:]))
        refused = wait_until(lambda: len(a.find("service not published: name refused by the name policy")) >= 2, 5)
        self.assertTrue(refused, "\n".join(a.log()[-20:]))
        lines = {e["name"]: e for e in a.find("service not published: name refused by the name policy")}
        self.assertEqual(lines[f"{team}-admin.{second}"]["rule"], f"--deny-name {team}-admin")
        self.assertEqual(lines[f"api.{first}"]["rule"],
                         f"--allow-name: no pattern matches (team-a-*, api.{second})")
        for name in (f"{team}-admin.{second}", f"api.{first}"):
            self.assertEqual(dig_status(a.dns_port, name)[0], "NXDOMAIN", name)

    def test_a_bad_pattern_is_a_usage_error(self):
        a = AgentProcess(["--docker-host", self.d.docker_host, "--host-name", "host1", "--host-ip", "127.0.0.1",
                          "--deny-name", "web[1]"])
        a.start()
        self.assertTrue(wait_until(lambda: not a.alive(), 10))
        self.assertEqual(a.stop(), 2)
        self.assertTrue(any("--deny-name" in l and "web[1]" in l for l in a.log()), a.log())

    def test_idle_tcp_connections_are_capped_and_closed(self):
        a = self.agent("--dns-tcp-max-connections", "8", "--dns-tcp-idle-timeout", "2s")
        service = uniq("web")
        port = free_port(both=False)
        self.d.run_container(uniq("web"), ["httpd", "-f", "-p", f"127.0.0.1:{port}"],
                             env={f"SERVICE_{port}_NAME": service})
        self.assertTrue(wait_until(lambda: dig_short(a.dns_port, f"{service}.{ZONE}"), 10))
        idle = []
        for _ in range(50):  # silent clients: 8 are kept, the rest closed at once
            s = socket.create_connection(("127.0.0.1", a.dns_port), timeout=5)
            idle.append(s)
        try:
            # The listen backlog keeps the order: the first 8 are held, the other 42 closed at once.
            self.assertTrue(all(_closed(s, 2) for s in idle[8:]))
            self.assertFalse(any(_closed(s, 0.01) for s in idle[:8]))
            # After the idle time the held ones go too, and TCP serves again.
            self.assertTrue(wait_until(lambda: all(_closed(s, 0.01) for s in idle), 5))
            self.assertEqual(dig_short(a.dns_port, f"{service}.{ZONE}", tcp=True), [f"host1.{ZONE}.", "127.0.0.1"])
        finally:
            for s in idle:
                s.close()
        status, metrics = a.http("/metrics")
        self.assertIn("ecssd_dns_tcp_refused_total 42\n", metrics)
        self.assertIn("ecssd_dns_tcp_idle_closed_total 8\n", metrics)

    def test_a_flood_of_malformed_queries_is_one_log_line(self):
        a = self.agent()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(2000):
            u.sendto(os.urandom(5), ("127.0.0.1", a.dns_port))  # shorter than a DNS header
            if i % 200 == 199:
                time.sleep(0.01)
        u.close()
        name = uniq("after")
        self.assertEqual(dig_status(a.dns_port, f"{name}.{ZONE}")[0], "NXDOMAIN")  # still answering
        time.sleep(0.3)
        self.assertEqual(len(a.find("dns: malformed query")), 1, "\n".join(a.log()[-10:]))
        status, metrics = a.http("/metrics")
        counted = [l for l in metrics.splitlines() if l.startswith('ecssd_dns_malformed_queries_total{transport="udp"}')]
        self.assertTrue(counted and int(counted[0].split()[-1]) > 1000, counted)


def _closed(s, timeout):
    """True when the server closed or reset the connection."""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


if __name__ == "__main__":
    unittest.main()
