"""Knot DNS (knotd) serving a zone from records in the ecssd JSON form, on a
free loopback port in a temporary folder: the peer the embedded responder is
compared with (bench/dns) and an independent server for AXFR tests."""
import os
import shutil
import subprocess
import tempfile
import time

from harness.ports import free_port

_NAME_TYPES = {"CNAME", "NS"}


def _fqdn(name):
    return name if name.endswith(".") else name + "."


def zone_file(zone, records, serial=1, ns_name=None, negative_ttl=5):
    """A zone file with the SOA and NS the embedded responder would generate."""
    ns = _fqdn(ns_name or f"ns.{zone}")
    lines = [
        f"$ORIGIN {_fqdn(zone)}",
        f"@ 60 IN SOA {ns} hostmaster.{_fqdn(zone)} {serial} 3600 600 86400 {negative_ttl}",
        f"@ 60 IN NS {ns}",
    ]
    for r in records:
        for value in r["values"]:
            if r["type"] in _NAME_TYPES:
                value = _fqdn(value)
            elif r["type"] == "SRV":
                prio, weight, port, target = value.split()
                value = f"{prio} {weight} {port} {_fqdn(target)}"
            lines.append(f"{_fqdn(r['name'])} {r.get('ttl', 10)} IN {r['type']} {value}")
    return "\n".join(lines) + "\n"


class Knot:
    def __init__(self, zone, records, udp_workers=1, serial=1, allow_transfer=True, extra_zone_lines=()):
        if not shutil.which("knotd"):
            raise RuntimeError("knotd not found: run scripts/install-deps.sh (package knot)")
        self.zone = zone
        self.records = records
        self.udp_workers = udp_workers
        self.serial = serial
        self.allow_transfer = allow_transfer
        self.extra_zone_lines = list(extra_zone_lines)
        self.port = None
        self.proc = None
        self._dir = tempfile.TemporaryDirectory(prefix="ecssd-knot-")

    def start(self):
        d = self._dir.name
        with open(os.path.join(d, f"{self.zone}.zone"), "w") as f:
            f.write(zone_file(self.zone, self.records, self.serial))
            f.write("".join(line + "\n" for line in self.extra_zone_lines))
        self.port = free_port()
        conf = f"""server:
    rundir: "{d}"
    listen: 127.0.0.1@{self.port}
    udp-workers: {self.udp_workers}
    tcp-workers: 1
    background-workers: 1
database:
    storage: "{d}"
log:
  - target: stderr
    any: warning
acl:
  - id: local_transfer
    address: 127.0.0.0/8
    action: transfer
template:
  - id: default
    storage: "{d}"
    zonefile-sync: -1
    journal-content: none
    semantic-checks: on
zone:
  - domain: {self.zone}
    file: "{self.zone}.zone"
""" + ("    acl: local_transfer\n" if self.allow_transfer else "")
        path = os.path.join(d, "knot.conf")
        with open(path, "w") as f:
            f.write(conf)
        self._log = open(os.path.join(d, "knotd.log"), "w")
        self.proc = subprocess.Popen(["knotd", "-c", path], stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.close()
                with open(os.path.join(d, "knotd.log")) as f:
                    raise RuntimeError(f"knotd exited: {f.read()}")
            out = subprocess.run(["kdig", "+timeout=1", "+retry=0", "@127.0.0.1", "-p", str(self.port), self.zone,
                                  "SOA"], capture_output=True, text=True)
            if "status: NOERROR" in out.stdout:
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("knotd did not serve the zone within 15 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_log", None) and not self._log.closed:
            self._log.close()
        self._dir.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
