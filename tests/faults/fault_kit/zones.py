"""The zone as it should be, and as an independent client reads it.

Expected: for each running container that declares services (the engine's
word, engine.Containers.running), its record with the right value and its
ownership companion with the right labels, plus the host's own record;
nothing else of this owner. Observed: every record set of the Route 53 zone
by boto3 against moto (never through the fault proxy), or every RR of a DNS
zone by kdig AXFR (TSIG-signed for BIND). Foreign records (planted before
the burst by a person's tools) are compared byte for byte with their
reading before the agent ever ran."""
import json
import shlex
import threading
import time
from collections import Counter

from harness.dns_server import kdig_transfer
from harness.route53_moto import all_record_sets

OWNER = "h1"       # --owner-id of the agent under test
HOST = "h1"        # --host-name (no dots: <host>.<zone> is published)
HOST_IP = "127.0.0.1"


def txt_labels(text):
    """{key: value} of a companion's character-strings ("heritage=ecssd" "set=..." ...)."""
    out = {}
    for item in shlex.split(text):
        k, _, v = item.partition("=")
        out[k] = v
    return out


class State:
    """mains: Counter of main records; companions: {(name, set id): [labels...]};
    foreign: what is compared byte for byte (lines or JSON), as a Counter."""

    def __init__(self, mains=None, companions=None, foreign=None):
        self.mains = mains if mains is not None else Counter()
        self.companions = companions if companions is not None else {}
        self.foreign = foreign if foreign is not None else Counter()


class Diff:
    def __init__(self, want, have, foreign_before):
        self.lost = sorted(map(str, (want.mains - have.mains).elements()))
        self.stale = sorted(map(str, (have.mains - want.mains).elements()))
        for key, labels in want.companions.items():
            got = have.companions.get(key, [])
            if not any(all(g.get(k) == v for k, v in labels.items()) for g in got):
                self.lost.append("companion %s %s (have %s)" % (key[0], key[1], got))
        for key, got in have.companions.items():
            extra = len(got) - (1 if key in want.companions else 0)
            if extra > 0:
                self.stale.append("companion %s %s x%d" % (key[0], key[1], extra))
        self.foreign_changed = sorted((foreign_before - have.foreign).elements())
        self.foreign_added = sorted((have.foreign - foreign_before).elements())

    @property
    def foreign_touched(self):
        return len(self.foreign_changed) + len(self.foreign_added)

    @property
    def exact(self):
        return not self.lost and not self.stale and not self.foreign_touched

    def describe(self):
        return json.dumps({"lost": self.lost, "stale": self.stale, "foreign_changed": self.foreign_changed,
                           "foreign_added": self.foreign_added}, indent=1)


# --- expected

def expected(declared, zone, style, foreign=None):
    """The State the zone must hold for these containers. style: "route53"
    (weighted CNAMEs with set identifiers), "srv" (SRV RRsets, RFC 2136) or
    "cname" (the embedded responder). foreign (DNS styles): the foreign RRs;
    a value joining an RRset of theirs takes its TTL (RFC 2181 5.2: one TTL
    per RRset), so that theirs stays as it is."""
    want = State()
    shared = {} if style == "route53" else {(name, rtype): ttl for name, ttl, rtype, _ in (foreign or ())}

    def ttl(name, rtype):
        return shared.get((name, rtype), 10)
    host = f"{HOST}.{zone}"
    host_set = f"ecssd:{OWNER}:host"
    for c in declared:
        for port, service in c.services:
            set_id = f"ecssd:{OWNER}:{c.cid[:12]}:{port}-tcp"
            labels = {"heritage": "ecssd", "set": set_id, "owner": OWNER, "container": c.cid, "service": service,
                      "port": f"{port}/tcp"}
            if style == "route53":
                want.mains[(f"{service}.{zone}", "CNAME", set_id, 10, 1, host)] += 1
                want.companions[(f"cname._ecssd.{service}.{zone}", set_id)] = dict(labels, value=host)
            elif style == "srv":
                name = f"_{service}._tcp.{zone}"
                want.mains[(name, ttl(name, "SRV"), "SRV", f"1 1 {port} {host}.")] += 1
                want.companions[(f"srv._ecssd._{service}._tcp.{zone}", set_id)] = dict(labels, value=f"1 1 {port} {host}")
            else:
                want.mains[(f"{service}.{zone}", ttl(f"{service}.{zone}", "CNAME"), "CNAME", f"{host}.")] += 1
                want.companions[(f"cname._ecssd.{service}.{zone}", set_id)] = dict(labels, value=host)
    host_labels = {"heritage": "ecssd", "set": host_set, "owner": OWNER, "kind": "host", "value": HOST_IP}
    if style == "route53":
        want.mains[(host, "A", host_set, 10, 1, HOST_IP)] += 1
    else:
        want.mains[(host, ttl(host, "A"), "A", HOST_IP)] += 1
    want.companions[(f"a._ecssd.{host}", host_set)] = host_labels
    if style != "route53":  # one RR per name, type and value: two containers' equal values are one RR
        want.mains = Counter(set(want.mains))
    return want


