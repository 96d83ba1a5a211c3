"""`ecssd reap` end to end: the host dies, the reaper cleans up.

Records are made by a real agent (`ecssd agent --provider route53`) from real
containers on a private dockerd (host networking, busybox httpd on 127.0.0.1),
in a Route 53 zone served by moto_server, with ECS tasks created in moto (the
containers carry their com.amazonaws.ecs.task-arn / cluster labels). Then the
agent is killed with SIGKILL (the host "died" with its records still
published), some containers are killed, an ECS task is stopped in moto while
its container still answers, and `ecssd reap` runs. Every outcome is checked
with boto3, never with ecssd's own listing.

The embedded provider is covered too: the zone is read by AXFR from a live
agent's responder, dead records are reported and nothing can be deleted.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.dockerd import Dockerd  # noqa: E402
from harness.moto import MotoServer  # noqa: E402
from harness.route53_moto import all_record_sets, create_zone  # noqa: E402
from harness.ports import free_port  # noqa: E402

ZONE = "sd.test"
HOST = "h1." + ZONE
OWNER = "h1"
REAP_FAST = ["--grace", "0s", "--check-interval", "200ms", "--check-timeout", "1s"]


def wait_until(predicate, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def answers(port):
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        return True
    except OSError:
        return False


# Records ecssd does not own; every test checks they survive.
FOREIGN = [
    {"Name": "web.%s." % ZONE, "Type": "CNAME", "SetIdentifier": "manual-blue", "Weight": 5, "TTL": 60,
     "ResourceRecords": [{"Value": "blue.example.org"}]},
    {"Name": "www.%s." % ZONE, "Type": "A", "AliasTarget": {
        "HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": "d1.cloudfront.net.", "EvaluateTargetHealth": False}},
    {"Name": "legacy.%s." % ZONE, "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "127.0.0.1"}]},
    {"Name": "mail.%s." % ZONE, "Type": "MX", "TTL": 300, "ResourceRecords": [{"Value": "10 mx.example.com."}]},
    {"Name": "notes.%s." % ZONE, "Type": "TXT", "TTL": 300,
     "ResourceRecords": [{"Value": '"heritage=someone-else" "owner=h1"'}]},
]


class Agent:
    """`ecssd agent` as a child process with JSON logs."""

    def __init__(self, bin_path, args, env):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([bin_path, "agent", "--log-format", "json", *args], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def text(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def kill(self):
        """The host dies: no chance to withdraw anything."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class ReapTestBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin = os.environ["ECSSD_BIN"]
        cls.home = tempfile.TemporaryDirectory()
        cls.moto = MotoServer().start()
        cls.dockerd = Dockerd()
        try:
            cls.dockerd.start()
            cls.dockerd.ensure_image()
        except BaseException:
            cls.dockerd.cleanup()
            cls.moto.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.dockerd.cleanup()
        cls.moto.stop()
        cls.home.cleanup()

    def setUp(self):
        self.moto.reset()
        self.dockerd.remove_all_containers()
        self.agents = []
        self.r53 = self.moto.client("route53")
        self.ecs = self.moto.client("ecs")
        self.ec2 = self.moto.client("ec2")
        self.zone_id = create_zone(self.r53, ZONE)
        self.change(FOREIGN)

    def tearDown(self):
        for a in self.agents:
            a.kill()
        self.dockerd.remove_all_containers()

    # -- Route 53, read with boto3

    def change(self, record_sets, action="CREATE"):
        self.r53.change_resource_record_sets(HostedZoneId=self.zone_id, ChangeBatch={
            "Changes": [{"Action": action, "ResourceRecordSet": rs} for rs in record_sets]})

    def record_sets(self):
        return all_record_sets(self.r53, self.zone_id)

    def owned(self):
        """{(name, type, set id)} of ecssd's records (companions excluded)."""
        return {(rs["Name"].rstrip("."), rs["Type"], rs["SetIdentifier"]) for rs in self.record_sets()
                if rs.get("SetIdentifier", "").startswith("ecssd:") and "._ecssd." not in rs["Name"]}

    def companions(self):
        return {(rs["Name"].rstrip("."), rs["SetIdentifier"]) for rs in self.record_sets()
                if "._ecssd." in rs["Name"]}

    def service_record(self, service, cid):
        return ("%s.%s" % (service, ZONE), "CNAME", "ecssd:%s:%s:%d-tcp" % (OWNER, cid[:12], self.ports[cid]))

    def assert_foreign_untouched(self):
        def key(rs):  # moto adds TTL 0 to aliases
            return (rs["Name"], rs["Type"], rs.get("SetIdentifier"), rs.get("Weight"),
                    json.dumps(rs.get("ResourceRecords"), sort_keys=True), json.dumps(rs.get("AliasTarget"), sort_keys=True),
                    None if "AliasTarget" in rs else rs.get("TTL"))
        have = {key(rs) for rs in self.record_sets()}
        for rs in FOREIGN:
            self.assertIn(key(rs), have)

    # -- containers and the agent

    def env(self, **extra):
        return self.moto.env(HOME=self.home.name, **extra)

    def run_service(self, name, service, port, http_path=None, health_file=True, labels=None):
        """A container serving HTTP on 127.0.0.1:port (host network) and declaring the service."""
        env = {"SERVICE_%d_NAME" % port: service}
        if http_path:
            env["SERVICE_%d_CHECK_HTTP" % port] = http_path
        script = ("echo ok > /tmp/health; " if health_file else "") + "exec httpd -f -h /tmp -p 127.0.0.1:%d" % port
        cid = self.dockerd.run_container(name, ["sh", "-c", script], env=env, labels=labels)
        self.ports[cid] = port
        self.assertTrue(wait_until(lambda: answers(port), 20), "container %s does not listen on %d" % (name, port))
        return cid

    def start_agent(self, *args, provider="route53"):
        base = ["--provider", provider, "--zone", ZONE, "--docker-host", self.dockerd.docker_host,
                "--host-name", HOST, "--host-ip", "127.0.0.1", "--owner-id", OWNER, "--metrics-listen", ""]
        agent = Agent(self.bin, base + list(args), self.env())
        self.agents.append(agent)
        return agent

    def reap(self, *args, timeout=120):
        """`ecssd reap --once` with JSON output: (exit code, report or None, stderr)."""
        r = subprocess.run([self.bin, "reap", "--once", "--provider", "route53", "--zone", ZONE, "--output", "json",
                            "--log-format", "json", *REAP_FAST, *args],
                           env=self.env(), capture_output=True, text=True, timeout=timeout)
        report = json.loads(r.stdout) if r.stdout.strip() else None
        return r.returncode, report, r.stderr

    # -- ECS in moto

    def make_tasks(self, count):
        self.ecs.create_cluster(clusterName="prod")
        self.ecs.register_task_definition(family="web", containerDefinitions=[
            {"name": "app", "image": "busybox", "memory": 32}])
        instance = self.ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]
        self.ecs.register_container_instance(cluster="prod", instanceIdentityDocument=json.dumps(
            {"instanceId": instance["InstanceId"]}))
        tasks = self.ecs.run_task(cluster="prod", taskDefinition="web", count=count, startedBy="ecssd-test")["tasks"]
        self.assertEqual(len(tasks), count)
        return [t["taskArn"] for t in tasks]

    @staticmethod
    def ecs_labels(task_arn):
        return {"com.amazonaws.ecs.task-arn": task_arn, "com.amazonaws.ecs.cluster": "prod"}

    def by_name(self, report):
        return {r["name"]: r for r in report["records"]}


