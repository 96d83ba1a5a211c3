"""Running `ecssd agent --provider route53` against moto_server, and the
tools the end-to-end tests and bench/route53 share:

- AwsProxy: an HTTP proxy on 127.0.0.1 in front of moto that names and
  counts every AWS call (ChangeResourceRecordSets, ListResourceRecordSets,
  PutEvents...), and on demand answers some of them itself: Route 53
  `Throttling` (HTTP 400 with the ErrorResponse body) to a share of calls,
  `AccessDenied`, or a 503 outage.
- AgentProcess: the agent as a child process, its JSON log lines collected,
  /readyz and /metrics read from its status server.
- record_sets() / ecssd_sets(): the zone read back with boto3 (never with
  ecssd's own code).

Everything listens on and talks to 127.0.0.1 only.
"""
import http.client
import http.server
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

from harness.loopback_http import LoopbackHttpServer
from harness.route53_moto import all_record_sets, create_zone  # noqa: F401 (create_zone: for the tests)
from harness.ports import free_port

R53_NS = "{https://route53.amazonaws.com/doc/2013-04-01/}"


def wait_until(fn, timeout, interval=0.05):
    """Calls fn until it returns something true or `timeout` seconds pass;
    returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# --- the zone, read with boto3

def record_sets(r53, zone_id):
    """Every record set of the zone (moto's repeated weighted groups folded)."""
    return all_record_sets(r53, zone_id)


def ecssd_sets(r53, zone_id, owner):
    """The record sets whose set identifier marks them as `owner`'s."""
    prefix = "ecssd:%s:" % owner
    return [rs for rs in record_sets(r53, zone_id) if rs.get("SetIdentifier", "").startswith(prefix)]


def service_cnames(r53, zone_id, owner):
    """{(name, container id prefix)} of owner's service CNAMEs."""
    out = set()
    for rs in ecssd_sets(r53, zone_id, owner):
        if rs["Type"] == "CNAME":
            out.add((rs["Name"], rs["SetIdentifier"].split(":")[2]))
    return out


def foreign_records(zone):
    """Record sets ecssd must never touch: another tool's weighted member of a
    name ecssd also uses, another host's ecssd record with its companion, an
    alias, a plain record, and a type ecssd never lists (MX)."""
    other = "ecssd:host-b:0123456789ab:80-tcp"
    return [
        {"Name": f"web.{zone}", "Type": "CNAME", "SetIdentifier": "manual-blue", "Weight": 5, "TTL": 60,
         "ResourceRecords": [{"Value": "blue.example.org"}]},
        {"Name": f"web.{zone}", "Type": "CNAME", "SetIdentifier": other, "Weight": 1, "TTL": 10,
         "ResourceRecords": [{"Value": f"host-b.{zone}"}]},
        {"Name": f"cname._ecssd.web.{zone}", "Type": "TXT", "SetIdentifier": other, "Weight": 1, "TTL": 10,
         "ResourceRecords": [{"Value": f'"heritage=ecssd" "set={other}" "value=host-b.{zone}" "owner=host-b"'}]},
        {"Name": f"www.{zone}", "Type": "A", "AliasTarget": {
            "HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": "d1.cloudfront.net.", "EvaluateTargetHealth": False}},
        {"Name": f"legacy.{zone}", "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "192.0.2.7"}]},
        {"Name": f"mail.{zone}", "Type": "MX", "TTL": 300, "ResourceRecords": [{"Value": "10 mx.example.com."}]},
    ]


def seed_foreign(r53, zone_id, zone):
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
        "Changes": [{"Action": "CREATE", "ResourceRecordSet": rs} for rs in foreign_records(zone)]})


def not_owned_by(sets, owner):
    prefix = "ecssd:%s:" % owner
    return sorted((json.dumps(rs, sort_keys=True) for rs in sets if not rs.get("SetIdentifier", "").startswith(prefix)))


# --- the proxy

DROP = object()  # an answer that is no answer: the proxy closes the connection


