"""`ecssd lambda` as AWS Lambda runs it: the deployment zip (built by the
lambda_zip target) is unpacked and its `bootstrap` started against a Lambda
Runtime API stub on loopback (harness/lambda_stub.py), with Route 53 served by
moto_server. The zone holds ecssd-owned records (written with boto3, with
their companion TXT records) whose targets are TCP listeners of this test,
and records ecssd does not own. Every result is checked with boto3.
"""
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.lambda_stub import LambdaRuntimeStub  # noqa: E402
from harness.moto import MotoServer  # noqa: E402
from harness.route53_moto import all_record_sets, create_zone  # noqa: E402

ZONE = "sd.test"
OWNER = "h1"
SCHEDULED_EVENT = {"version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
                   "source": "aws.events", "account": "123456789012", "time": "2026-11-25T10:00:00Z",
                   "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:123456789012:rule/ecssd-reap"],
                   "detail": {}}


def unpack(zip_path, dest):
    """Unzips keeping the Unix modes stored in the archive, as Lambda does."""
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            path = zf.extract(info, dest)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(path, mode)
        return [i.filename for i in zf.infolist()]


def owned_record(name, index, port, owner=OWNER):
    """A record as an ecssd agent writes it to Route 53: a weighted CNAME and its companion TXT."""
    set_id = "ecssd:%s:%012x:80-tcp" % (owner, index)
    target = "%s.%s" % (owner, ZONE)
    labels = ["heritage=ecssd", "set=" + set_id, "value=" + target, "owner=" + owner, "kind=service",
              "container=%064x" % index, "container-name=%s-%d" % (name, index), "service=" + name,
              "port=80/tcp", "addr=127.0.0.1:%d" % port, "check=tcp", "started=%d" % (time.time() - 3600)]
    return [
        {"Name": "%s.%s." % (name, ZONE), "Type": "CNAME", "SetIdentifier": set_id, "Weight": 1, "TTL": 10,
         "ResourceRecords": [{"Value": target}]},
        {"Name": "cname._ecssd.%s.%s." % (name, ZONE), "Type": "TXT", "SetIdentifier": set_id, "Weight": 1,
         "TTL": 10, "ResourceRecords": [{"Value": " ".join('"%s"' % l for l in labels)}]},
    ]


FOREIGN = [
    {"Name": "web.%s." % ZONE, "Type": "CNAME", "SetIdentifier": "manual-blue", "Weight": 5, "TTL": 60,
     "ResourceRecords": [{"Value": "blue.example.org"}]},
    {"Name": "legacy.%s." % ZONE, "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "192.0.2.7"}]},
    {"Name": "mail.%s." % ZONE, "Type": "MX", "TTL": 300, "ResourceRecords": [{"Value": "10 mx.example.com."}]},
]


def listener():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)  # the kernel completes handshakes; nothing needs accepting for a TCP check
    return s


class LambdaRuntimeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin = os.environ["ECSSD_BIN"]
        cls.zip = os.environ.get("ECSSD_LAMBDA_ZIP") or os.path.join(os.path.dirname(cls.bin), "ecssd-lambda.zip")
        cls.moto = MotoServer().start()
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()
        cls.tmp.cleanup()

    def setUp(self):
        self.moto.reset()
        self.r53 = self.moto.client("route53")
        self.zone_id = create_zone(self.r53, ZONE)
        self.procs = []
        self.listeners = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
        for s in self.listeners:
            s.close()

    def change(self, record_sets, action="CREATE"):
        self.r53.change_resource_record_sets(HostedZoneId=self.zone_id, ChangeBatch={
            "Changes": [{"Action": action, "ResourceRecordSet": rs} for rs in record_sets]})

    def record_sets(self):
        return all_record_sets(self.r53, self.zone_id)

    def cnames(self):
        return sorted(rs["Name"] for rs in self.record_sets()
                      if rs["Type"] == "CNAME" and rs.get("SetIdentifier", "").startswith("ecssd:"))

    def foreign_present(self):
        have = {(rs["Name"], rs["Type"], rs.get("SetIdentifier")) for rs in self.record_sets()}
        return all((rs["Name"], rs["Type"], rs.get("SetIdentifier")) in have for rs in FOREIGN)

    def env(self, stub, **extra):
        env = self.moto.env(HOME=self.tmp.name, AWS_LAMBDA_RUNTIME_API=stub.address, ECSSD_PROVIDER="route53",
                            ECSSD_ZONE=ZONE, ECSSD_GRACE="0s", ECSSD_CHECK_INTERVAL="100ms",
                            ECSSD_CHECK_TIMEOUT="1s", ECSSD_LOG_FORMAT="json")
        env.update(extra)
        return env

    def start(self, argv, env, cwd=None):
        log = tempfile.TemporaryFile()
        p = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        p.log = log
        self.procs.append(p)
        return p

    @staticmethod
    def output(p):
        p.log.seek(0)
        return p.log.read().decode(errors="replace")

    def test_zip_bootstrap_runs_reap_passes(self):
        self.assertTrue(os.path.exists(self.zip), "%s missing: build the lambda_zip target" % self.zip)
        task = os.path.join(self.tmp.name, "task")
        names = unpack(self.zip, task)
        # What Lambda needs at the root, and what the bootstrap uses.
        self.assertIn("bootstrap", names)
        self.assertIn("ecssd", names)
        self.assertIn("lib/ld-linux-x86-64.so.2", names)
        self.assertIn("lib/libc.so.6", names)
        self.assertTrue(os.stat(os.path.join(task, "bootstrap")).st_mode & stat.S_IXUSR)
        sections = subprocess.run(["readelf", "-S", os.path.join(task, "ecssd")], capture_output=True,
                                  text=True).stdout
        self.assertNotIn(".symtab", sections, "the binary in the zip is stripped")
        self.assertNotIn(".debug_info", sections)

        for s in range(4):
            self.listeners.append(listener())
        records = []
        for i, s in enumerate(self.listeners):
            records += owned_record("svc%d" % i, i + 1, s.getsockname()[1])
        self.change(records + FOREIGN)
        self.assertEqual(len(self.cnames()), 4)

        with LambdaRuntimeStub() as stub:
            # As Lambda starts it: /var/task/bootstrap with LAMBDA_TASK_ROOT, no arguments.
            env = self.env(stub, LAMBDA_TASK_ROOT=task, PATH="/usr/bin:/bin")
            p = self.start([os.path.join(task, "bootstrap")], env, cwd=task)
            self.assertTrue(stub.wait_polling(1, 30), self.output(p))

            # 1: everything answers; nothing is deleted.
            kind, body, _ = stub.invoke(SCHEDULED_EVENT)
            self.assertEqual(kind, "response", body)
            report = json.loads(body)
            self.assertTrue(report["ok"])
            self.assertEqual(report["provider"], "route53")
            self.assertEqual(report["owned"], 4)
            # The foreign records of the types ecssd lists (MX is not one), the zone's SOA and NS.
            self.assertEqual(report["foreign"], len(FOREIGN) - 1 + 2)
            self.assertEqual(report["deleted"], 0)
            self.assertEqual(len(report["records"]), 4)
            self.assertTrue(all(r["result"] == "healthy" and r["decision"] == "keep" for r in report["records"]))

            # 2: one target is gone; its record (and companion) go, nothing else.
            dead_name = "svc1.%s." % ZONE
            self.listeners[1].close()
            kind, body, _ = stub.invoke(SCHEDULED_EVENT)
            self.assertEqual(kind, "response", body)
            report = json.loads(body)
            self.assertEqual(report["deleted"], 1)
            dead = [r for r in report["records"] if r["decision"] == "deleted"]
            self.assertEqual([r["name"] for r in dead], [dead_name.rstrip(".")])
            self.assertEqual(dead[0]["detail"], "connection refused")
            self.assertEqual(dead[0]["checks"], 3)
            self.assertNotIn(dead_name, self.cnames())
            self.assertEqual(len(self.cnames()), 3)
            self.assertFalse([rs for rs in self.record_sets() if rs["Name"] == "cname._ecssd." + dead_name])
            self.assertTrue(self.foreign_present())

            # 3: every target is gone (a reaper cut off from the network): the
            # safety valve trips, the invocation fails, nothing is deleted.
            for s in self.listeners:
                s.close()
            kind, body, headers = stub.invoke(SCHEDULED_EVENT)
            self.assertEqual(kind, "error", body)
            error = json.loads(body)
            self.assertEqual(error["errorType"], "ReapFailed")
            self.assertIn("safety valve: 3 of 3 owned records", error["errorMessage"])
            self.assertEqual(headers.get("lambda-runtime-function-error-type"), "ReapFailed")
            self.assertEqual(len(self.cnames()), 3)
            self.assertTrue(self.foreign_present())

            # An event that is not JSON is the invocation's error, and the runtime goes on.
            kind, body, _ = stub.invoke(b"not json")
            self.assertEqual(kind, "error")
            self.assertEqual(json.loads(body)["errorType"], "InvalidEvent")
            self.assertTrue(stub.wait_polling(5, 10))
            self.assertEqual(stub.unexpected, [])
            self.assertEqual(stub.init_errors, [])

            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(15), 0, self.output(p))
        logs = [json.loads(l) for l in self.output(p).splitlines() if l.startswith("{")]
        self.assertTrue(any(l.get("msg") == "reaped record" and l.get("record", "").startswith("svc1.sd.test")
                            for l in logs), logs)

    def test_reap_every_runs_passes_until_sigterm(self):
        # Not Lambda: the daemon mode of `ecssd reap`, on the same kind of zone.
        self.listeners = [listener() for _ in range(3)]
        records = []
        for i, s in enumerate(self.listeners):
            records += owned_record("svc%d" % i, i + 1, s.getsockname()[1])
        self.change(records + FOREIGN)
        env = self.moto.env(HOME=self.tmp.name)
        p = self.start([self.bin, "reap", "--provider", "route53", "--zone", ZONE, "--every", "500ms",
                        "--grace", "0s", "--check-interval", "100ms", "--output", "json"], env)
        out_lines = lambda: [l for l in self.output(p).splitlines() if l.startswith('{"zone"')]  # noqa: E731
        deadline = time.monotonic() + 30
        while len(out_lines()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertGreaterEqual(len(out_lines()), 2, self.output(p))
        # A target dies between passes: a later pass deletes its record.
        self.listeners[0].close()
        deadline = time.monotonic() + 30
        while "svc0.%s." % ZONE in self.cnames() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertNotIn("svc0.%s." % ZONE, self.cnames())
        self.assertEqual(len(self.cnames()), 2)
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(15), 0, self.output(p)[-2000:])
        reports = [json.loads(l) for l in out_lines()]
        self.assertEqual(sum(r["deleted"] for r in reports), 1)
        self.assertTrue(self.foreign_present())

    def test_bad_configuration_is_an_init_error(self):
        cases = [
            # CLI11 rejects the value read from the environment.
            ({"ECSSD_MAX_DELETE_FRACTION": "7"}, "--max-delete-fraction"),
            # The reaper's own checks.
            ({"ECSSD_ZONE": "bad..zone"}, "--zone"),
            ({"ECSSD_STOP_FAILING_TASKS": "true"}, "--stop-failing-tasks needs --ecs-cluster"),
        ]
        for extra, needle in cases:
            with self.subTest(extra=extra), LambdaRuntimeStub() as stub:
                p = self.start([self.bin, "lambda"], self.env(stub, **extra))
                body, headers = stub.wait_init_error(30)
                self.assertEqual(p.wait(15), 2, self.output(p))
                error = json.loads(body)
                self.assertEqual(error["errorType"], "Runtime.InvalidConfiguration")
                self.assertIn(needle, error["errorMessage"])
                self.assertEqual(stub.next_calls, 0)

    def test_zone_not_found_is_an_init_error(self):
        with LambdaRuntimeStub() as stub:
            p = self.start([self.bin, "lambda"], self.env(stub, ECSSD_ZONE="missing.test"))
            body, _ = stub.wait_init_error(30)
            self.assertEqual(p.wait(15), 1, self.output(p))
            error = json.loads(body)
            self.assertEqual(error["errorType"], "Runtime.InitFailed")
            self.assertIn("missing.test", error["errorMessage"])

    def test_outside_lambda_it_says_so(self):
        env = self.moto.env(HOME=self.tmp.name)
        env.pop("AWS_LAMBDA_RUNTIME_API", None)
        r = subprocess.run([self.bin, "lambda", "--zone", ZONE], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("AWS_LAMBDA_RUNTIME_API is not set", r.stderr)


if __name__ == "__main__":
    unittest.main()