class ReapRoute53Test(ReapTestBase):

    def publish(self, services):
        """Starts the agent, waits until every service is published, then kills the agent."""
        agent = self.start_agent()
        expected = {self.service_record(svc, cid) for svc, cid in services}
        ok = wait_until(lambda: expected <= self.owned(), 30)
        self.assertTrue(ok, "not published: %s\n%s" % (expected - self.owned(), agent.text()[-3000:]))
        agent.kill()
        return expected

    def test_host_dies_reaper_deletes_exactly_the_dead(self):
        self.ports = {}
        tasks = self.make_tasks(5)
        base = 18500 + os.getpid() % 200 * 10
        c = {}
        c["a"] = self.run_service("ca", "alpha", base + 1, labels=self.ecs_labels(tasks[0]))
        c["b"] = self.run_service("cb", "bravo", base + 2, http_path="/health", labels=self.ecs_labels(tasks[1]))
        c["c"] = self.run_service("cc", "charlie", base + 3, labels=self.ecs_labels(tasks[2]))
        c["d"] = self.run_service("cd", "delta", base + 4, labels=self.ecs_labels(tasks[3]))
        c["e"] = self.run_service("ce", "echo", base + 5)
        c["f"] = self.run_service("cf", "foxtrot", base + 6)
        c["g"] = self.run_service("cg", "golf", base + 7)
        # An HTTP check that fails on a RUNNING task: with --stop-failing-tasks
        # the reaper stops the task too. Its check passes while the agent
        # publishes (a declared check gates publication, issue 10); its /health
        # goes (404) once the agent is dead, as when a host's service hangs.
        c["h"] = self.run_service("ch", "hotel", base + 8, http_path="/health", labels=self.ecs_labels(tasks[4]))
        services = [("alpha", c["a"]), ("bravo", c["b"]), ("charlie", c["c"]), ("delta", c["d"]), ("echo", c["e"]),
                    ("foxtrot", c["f"]), ("golf", c["g"]), ("hotel", c["h"])]
        published = self.publish(services)
        self.dockerd.docker("exec", "ch", "rm", "/tmp/health")
        host_record = (HOST, "A", "ecssd:%s:host" % OWNER)
        self.assertIn(host_record, self.owned())

        # EC2: records of another ecssd host whose instance is stopped (its port
        # answers: it is golf's) and of one whose instance runs.
        stopped, running = [i["InstanceId"] for i in self.ec2.run_instances(
            ImageId="ami-12c6146b", MinCount=2, MaxCount=2)["Instances"]]
        self.ec2.stop_instances(InstanceIds=[stopped])
        for owner, instance in (("h-stopped", stopped), ("h-running", running)):
            set_id = "ecssd:%s:%012x:80-tcp" % (owner, 7)
            labels = ["heritage=ecssd", "set=" + set_id, "value=%s.%s" % (owner, ZONE), "owner=" + owner,
                      "kind=service", "service=ec2svc", "port=80/tcp", "addr=127.0.0.1:%d" % (base + 7),
                      "check=tcp", "started=%d" % (time.time() - 3600), "instance=" + instance]
            self.change([
                {"Name": "ec2svc.%s." % ZONE, "Type": "CNAME", "SetIdentifier": set_id, "Weight": 1, "TTL": 10,
                 "ResourceRecords": [{"Value": "%s.%s" % (owner, ZONE)}]},
                {"Name": "cname._ecssd.ec2svc.%s." % ZONE, "Type": "TXT", "SetIdentifier": set_id, "Weight": 1,
                 "TTL": 10, "ResourceRecords": [{"Value": " ".join('"%s"' % l for l in labels)}]}])
        before = self.owned()
        self.assertEqual(len(before), len(published) + 1 + 2)  # + the host record + the two EC2 ones

        # The host is dead for the agent; two containers die with it.
        self.dockerd.docker("kill", "cc", "ce")
        self.assertTrue(wait_until(lambda: not answers(base + 3) and not answers(base + 5), 10))
        # delta's task is stopped in ECS, but its container still answers on the port.
        self.ecs.stop_task(cluster="prod", task=tasks[3], reason="scaled in")
        self.assertTrue(answers(base + 4))

        rc, report, stderr = self.reap("--ecs-cluster", "prod", "--stop-failing-tasks")
        self.assertEqual(rc, 0, stderr[-3000:])
        self.assertTrue(report["ok"], report["errors"])

        dead = {self.service_record("charlie", c["c"]), self.service_record("delta", c["d"]),
                self.service_record("echo", c["e"]), self.service_record("hotel", c["h"]),
                ("ec2svc." + ZONE, "CNAME", "ecssd:h-stopped:%012x:80-tcp" % 7)}
        self.assertEqual(self.owned(), before - dead)
        self.assertIn(host_record, self.owned(), "the host record stays while the owner has records")
        # Companions went with their records, and only those.
        self.assertEqual({sid for _, sid in self.companions()}, {sid for _, _, sid in self.owned()})
        self.assert_foreign_untouched()

        # The report says why, record by record.
        self.assertEqual(report["owned"], len(before))
        self.assertEqual(report["deleted"], len(dead))
        # Foreign: those of the types ecssd lists (not MX), the zone's SOA and NS.
        self.assertEqual(report["foreign"], len(FOREIGN) - 1 + 2)
        recs = {(r["name"], r["set_identifier"]): r for r in report["records"]}
        def rec(record):
            return recs[(record[0], record[2])]
        charlie = rec(self.service_record("charlie", c["c"]))
        self.assertEqual(charlie["decision"], "deleted")
        self.assertEqual(charlie["result"], "dead")
        self.assertEqual(charlie["checks"], 3)
        self.assertEqual(charlie["detail"], "connection refused")
        self.assertEqual(charlie["target"], "127.0.0.1:%d" % (base + 3))
        self.assertEqual(charlie["ecs"]["verdict"], "alive")
        delta = rec(self.service_record("delta", c["d"]))
        self.assertEqual(delta["decision"], "deleted")
        self.assertEqual(delta["ecs"]["verdict"], "dead")
        self.assertTrue(delta["reason"].startswith("ECS task STOPPED"), delta["reason"])
        bravo = rec(self.service_record("bravo", c["b"]))
        self.assertEqual(bravo["check"], "http GET /health expect 2xx/3xx")
        self.assertEqual(bravo["result"], "healthy")
        self.assertEqual(bravo["detail"], "HTTP 200")
        self.assertEqual(bravo["decision"], "keep")
        hotel = rec(self.service_record("hotel", c["h"]))
        self.assertEqual(hotel["detail"], "HTTP 404 (expected 2xx/3xx)")
        self.assertEqual(hotel["task_stop"], "stopped")
        ec2_dead = recs[("ec2svc." + ZONE, "ecssd:h-stopped:%012x:80-tcp" % 7)]
        self.assertEqual(ec2_dead["reason"], "EC2 instance %s is stopped" % stopped)
        self.assertEqual(recs[("ec2svc." + ZONE, "ecssd:h-running:%012x:80-tcp" % 7)]["ec2"]["verdict"], "alive")

        # ECS saw exactly one StopTask, with the reaper's reason; the others run.
        described = {t["taskArn"]: t for t in self.ecs.describe_tasks(cluster="prod", tasks=tasks)["tasks"]}
        self.assertEqual(described[tasks[4]]["desiredStatus"], "STOPPED")
        self.assertEqual(described[tasks[4]]["stoppedReason"], "ecssd health check failed")
        for t in (tasks[0], tasks[1], tasks[2]):
            self.assertEqual(described[t]["desiredStatus"], "RUNNING")

        # A second pass finds nothing more to do.
        rc, report, stderr = self.reap("--ecs-cluster", "prod")
        self.assertEqual(rc, 0, stderr[-2000:])
        self.assertEqual(report["deleted"], 0)
        self.assertEqual(self.owned(), before - dead)

    def test_all_dead_trips_the_safety_valve(self):
        self.ports = {}
        base = 18500 + os.getpid() % 200 * 10
        services = [(svc, self.run_service(svc, svc, base + i)) for i, svc in enumerate(("one", "two", "three"))]
        self.publish(services)
        before = self.owned()
        self.assertEqual(len(before), 4)  # three services and the host record
        self.dockerd.remove_all_containers()
        self.assertTrue(wait_until(lambda: not any(answers(base + i) for i in range(3)), 10))

        # A dry run says what would happen, and fails as the real pass would.
        r = subprocess.run([self.bin, "reap", "--provider", "route53", "--zone", ZONE, "--dry-run", *REAP_FAST],
                           env=self.env(), capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 1, r.stderr[-2000:])
        self.assertIn("held-by-safety-valve", r.stdout)
        self.assertIn("safety valve: 4 of 4 owned records (100%) are dead", r.stdout)

        rc, report, stderr = self.reap()
        self.assertEqual(rc, 1)
        self.assertFalse(report["ok"])
        self.assertTrue(report["safety_valve"]["tripped"])
        self.assertEqual(report["dead"], 4)
        self.assertEqual(report["deleted"], 0)
        self.assertIn("safety valve tripped", stderr)
        self.assertEqual(self.owned(), before, "nothing deleted")
        self.assert_foreign_untouched()

        # --force: everything goes, the host record after its last service record.
        rc, report, stderr = self.reap("--force")
        self.assertEqual(rc, 0, stderr[-2000:])
        self.assertEqual(report["deleted"], 4)
        self.assertEqual(self.owned(), set())
        self.assertEqual(self.companions(), set())
        self.assert_foreign_untouched()
        host = self.by_name(report)[HOST]
        self.assertEqual(host["reason"], "host record: the last service record of owner h1 is reaped")

    def test_a_starting_container_is_not_reaped(self):
        self.ports = {}
        base = 18500 + os.getpid() % 200 * 10
        services = [(svc, self.run_service(svc, svc, base + i)) for i, svc in enumerate(("one", "two", "three"))]
        self.publish(services)
        self.dockerd.docker("kill", "two")
        self.assertTrue(wait_until(lambda: not answers(base + 1), 10))
        # Started seconds ago: within a 1 h grace, nothing is probed nor deleted.
        r = subprocess.run([self.bin, "reap", "--provider", "route53", "--zone", ZONE, "--output", "json",
                            "--grace", "1h"], env=self.env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        report = json.loads(r.stdout)
        self.assertEqual(report["probes"], 0)
        self.assertEqual(report["deleted"], 0)
        self.assertIn("within --grace 1h", self.by_name(report)["two." + ZONE]["reason"])
        self.assertEqual(len(self.owned()), 4)


class ReapEmbeddedTest(ReapTestBase):

    def test_embedded_zone_is_reported_not_changed(self):
        self.ports = {}
        base = 18700 + os.getpid() % 200 * 10
        dns = "127.0.0.1:%d" % free_port()
        self.run_service("up", "up", base + 1)
        # Running but not listening: Docker says it runs, its check fails.
        self.dockerd.run_container("mute", ["sleep", "3600"], env={"SERVICE_%d_NAME" % (base + 2): "mute"})
        self.run_service("up2", "uptoo", base + 3)
        agent = self.start_agent("--dns-listen", dns, "--record-mode", "a", provider="embedded")

        def listed():
            r = subprocess.run(["dig", "+short", "-p", dns.split(":")[1], "@127.0.0.1", "mute." + ZONE, "A"],
                               capture_output=True, text=True, timeout=10)
            return r.stdout.strip() == "127.0.0.1"
        self.assertTrue(wait_until(listed, 30), agent.text()[-3000:])

        r = subprocess.run([self.bin, "reap", "--provider", "embedded", "--zone", ZONE, "--dns-listen", dns,
                            "--output", "json", *REAP_FAST], env=self.env(), capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        report = json.loads(r.stdout)
        self.assertTrue(report["read_only"])
        self.assertEqual(report["owned"], 3)
        self.assertEqual(report["dead"], 1)
        self.assertEqual(report["deleted"], 0)
        mute = self.by_name(report)["mute." + ZONE]
        self.assertEqual(mute["decision"], "cannot-delete-read-only")
        self.assertEqual(mute["detail"], "connection refused")
        self.assertEqual(self.by_name(report)["up." + ZONE]["result"], "healthy")
        self.assertIn("the provider is read-only here", r.stderr)
        self.assertTrue(listed(), "the agent's zone is unchanged")
        agent.stop()


if __name__ == "__main__":
    unittest.main()
