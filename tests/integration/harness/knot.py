"""Knot DNS (knotd) serving a zone from records in the ecssd JSON form, on a
free loopback port in a temporary folder: the peer the embedded responder is
compared with (bench/dns), an independent server for AXFR tests, and (with a
TSIG key, updates and a journal) a primary the RFC 2136 provider writes to."""
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
    """key (harness.tsig_keys.TsigKey): transfers (and updates) need it.
    allow_update: dynamic updates (RFC 2136) are accepted from loopback;
    update_acl: extra lines for that ACL (e.g. "    update-owner: name" to
    refuse some names). journal: changes are journaled (zonefile-sync -1), so
    IXFR is served from them and a restart (halt()/resume()) keeps them."""

    def __init__(self, zone, records, udp_workers=1, serial=1, allow_transfer=True, extra_zone_lines=(),
                 key=None, allow_update=False, update_acl=(), journal=False):
        if not shutil.which("knotd"):
            raise RuntimeError("knotd not found: run scripts/install-deps.sh (package knot)")
        self.zone = zone
        self.records = records
        self.udp_workers = udp_workers
        self.serial = serial
        self.allow_transfer = allow_transfer
        self.extra_zone_lines = list(extra_zone_lines)
        self.key = key
        self.allow_update = allow_update
        self.update_acl = list(update_acl)
        self.journal = journal
        self.port = None
        self.proc = None
        self._dir = tempfile.TemporaryDirectory(prefix="ecssd-knot-")

    def _acl(self):
        if self.key is None and not self.allow_update:
            return ("acl:\n  - id: local_transfer\n    address: 127.0.0.0/8\n    action: transfer\n",
                    ["local_transfer"] if self.allow_transfer else [])
        key_line = f"    key: {self.key.name}\n" if self.key else ""
        text, ids = "acl:\n", []
        if self.allow_transfer:
            text += f"  - id: local_transfer\n    address: 127.0.0.0/8\n{key_line}    action: transfer\n"
            ids.append("local_transfer")
        if self.allow_update:
            text += f"  - id: local_update\n    address: 127.0.0.0/8\n{key_line}    action: update\n"
            text += "".join(line + "\n" for line in self.update_acl)
            ids.append("local_update")
        return text, ids

    def start(self):
        d = self._dir.name
        with open(os.path.join(d, f"{self.zone}.zone"), "w") as f:
            f.write(zone_file(self.zone, self.records, self.serial))
            f.write("".join(line + "\n" for line in self.extra_zone_lines))
        self.port = free_port()
        self._write_conf()
        return self._launch()

    def reconfigure(self, update_acl=None):
        """Restarts knotd with another update ACL (zone, journal and port kept)."""
        if update_acl is not None:
            self.update_acl = list(update_acl)
        self.halt()
        self._write_conf()
        return self._launch()

    def _write_conf(self):
        d = self._dir.name
        acl, acl_ids = self._acl()
        keys = ""
        if self.key:
            keys = (f"key:\n  - id: {self.key.name}\n    algorithm: {self.key.algorithm}\n"
                    f"    secret: {self.key.secret}\n")
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
{keys}{acl}template:
  - id: default
    storage: "{d}"
    zonefile-sync: -1
    journal-content: {"changes" if self.journal else "none"}
    semantic-checks: on
zone:
  - domain: {self.zone}
    file: "{self.zone}.zone"
""" + (f"    acl: [{', '.join(acl_ids)}]\n" if acl_ids else "")
        self._conf = os.path.join(d, "knot.conf")
        with open(self._conf, "w") as f:
            f.write(conf)

    def _launch(self):
        d = self._dir.name
        path = self._conf
        self._log = open(os.path.join(d, "knotd.log"), "a")
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

    def halt(self):
        """Stops knotd and keeps its folder (zone file, journal, port) for resume()."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_log", None) and not self._log.closed:
            self._log.close()

    def resume(self):
        """Starts knotd again on the same port with the same state."""
        return self._launch()

    def log_text(self):
        try:
            with open(os.path.join(self._dir.name, "knotd.log")) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        self.halt()
        self._dir.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
