"""The reaper's deployment files: the IAM policy grants exactly the API
actions a reap pass calls (observed through a recording proxy in front of
moto_server, with every feature on), Route 53 writes are deletions only, and
the systemd units pass `systemd-analyze verify`.
"""
import http.client
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.moto import MotoServer  # noqa: E402
from harness.route53_moto import create_zone  # noqa: E402

ZONE = "sd.test"
ROOT = os.environ.get("ECSSD_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
POLICY = os.path.join(ROOT, "deploy", "iam", "reaper-policy.json")
UNITS = os.path.join(ROOT, "deploy", "systemd")


class RecordingProxy:
    """Forwards every request to moto and records the API action it names."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.calls = []  # (iam action, request body)
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.record(self.command, self.path, self.headers, body)
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
                conn.request(self.command, self.path, body=body, headers=headers)
                r = conn.getresponse()
                data = r.read()
                conn.close()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def record(self, method, path, headers, body):
        target = headers.get("X-Amz-Target", "")
        action = None
        if target.startswith("AmazonEC2ContainerServiceV20141113."):
            action = "ecs:" + target.split(".", 1)[1]
        elif path.startswith("/2013-04-01/"):
            p = urllib.parse.urlparse(path).path
            if p.startswith("/2013-04-01/hostedzonesbyname"):
                action = "route53:ListHostedZonesByName"
            elif re.fullmatch(r"/2013-04-01/hostedzone/[^/]+/rrset/?", p):
                action = "route53:ChangeResourceRecordSets" if method == "POST" else "route53:ListResourceRecordSets"
            elif re.fullmatch(r"/2013-04-01/hostedzone/[^/]+", p):
                action = "route53:GetHostedZone"
        else:
            form = urllib.parse.parse_qs(body.decode(errors="replace"))
            if "Action" in form:
                action = "ec2:" + form["Action"][0]
        with self.lock:
            self.calls.append((action or "unknown %s %s" % (method, path), body))


def owned(name, index, addr, labels=()):
    set_id = "ecssd:h1:%012x:80-tcp" % index
    strings = ["heritage=ecssd", "set=" + set_id, "value=h1." + ZONE, "owner=h1", "kind=service",
               "service=" + name, "port=80/tcp", "addr=" + addr, "started=%d" % (time.time() - 3600)] + list(labels)
    return [{"Name": "%s.%s." % (name, ZONE), "Type": "CNAME", "SetIdentifier": set_id, "Weight": 1, "TTL": 10,
             "ResourceRecords": [{"Value": "h1." + ZONE}]},
            {"Name": "cname._ecssd.%s.%s." % (name, ZONE), "Type": "TXT", "SetIdentifier": set_id, "Weight": 1,
             "TTL": 10, "ResourceRecords": [{"Value": " ".join('"%s"' % s for s in strings)}]}]


class Failing(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class ReaperIamTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = MotoServer().start()
        cls.proxy = RecordingProxy(cls.moto.port)
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.moto.stop()
        cls.tmp.cleanup()

    def test_policy_grants_exactly_what_a_reap_pass_calls(self):
        with open(POLICY) as f:
            policy = json.load(f)
        self.assertEqual(policy["Version"], "2012-10-17")
        granted = set()
        for st in policy["Statement"]:
            self.assertEqual(st["Effect"], "Allow")
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            granted.update(actions)
            self.assertNotIn("*", "".join(actions), "no wildcard actions")
        change = [st for st in policy["Statement"] if "route53:ChangeResourceRecordSets" in st["Action"]]
        self.assertEqual(len(change), 1)
        self.assertEqual(change[0]["Condition"]["ForAllValues:StringEquals"]["route53:ChangeResourceRecordSetsActions"],
                         ["DELETE"])

        # Everything a pass can do: all clusters, EC2, stopping a failing task,
        # a stopped task's record deleted; then with --zone-id (GetHostedZone).
        r53, ecs, ec2 = self.moto.client("route53"), self.moto.client("ecs"), self.moto.client("ec2")
        zone_id = create_zone(r53, ZONE)
        ecs.create_cluster(clusterName="prod")
        ecs.register_task_definition(family="web", containerDefinitions=[{"name": "a", "image": "b", "memory": 32}])
        inst = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        ecs.register_container_instance(cluster="prod", instanceIdentityDocument=json.dumps({"instanceId": inst}))
        tasks = [t["taskArn"] for t in ecs.run_task(cluster="prod", taskDefinition="web", count=3)["tasks"]]
        ecs.stop_task(cluster="prod", task=tasks[1], reason="test")

        listeners = []
        for _ in range(4):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(16)
            listeners.append(s)
        failing = http.server.HTTPServer(("127.0.0.1", 0), Failing)
        threading.Thread(target=failing.serve_forever, daemon=True).start()
        addr = ["127.0.0.1:%d" % s.getsockname()[1] for s in listeners]
        task_labels = lambda t: ["task-arn=" + t, "cluster=prod"]  # noqa: E731
        sets = (owned("a", 1, addr[0], task_labels(tasks[0]) + ["check=tcp", "instance=" + inst])
                + owned("b", 2, addr[1], task_labels(tasks[1]) + ["check=tcp"])
                + owned("c", 3, "127.0.0.1:%d" % failing.server_address[1],
                        task_labels(tasks[2]) + ["check=http", "check-http=/health"])
                + owned("d", 4, addr[2]) + owned("e", 5, addr[3]))
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
            "Changes": [{"Action": "CREATE", "ResourceRecordSet": rs} for rs in sets]})

        env = self.moto.env(HOME=self.tmp.name, AWS_ENDPOINT_URL=self.proxy.url)
        common = [os.environ["ECSSD_BIN"], "reap", "--provider", "route53", "--grace", "0s", "--check-interval",
                  "100ms", "--ecs-cluster", "all", "--stop-failing-tasks", "--output", "json"]
        r = subprocess.run(common + ["--zone", ZONE], env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        report = json.loads(r.stdout)
        self.assertEqual(report["deleted"], 2)
        self.assertEqual(report["tasks_stopped"], 1)
        r = subprocess.run(common + ["--zone", ZONE, "--zone-id", zone_id], env=env,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        failing.shutdown()
        for s in listeners:
            s.close()

        called = {a for a, _ in self.proxy.calls}
        self.assertEqual(called, granted, "calls not granted: %s; granted, never called: %s"
                         % (called - granted, granted - called))
        # Route 53 writes are deletions of the zone's names, of the types the policy lists.
        allowed_types = set(change[0]["Condition"]["ForAllValues:StringEquals"]
                            ["route53:ChangeResourceRecordSetsRecordTypes"])
        ns = {"r": "https://route53.amazonaws.com/doc/2013-04-01/"}
        writes = [body for a, body in self.proxy.calls if a == "route53:ChangeResourceRecordSets"]
        self.assertTrue(writes)
        for body in writes:
            for c in ET.fromstring(body).iter("{%s}Change" % ns["r"]):
                self.assertEqual(c.find("r:Action", ns).text, "DELETE")
                rrset = c.find("r:ResourceRecordSet", ns)
                self.assertIn(rrset.find("r:Type", ns).text, allowed_types)
                self.assertTrue(rrset.find("r:Name", ns).text.rstrip(".").endswith("." + ZONE))


class SystemdUnitTest(unittest.TestCase):
    def test_units_verify(self):
        analyze = shutil.which("systemd-analyze")
        self.assertIsNotNone(analyze, "systemd-analyze is needed (package systemd)")
        with tempfile.TemporaryDirectory() as d:
            # The unit names /usr/local/bin/ecssd; verify it against the built binary.
            with open(os.path.join(UNITS, "ecssd-reap.service")) as f:
                service = f.read()
            self.assertIn("ExecStart=/usr/local/bin/ecssd reap --once", service)
            with open(os.path.join(d, "ecssd-reap.service"), "w") as f:
                f.write(service.replace("/usr/local/bin/ecssd", os.environ["ECSSD_BIN"]))
            shutil.copy(os.path.join(UNITS, "ecssd-reap.timer"), d)
            r = subprocess.run([analyze, "verify", "--man=no", "ecssd-reap.service", "ecssd-reap.timer"], cwd=d,
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(r.stderr.strip(), "", r.stderr)


if __name__ == "__main__":
    unittest.main()
