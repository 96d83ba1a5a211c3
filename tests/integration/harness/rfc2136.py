"""Helpers shared by the RFC 2136 tests and bench/rfc2136: independent
clients (nsupdate, kdig) and ecssd's own transfer/UPDATE clients driven
through tests/tools/ecssd_xfr.

    servers = {"bind": lambda key: Bind(ZONE, [], key), ...}
    with XfrTool(port, ZONE, key_file) as x:
        x.command("refresh")"""
import json
import os
import subprocess

from harness.dns_server import kdig_transfer


def tool_binary(name):
    """A test tool next to $ECSSD_BIN (build/tests/tools/NAME)."""
    bin_dir = os.path.dirname(os.environ.get("ECSSD_BIN", "build/ecssd"))
    path = os.path.join(bin_dir, "tests", "tools", name)
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{name} not found at {path}: build the test tools first")
    return path


def nsupdate(port, key, commands, zone=None, server="127.0.0.1", timeout=20):
    """Runs nsupdate with the key (-y) against the server: (returncode, output).
    `commands` are nsupdate lines without "server"/"send"."""
    script = f"server {server} {port}\n" + (f"zone {zone}\n" if zone else "")
    script += "".join(c + "\n" for c in commands) + "send\n"
    args = ["nsupdate", "-t", "5"] + (["-y", key.dig_arg()] if key else [])
    out = subprocess.run(args, input=script, capture_output=True, text=True, timeout=timeout)
    return out.returncode, out.stdout + out.stderr


def _normal(value):
    return " ".join(w[:-1] if w.endswith(".") and len(w) > 1 and not w.startswith('"') else w for w in value.split())


def zone_rrs(port, zone, key, server="127.0.0.1"):
    """Every RR of the zone by a TSIG-signed kdig AXFR, as a set of
    (name, type, value) in ecssd's presentation (names without dots); the
    SOA and TSIG lines are left out."""
    lines, raw = kdig_transfer(server, port, zone, "-y", key.dig_arg())
    if not lines:
        raise AssertionError(f"kdig AXFR of {zone} failed: {raw[-500:]}")
    out = set()
    for line in lines:
        parts = line.split(None, 4)
        if len(parts) < 5 or parts[3] in ("SOA", "TSIG"):
            continue
        out.add((parts[0].rstrip(".").lower(), parts[3], _normal(parts[4])))
    return out


def rrset(port, zone, key, name, rtype):
    """The values of one RRset, from a signed transfer (sorted)."""
    return sorted(v for n, t, v in zone_rrs(port, zone, key) if n == name and t == rtype)


def soa_serial(port, zone, server="127.0.0.1"):
    out = subprocess.run(["dig", "+short", "+time=1", "+tries=2", f"@{server}", "-p", str(port), zone, "SOA"],
                         capture_output=True, text=True, timeout=10).stdout.split()
    return int(out[2]) if len(out) >= 3 else None


class XfrTool:
    """tests/tools/ecssd_xfr: one JSON answer per command line."""

    def __init__(self, port, zone, key_file=None, extra=(), server="127.0.0.1"):
        args = [tool_binary("ecssd_xfr"), "--server", f"{server}:{port}", "--zone", zone] + list(extra)
        if key_file:
            args += ["--key-file", key_file]
        self.args = args
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
        return self

    def command(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        if not out:
            raise AssertionError(f"ecssd_xfr exited: {self.proc.stderr.read()}")
        return json.loads(out)

    def update(self, request):
        return self.command("update " + json.dumps(request))

    def records(self):
        """The tool's zone copy as a set like zone_rrs()."""
        out = set()
        for r in self.command("records")["records"]:
            if r["type"] == "SOA":
                continue
            for v in r["values"]:
                out.add((r["name"], r["type"], v))
        return out

    def __exit__(self, *exc):
        if self.proc:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
            self.proc.stderr.close()
            self.proc.stdout.close()