# --- observed

def route53_state(r53, zone_id):
    """The zone by boto3: this owner's record sets (set identifier ecssd:<owner>:...) as mains
    and companions, every other record set as foreign (its JSON)."""
    have = State()
    prefix = f"ecssd:{OWNER}:"
    for rs in all_record_sets(r53, zone_id):
        set_id = rs.get("SetIdentifier", "")
        if not set_id.startswith(prefix):
            have.foreign[json.dumps(rs, sort_keys=True)] += 1
            continue
        name = rs["Name"].rstrip(".")
        for value in (r["Value"] for r in rs.get("ResourceRecords", [])):
            if rs["Type"] == "TXT" and "._ecssd." in name:
                have.companions.setdefault((name, set_id), []).append(txt_labels(value))
            else:
                have.mains[(name, rs["Type"], set_id, rs.get("TTL"), rs.get("Weight"), value.rstrip("."))] += 1
    return have


def axfr_lines(port, zone, key=None):
    """Every RR of the zone by kdig AXFR as (name, ttl, type, rdata); SOA left out."""
    options = ["-y", key.dig_arg()] if key else []
    lines, raw = kdig_transfer("127.0.0.1", port, zone, *options)
    if not lines:
        raise AssertionError(f"kdig AXFR of {zone} failed: {raw[-400:]}")
    out = []
    for line in lines:
        parts = line.split(None, 4)
        if len(parts) < 5 or parts[3] in ("SOA", "TSIG"):
            continue
        out.append((parts[0].rstrip(".").lower(), int(parts[1]), parts[3], parts[4]))
    return out


def dns_state(port, zone, foreign_before, key=None):
    """The zone by AXFR: the RRs read before the agent ran are the foreign ones (compared as
    they are); of the rest, TXT RRs below an _ecssd label are companions, the others mains."""
    rrs = Counter(axfr_lines(port, zone, key))
    have = State(foreign=Counter({rr: min(n, foreign_before[rr]) for rr, n in rrs.items() if rr in foreign_before}))
    for rr, n in (rrs - foreign_before).items():
        name, ttl, rtype, rdata = rr
        if rtype == "TXT" and "._ecssd." in name:
            labels = txt_labels(rdata)
            have.companions.setdefault((name, labels.get("set", "")), []).extend([labels] * n)
        else:
            have.mains[rr] += n
    return have


# --- waiting and sampling

def wait_exact(read, want_fn, foreign_before, timeout, interval=0.2):
    """Polls until read() matches want_fn() exactly; (seconds waited or None, last Diff)."""
    start = time.monotonic()
    diff = None
    while True:
        try:
            diff = Diff(want_fn(), read(), foreign_before)
        except Exception as e:  # the zone or the engine cannot be read (yet): not exact
            if time.monotonic() - start > timeout and diff is None:
                raise AssertionError(f"cannot read the zone or the engine: {e}") from e
        else:
            if diff.exact:
                return time.monotonic() - start, diff
        if time.monotonic() - start > timeout:
            return None, diff
        time.sleep(interval)


class Sampler:
    """Reads the zone every `interval` seconds from a thread and notes every main record of
    `keep` (the records of containers that run throughout) found missing in a reading."""

    def __init__(self, read, keep, interval=0.3):
        self.read, self.keep, self.interval = read, keep, interval
        self.missing = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            try:
                have = self.read()
            except Exception:  # a reading that fails (the server is down) shows nothing missing
                have = None
            if have is not None:
                self.samples += 1
                for key in self.keep - have.mains:
                    self.missing[key] += 1
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()
        self._thread.join(30)
        return self.missing