def route53_error(status, code, message):
    body = ('<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
            f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
    return status, body.encode(), "text/xml"


def operation_of(method, path, headers, body):
    """(service, operation, zone id) of one AWS request."""
    url = urllib.parse.urlsplit(path)
    target = headers.get("x-amz-target", "")
    if target:
        prefix, _, op = target.partition(".")
        return {"AWSEvents": "events"}.get(prefix, prefix), op, ""
    p = url.path
    if p.startswith("/2013-04-01/"):
        parts = p[len("/2013-04-01/"):].rstrip("/").split("/")
        zone = parts[1] if len(parts) > 1 and parts[0] == "hostedzone" else ""
        if parts[0] == "hostedzonesbyname":
            return "route53", "ListHostedZonesByName", ""
        if parts[0] == "hostedzone" and len(parts) == 3 and parts[2] == "rrset":
            return "route53", "ChangeResourceRecordSets" if method == "POST" else "ListResourceRecordSets", zone
        if parts[0] == "hostedzone" and len(parts) == 2:
            return "route53", {"GET": "GetHostedZone", "DELETE": "DeleteHostedZone"}.get(method, method), zone
        if parts[0] == "hostedzone" and len(parts) == 1:
            return "route53", "CreateHostedZone" if method == "POST" else "ListHostedZones", ""
        return "route53", method + " " + p, zone
    scope = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", headers.get("authorization", ""))
    service = scope.group(1) if scope else "?"
    action = urllib.parse.parse_qs(url.query).get("Action") or urllib.parse.parse_qs(
        body.decode(errors="replace")).get("Action")
    return service, action[0] if action else method + " " + p, ""


def changes_in(body):
    """[(action, name, type, set identifier)] of a ChangeResourceRecordSets body."""
    out = []
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return out
    for change in root.iter(R53_NS + "Change"):
        rs = change.find(R53_NS + "ResourceRecordSet")
        out.append((change.findtext(R53_NS + "Action"), rs.findtext(R53_NS + "Name"), rs.findtext(R53_NS + "Type"),
                    rs.findtext(R53_NS + "SetIdentifier") or ""))
    return out


def events_in(body):
    """[(Source, DetailType, EventBusName)] of a PutEvents body."""
    try:
        entries = json.loads(body).get("Entries", [])
    except ValueError:
        return []
    return [(e.get("Source"), e.get("DetailType"), e.get("EventBusName", "")) for e in entries]


class AwsProxy(LoopbackHttpServer):
    """Forwards every request to `upstream` (moto) and logs it in `calls`
    (dicts: service, op, zone, client, start, end, status, injected, changes
    of a ChangeResourceRecordSets, entries of a PutEvents, access_key,
    signature, security_token). Fault injection, for Route 53 calls only:
      throttle_share   share of calls answered Throttling (400), spread evenly
      deny_ops         operations answered AccessDenied (403)
      outage           every call answered 503 ServiceUnavailable
    harness/route53_faults.py's FaultProxy adds 500s, PriorRequestNotComplete,
    silence and listings cut on a given page.
    """

    def __init__(self, upstream, throttle_share=0.0):
        self.upstream = urllib.parse.urlsplit(upstream)
        assert self.upstream.hostname == "127.0.0.1", "the proxy only forwards to loopback"
        self.throttle_share = throttle_share
        self.deny_ops = set()
        self.outage = False
        self._route53_calls = 0
        self.lock = threading.Lock()
        self.calls = []

    # -- lifecycle

    def _make_server(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def handle_one(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                answer = proxy._answer(self.command, self.path, self.headers, body)
                if answer is DROP:  # no answer at all: the connection just closes
                    self.close_connection = True
                    return
                status, data, ctype = answer[:3]
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if len(answer) > 3:  # cut: part of the body, then the connection closes
                    self.wfile.write(data[:answer[3]])
                    self.close_connection = True
                    return
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = handle_one

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

        return Server(("127.0.0.1", 0), Handler)

    # -- what was seen

    def count(self, op=None, zone=None, client=None, since=0.0, injected=None):
        with self.lock:
            return sum(1 for c in self.calls
                       if (op is None or c["op"] == op) and (zone is None or c["zone"] == zone)
                       and (client is None or c["client"] == client) and c["start"] >= since
                       and (injected is None or bool(c["injected"]) == injected))

    def snapshot(self):
        with self.lock:
            return list(self.calls)

    def clear(self):
        with self.lock:
            self.calls.clear()

    # -- the work

    def _inject(self, service, op, call=None):
        if service != "route53":
            return None
        if self.outage:
            return route53_error(503, "ServiceUnavailable", "Service unavailable (injected by the test)")
        if op in self.deny_ops:
            return route53_error(403, "AccessDenied",
                                 f"User: arn:aws:iam::123456789012:user/ecssd-test is not authorized to perform: "
                                 f"route53:{op} (injected by the test)")
        if self.throttle_share > 0:
            # Spread evenly: call i is throttled when the running share
            # crosses an integer (0.35: the 3rd, 6th, 9th, 12th, 15th...).
            with self.lock:
                i = self._route53_calls
                self._route53_calls += 1
            if int((i + 1) * self.throttle_share) > int(i * self.throttle_share):
                return route53_error(400, "Throttling", "Rate exceeded")
        return None

    def _answer(self, method, path, headers, body):
        lower = {k.lower(): v for k, v in headers.items()}
        service, op, zone = operation_of(method, path, lower, body)
        auth = lower.get("authorization", "")
        key = re.search(r"Credential=([^/,]+)/", auth)
        sig = re.search(r"Signature=([0-9a-f]+)", auth)
        agent = lower.get("user-agent", "")
        call = {"service": service, "op": op, "zone": zone, "path": path, "start": time.time(), "end": None,
                "status": None, "injected": None,
                "changes": changes_in(body) if op == "ChangeResourceRecordSets" else [],
                "client": "ecssd" if agent.startswith("ecssd") else ("boto3" if "Boto" in agent else agent),
                "entries": events_in(body) if op == "PutEvents" else [],
                "access_key": key.group(1) if key else "", "signature": sig.group(1) if sig else "",
                "security_token": lower.get("x-amz-security-token", "")}
        answer = self._inject(service, op, call)
        if answer is not None:
            call["injected"] = "dropped" if answer is DROP else answer[1].decode()
        else:
            answer = self._forward(method, path, headers, body)
            answer = self._after_forward(call, answer)
        call["status"], call["end"] = (None if answer is DROP else answer[0]), time.time()
        with self.lock:
            self.calls.append(call)
        return answer

    def _after_forward(self, call, answer):
        """The answer moto gave, as the client will get it (subclasses may
        replace it: harness/route53_faults.py). An answer may be DROP, or
        carry a 4th element: how many body bytes to send before cutting."""
        return answer

    def _forward(self, method, path, headers, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream.port, timeout=120)
        try:
            fwd = {k: v for k, v in headers.items() if k.lower() not in ("connection", "keep-alive")}
            conn.request(method, path, body=body or None, headers=fwd)
            r = conn.getresponse()
            return r.status, r.read(), r.getheader("Content-Type", "text/xml")
        finally:
            conn.close()


# --- the agent

def agent_binary():
    return os.environ["ECSSD_BIN"]


class AgentProcess:
    """`ecssd agent` as a child process with JSON logs collected from stderr.

        a = AgentProcess(["--zone", "sd.test", ...], env)   # --provider route53 added
        a.wait_ready(30); a.readyz(); a.metric("ecssd_events_sent_total")
        a.stop()  # SIGTERM; a.kill() for SIGKILL
    """

    def __init__(self, args, env, metrics=True):
        self.metrics_port = free_port() if metrics else None
        argv = [agent_binary(), "agent", "--provider", "route53", "--log-format", "json"]
        if metrics:
            argv += ["--metrics-listen", "127.0.0.1:%d" % self.metrics_port]
        else:
            argv += ["--metrics-listen", ""]
        self.argv = argv + list(args)
        self.cond = threading.Condition()
        self.lines = []  # raw text lines, stdout and stderr
        self.logs = []   # parsed JSON log lines
        self.proc = subprocess.Popen(self.argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._threads = [threading.Thread(target=self._read, args=(s,), daemon=True)
                         for s in (self.proc.stdout, self.proc.stderr)]
        for t in self._threads:
            t.start()

    def _read(self, stream):
        for line in stream:
            line = line.rstrip("\n")
            try:
                item = json.loads(line)
            except ValueError:
                item = None
            with self.cond:
                self.lines.append(line)
                if isinstance(item, dict):
                    self.logs.append(item)
                self.cond.notify_all()

    def wait_log(self, predicate, timeout):
        """The log lines matching predicate, once there is one (or [] after timeout)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                hits = [l for l in self.logs if predicate(l)]
                if hits or self.proc.poll() is not None and not self._reading():
                    return hits
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                self.cond.wait(min(left, 0.2))

    def _reading(self):
        return any(t.is_alive() for t in self._threads)

    def messages(self, msg):
        with self.cond:
            return [l for l in self.logs if l.get("msg") == msg]

    def text(self):
        with self.cond:
            return "\n".join(self.lines)

    def http_get(self, path, timeout=5):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.metrics_port, path), timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError as e:
            return None, str(e)

    def readyz(self):
        return self.http_get("/readyz")

    def wait_ready(self, timeout):
        return wait_until(lambda: self.readyz()[0] == 200, timeout, 0.1)

    def metric(self, name, labels=""):
        """The value of one series of /metrics (0 when absent)."""
        status, text = self.http_get("/metrics")
        if status != 200:
            return None
        series = name + ("{%s}" % labels if labels else "")
        for line in text.splitlines():
            if line.startswith(series + " "):
                return float(line.split()[-1])
        return 0.0

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self._finish()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        return self._finish()

    def _finish(self):
        for t in self._threads:
            t.join(5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode


def run_agent_once(args, env, timeout=120):
    """Runs `ecssd agent --provider route53 ...` to its end (--once,
    --remove-all): (exit code, parsed JSON log lines, raw text)."""
    argv = [agent_binary(), "agent", "--provider", "route53", "--log-format", "json", "--metrics-listen", ""]
    r = subprocess.run(argv + list(args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    text = r.stdout + r.stderr
    logs = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            logs.append(item)
    return r.returncode, logs, text


# --- a test case with a private dockerd, moto, a zone with foreign records and a proxy

class AgentTestCase:
    """Mixin for unittest.TestCase: one private dockerd and one moto_server
    per class; per test a fresh zone ZONE seeded with foreign_records(), an
    AwsProxy in front of moto, and helpers to start agents and containers.
    The agent is host HOST (owner OWNER)."""

    ZONE = "sd.test"
    HOST = "h1"
    HOST_IP = "10.0.0.1"
    OWNER = "h1.sd.test"

    @classmethod
    def setUpClass(cls):
        from harness.dockerd import Dockerd
        from harness.moto import MotoServer
        cls.dockerd = Dockerd()
        try:
            cls.dockerd.start()
            cls.dockerd.ensure_image()
            cls.moto = MotoServer().start()
        except BaseException:
            cls.dockerd.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()
        cls.dockerd.cleanup()

    def setUp(self):
        import tempfile
        self.moto.reset()
        self.r53 = self.moto.client("route53")
        self.zone_id = create_zone(self.r53, self.ZONE)
        seed_foreign(self.r53, self.zone_id, self.ZONE)
        self.before = record_sets(self.r53, self.zone_id)
        self.proxy = AwsProxy(self.moto.url).start()
        self.home = tempfile.TemporaryDirectory()
        self.agents = []
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        for a in self.agents:
            a.stop()
        self.proxy.stop()
        self.home.cleanup()
        self.dockerd.remove_all_containers()

    def env(self, **extra):
        """moto.env() through the proxy, with an empty HOME (no shared files)."""
        env = self.moto.env(HOME=self.home.name)
        env["AWS_ENDPOINT_URL"] = self.proxy.url
        env.update(extra)
        return env

    def base_args(self):
        return ["--zone", self.ZONE, "--docker-host", self.dockerd.docker_host, "--host-name", self.HOST,
                "--host-ip", self.HOST_IP]

    def start_agent(self, *args, env=None, base=True):
        a = AgentProcess((self.base_args() if base else []) + list(args), env or self.env())
        self.agents.append(a)
        return a

    def run_service(self, name, service, port, labels=None, extra_env=None):
        env = {"SERVICE_%d_NAME" % port: service}
        env.update(extra_env or {})
        return self.dockerd.run_container(name, ["sleep", "3600"], env=env, labels=labels)

    def remove(self, *names):
        self.dockerd.docker("rm", "-f", *names)

    def cnames(self):
        return service_cnames(self.r53, self.zone_id, self.OWNER)

    def expect(self, containers):
        """{(name, id12)} for [(service, container id)]."""
        return {("%s.%s." % (svc, self.ZONE), cid[:12]) for svc, cid in containers}

    def wait_cnames(self, expected, timeout):
        return wait_until(lambda: self.cnames() == expected, timeout, 0.05)

    def assert_foreign_untouched(self):
        now = record_sets(self.r53, self.zone_id)
        self.assertEqual(not_owned_by(now, self.OWNER), not_owned_by(self.before, self.OWNER),
                         "records ecssd does not own changed")
