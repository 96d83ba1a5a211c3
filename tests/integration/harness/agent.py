"""Runs the real `ecssd agent` (the binary ctest passes in ECSSD_BIN) as a user
would, on free loopback ports, and reads what it logs.

    with AgentProcess(["--docker-host", d.docker_host]) as a:
        a.wait_for(lambda: dig_short(a.dns_port, "web.servicediscovery.internal"))
"""
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

from harness.ports import free_port  # noqa: F401 (tests import it from here)


def ecssd_bin():
    path = os.environ.get("ECSSD_BIN")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "..", "..", "..", "build", "ecssd")
    if not os.access(path, os.X_OK):
        raise RuntimeError("ecssd binary not found; set ECSSD_BIN")
    return path


def wait_until(predicate, timeout, interval=0.02):
    """Polls predicate until it returns a true value; returns it, or None on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def dig_short(port, name, qtype="A", server="127.0.0.1", tcp=False):
    """dig +short: the answer lines (empty list when there are none)."""
    args = ["dig", "+short", "+time=1", "+tries=1", f"@{server}", "-p", str(port), name, qtype]
    if tcp:
        args.append("+tcp")
    out = subprocess.run(args, capture_output=True, text=True, timeout=10).stdout
    return [l for l in out.splitlines() if l and not l.startswith(";")]


def dig_status(port, name, qtype="A", server="127.0.0.1"):
    """The rcode dig reports (NOERROR, NXDOMAIN, REFUSED...) and the full text."""
    out = subprocess.run(["dig", "+time=1", "+tries=1", f"@{server}", "-p", str(port), name, qtype],
                         capture_output=True, text=True, timeout=10).stdout
    for line in out.splitlines():
        if "status:" in line:
            return line.split("status:")[1].split(",")[0].strip(), out
    return None, out


class AgentProcess:
    """`ecssd agent` with its own DNS and status ports, logging JSON lines."""

    def __init__(self, args, env=None, dns_port=None, metrics_port=None, log_format="json"):
        self.dns_port = dns_port or free_port()
        self.metrics_port = metrics_port or free_port(both=False)
        self.args = [ecssd_bin(), "agent", "--dns-listen", f"127.0.0.1:{self.dns_port}",
                     "--metrics-listen", f"127.0.0.1:{self.metrics_port}", "--log-format", log_format] + list(args)
        self.env = dict(os.environ)
        self.env["AWS_EC2_METADATA_DISABLED"] = "true"
        self.env.update(env or {})
        self.proc = None
        self.lines = []
        self._lock = threading.Lock()
        self._reader = None
        self.returncode = None

    def start(self):
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, bufsize=1)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self):
        for line in self.proc.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def log(self):
        with self._lock:
            return list(self.lines)

    def events(self):
        """The JSON log lines, parsed (other lines are skipped)."""
        out = []
        for l in self.log():
            try:
                out.append(json.loads(l))
            except ValueError:
                pass
        return out

    def find(self, msg, **fields):
        return [e for e in self.events() if e.get("msg") == msg and all(e.get(k) == v for k, v in fields.items())]

    def wait_log(self, msg, timeout=10, **fields):
        return wait_until(lambda: self.find(msg, **fields), timeout)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def http(self, path):
        """(status, body) of GET path on the status server."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}{path}", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def wait_ready(self, timeout=15):
        ok = wait_until(lambda: self._ready(), timeout, 0.05)
        if not ok:
            raise AssertionError("agent not ready:\n" + "\n".join(self.log()[-30:]))

    def _ready(self):
        if not self.alive():
            raise AssertionError("agent exited:\n" + "\n".join(self.log()[-30:]))
        try:
            return self.http("/readyz")[0] == 200
        except OSError:
            return False

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.returncode = self.proc.returncode
        if self._reader:
            self._reader.join(timeout=5)
        self.proc.stdout.close()
        self.proc = None
        return self.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def run_ecssd(*args, env=None, timeout=30):
    """Runs `ecssd <args>` to completion: (returncode, stdout, stderr)."""
    e = dict(os.environ)
    e["AWS_EC2_METADATA_DISABLED"] = "true"
    e.update(env or {})
    r = subprocess.run([ecssd_bin(), *args], capture_output=True, text=True, env=e, timeout=timeout)
    return r.returncode, r.stdout, r.stderr
