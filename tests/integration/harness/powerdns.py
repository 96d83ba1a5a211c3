"""PowerDNS Authoritative (pdns_server) with the gsqlite3 backend, serving
one zone with dynamic updates (dnsupdate=yes) allowed for a TSIG key, on a
free loopback port in a temporary folder: a server the RFC 2136 provider
writes to. The zone comes from records in the ecssd JSON form
(harness.knot.zone_file), loaded with pdnsutil, which also imports the key
and sets the zone's TSIG-ALLOW-DNSUPDATE and TSIG-ALLOW-AXFR metadata.

refuse_prefix: a Lua update policy (lua-dnsupdate-policy-script) refuses
names starting with it, and PowerDNS still answers NOERROR (pdns #8422,
#14953): the silent refusal the provider's read-back must catch.
allow_update=False leaves TSIG-ALLOW-DNSUPDATE unset: updates are REFUSED."""
import os
import shutil
import subprocess
import tempfile

from harness.knot import zone_file
from harness.ports import free_port
from harness.server_process import ServerProcess

SCHEMA = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql"


class PowerDns(ServerProcess):
    log_name = "pdns.log"

    def __init__(self, zone, records, key, allow_update=True, refuse_prefix=None, serial=1):
        for tool in ("pdns_server", "pdnsutil", "sqlite3"):
            if not shutil.which(tool):
                raise RuntimeError(f"{tool} not found: run scripts/install-deps.sh (pdns-server, "
                                   "pdns-backend-sqlite3, sqlite3)")
        self.zone = zone
        self.records = records
        self.key = key
        self.allow_update = allow_update
        self.refuse_prefix = refuse_prefix
        self.serial = serial
        self.port = None
        self.proc = None
        self._dir = tempfile.TemporaryDirectory(prefix="ecssd-pdns-")

    def _pdnsutil(self, *args):
        out = subprocess.run(["pdnsutil", f"--config-dir={self.dir}", *args], capture_output=True, text=True,
                             timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f"pdnsutil {' '.join(args)}: {out.stdout} {out.stderr}")
        return out.stdout

    def start(self):
        d = self.dir
        db = os.path.join(d, "pdns.sqlite3")
        with open(SCHEMA) as schema:
            subprocess.run(["sqlite3", db], stdin=schema, check=True, timeout=30)
        self.port = free_port()
        self._write_conf()
        zf = os.path.join(d, "zone.db")
        with open(zf, "w") as f:
            f.write(zone_file(self.zone, self.records, self.serial))
            # The NS name's address, as a real zone has it (and BIND insists on).
            f.write(f"ns.{self.zone}. 60 IN A 127.0.0.1\n")
        self._pdnsutil("load-zone", self.zone, zf)
        self._pdnsutil("import-tsig-key", self.key.name, self.key.algorithm, self.key.secret)
        self._pdnsutil("activate-tsig-key", self.zone, self.key.name, "primary")  # TSIG-ALLOW-AXFR
        if self.allow_update:
            self._pdnsutil("set-meta", self.zone, "TSIG-ALLOW-DNSUPDATE", self.key.name)
        return self.resume()

    def reconfigure(self, refuse_prefix=None, allow_update=None):
        """Restarts pdns_server with another update policy (database and port kept)."""
        self.refuse_prefix = refuse_prefix
        if allow_update is not None and allow_update != self.allow_update:
            self.allow_update = allow_update
            if allow_update:
                self._pdnsutil("set-meta", self.zone, "TSIG-ALLOW-DNSUPDATE", self.key.name)
            else:
                self._pdnsutil("set-meta", self.zone, "TSIG-ALLOW-DNSUPDATE")
        self.halt()
        self._write_conf()
        return self.resume()

    def _write_conf(self):
        d = self.dir
        db = os.path.join(d, "pdns.sqlite3")
        conf = [
            "launch=gsqlite3", f"gsqlite3-database={db}", "local-address=127.0.0.1", f"local-port={self.port}",
            f"socket-dir={d}", "daemon=no", "guardian=no", "disable-syslog=yes", "loglevel=4",
            # Transfers with the key only (TSIG-ALLOW-AXFR): no address may transfer without it.
            "dnsupdate=yes", "allow-dnsupdate-from=127.0.0.0/8", "allow-axfr-ips=",
            "distributor-threads=1", "receiver-threads=1",
        ]
        if self.refuse_prefix:
            script = os.path.join(d, "policy.lua")
            with open(script, "w") as f:
                f.write("function updatepolicy(request)\n"
                        f"  return request:getQName():toString():sub(1, {len(self.refuse_prefix)}) ~= "
                        f"\"{self.refuse_prefix}\"\nend\n")
            conf.append(f"lua-dnsupdate-policy-script={script}")
        with open(os.path.join(d, "pdns.conf"), "w") as f:
            f.write("\n".join(conf) + "\n")

    def resume(self):
        """Starts pdns_server (again) on the same port and database."""
        return self._launch(["pdns_server", f"--config-dir={self.dir}"], "pdns_server")
