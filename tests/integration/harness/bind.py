"""BIND 9 (named) as the primary of one zone with a TSIG key, dynamic
updates and IXFR from its journal, on a free loopback port in a temporary
folder: a server the RFC 2136 provider writes to. The zone file comes from
records in the ecssd JSON form (harness.knot.zone_file).

    key = TsigKey()
    with Bind("svc.test", [], key) as b:
        dig_short(b.port, "web.svc.test")
        b.halt(); b.resume()          # stopped and started with its journal

update_policy is the update-policy body (default: the key may change any
name in the zone); stats_port serves BIND's statistics channel (the opcode
counters count UPDATE messages independently of ecssd)."""
import json
import os
import shutil
import tempfile
import urllib.request

from harness.knot import zone_file
from harness.ports import free_port
from harness.server_process import ServerProcess


class Bind(ServerProcess):
    log_name = "named.log"

    def __init__(self, zone, records, key, update_policy=None, serial=1, env=None, extra_options=(), extra_zones=()):
        if not shutil.which("named"):
            raise RuntimeError("named not found: run scripts/install-deps.sh (package bind9)")
        self.zone = zone
        self.records = records
        self.key = key
        self.update_policy = update_policy or f"grant {key.name} zonesub ANY;"
        self.serial = serial
        self.env = env
        self.extra_options = list(extra_options)
        # More zones on the same server, same key and policy, each with these records.
        self.extra_zones = list(extra_zones)
        self.port = None
        self.stats_port = None
        self.proc = None
        self._dir = tempfile.TemporaryDirectory(prefix="ecssd-bind-")

    def start(self):
        d = self.dir
        for z in [self.zone] + self.extra_zones:
            with open(os.path.join(d, f"{z}.db"), "w") as f:
                f.write(zone_file(z, self.records if z == self.zone else [], self.serial))
                # BIND refuses a zone whose in-zone NS name has no address.
                f.write(f"ns.{z}. 60 IN A 127.0.0.1\n")
        self.key.write(os.path.join(d, "key.conf"))
        self.port = free_port()
        self.stats_port = free_port(both=False)
        self._write_conf()
        return self.resume()

    def reconfigure(self, update_policy):
        """Restarts named with another update-policy (zone, journal and ports kept)."""
        self.update_policy = update_policy
        self.halt()
        self._write_conf()
        return self.resume()

    def _write_conf(self):
        d = self.dir
        extra = "".join(f"  {line}\n" for line in self.extra_options)
        conf = f"""include "{d}/key.conf";
options {{
  directory "{d}";
  pid-file "{d}/named.pid";
  session-keyfile "{d}/session.key";
  listen-on port {self.port} {{ 127.0.0.1; }};
  listen-on-v6 {{ none; }};
  recursion no;
  notify no;
  dnssec-validation no;
  // IXFR even where the whole zone would be smaller (test zones are tiny).
  max-ixfr-ratio unlimited;
{extra}}};
controls {{ }};
statistics-channels {{ inet 127.0.0.1 port {self.stats_port} allow {{ 127.0.0.1; }}; }};
"""
        for z in [self.zone] + self.extra_zones:
            conf += f"""zone "{z}" {{
  type primary;
  file "{d}/{z}.db";
  update-policy {{ {self.update_policy} }};
  allow-transfer {{ key {self.key.name}; }};
  zone-statistics full;
}};
"""
        self._conf = os.path.join(d, "named.conf")
        with open(self._conf, "w") as f:
            f.write(conf)

    def resume(self):
        """Starts named (again) with the folder's zone file and journal."""
        env = dict(os.environ)
        env.update(self.env or {})
        return self._launch(["named", "-g", "-n", "1", "-c", self._conf], "named", env)

    def opcode_count(self, opcode="UPDATE"):
        """How many requests of `opcode` named received (its statistics channel)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.stats_port}/json/v1/server", timeout=5) as r:
            stats = json.load(r)
        return int(stats.get("opcodes", {}).get(opcode, 0))

    def zone_counter(self, zone, name="UpdateDone"):
        """A counter of one zone's statistics (UpdateDone: updates applied, UpdateRej...)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.stats_port}/json/v1/zones", timeout=5) as r:
            stats = json.load(r)
        for view in stats.get("views", {}).values():
            for z in view.get("zones", []):
                if z.get("name") == zone:
                    return int((z.get("rcodes") or {}).get(name, 0))
        return 0
