#!/usr/bin/env python3
"""A fleet on one zone (issue 12 §4): N real `ecssd agent --provider route53`
processes on this machine, each watching its own simulated engine (one
tests/tools/ecssd_fake_engines process serving N Docker-API sockets), all
writing one moto_server hosted zone through a proxy that enforces Route 53's
account limit as a token bucket and answers `Throttling` beyond it
(token_proxy.py). A rolling deploy replaces every container; midway some
hosts are SIGKILLed (agent and engine, and their containers' listeners);
after the deploy `ecssd reap` runs once. Run it through bench/fleet/run.sh.

Everything is checked with boto3 against moto directly (never through the
proxy, never with ecssd's own code)."""
import argparse
import datetime
import hashlib
import heapq
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness.moto_route53_fix import FixedMotoServer  # noqa: E402
from harness.route53_moto import all_record_sets, create_zone  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "bench"))
from benchmarks_md import machine_line, write_section  # noqa: E402

ZONE = "fleet.bench"
POLL_INTERVAL = 0.5


def foreign_records():
    """Records no agent owns; the run checks they are untouched. One is a
    weighted member of a name the agents write (svc0)."""
    return [
        {"Name": "svc0.%s." % ZONE, "Type": "CNAME", "SetIdentifier": "manual-blue", "Weight": 5, "TTL": 60,
         "ResourceRecords": [{"Value": "blue.example.org"}]},
        {"Name": "www.%s." % ZONE, "Type": "A", "AliasTarget": {
            "HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": "d1.cloudfront.net.", "EvaluateTargetHealth": False}},
        {"Name": "legacy.%s." % ZONE, "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "192.0.2.7"}]},
        {"Name": "mail.%s." % ZONE, "Type": "MX", "TTL": 300, "ResourceRecords": [{"Value": "10 mx.example.com."}]},
        {"Name": "notes.%s." % ZONE, "Type": "TXT", "TTL": 300,
         "ResourceRecords": [{"Value": '"heritage=someone-else" "owner=h000"'}]},
    ]


def rs_key(rs):
    """A record set as a comparable string (moto adds TTL 0 to aliases)."""
    d = dict(rs)
    if "AliasTarget" in d:
        d.pop("TTL", None)
    return json.dumps(d, sort_keys=True)


def owner_of(k):
    return "h%03d" % k


def addr_of(k):
    """Host k's own loopback address (127.0.0.0/8 is all loopback on Linux)."""
    return "127.0.%d.%d" % (1 + k // 250, 1 + k % 250)


class Container:
    def __init__(self, host, slot, gen):
        self.host, self.slot, self.gen = host, slot, gen
        self.cid12 = "%04x%02x%06x" % (host, gen, slot)
        self.id = self.cid12 + hashlib.sha256(self.cid12.encode()).hexdigest()[:52]
        self.name = "h%03d-s%02d-g%d" % (host, slot, gen)
        self.service = "svc%d" % slot
        self.port = 20000 + gen * 1000 + slot
        self.fqdn = "%s.%s." % (self.service, ZONE)
        self.started = None  # wall time just after its start event was emitted
        self.stopped = None

    @property
    def key(self):
        """(name, owner, container id prefix) of its service CNAME."""
        return (self.fqdn, owner_of(self.host), self.cid12)


class Engines:
    """tests/tools/ecssd_fake_engines as a child process; one command at a time."""

    def __init__(self, tool, n, log):
        self.proc = subprocess.Popen([tool, str(n)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                     text=True, bufsize=1)
        self.sockets = {}
        for line in self.proc.stdout:
            words = line.split()
            if words == ["ready"]:
                break
            self.sockets[int(words[1])] = words[2]
        if len(self.sockets) != n:
            raise RuntimeError("ecssd_fake_engines started %d engines of %d" % (len(self.sockets), n))
        self.lock = threading.Lock()

    def command(self, *words):
        with self.lock:
            self.proc.stdin.write(" ".join(str(w) for w in words) + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline().split()
        if not answer or answer[0] != "ok":
            raise RuntimeError("ecssd_fake_engines: %s -> %s" % (" ".join(map(str, words)), " ".join(answer)))
        return int(answer[1]) / 1e9

    def start(self, c):
        c.started = self.command("start", c.host, c.id, c.name, c.service, c.port, addr_of(c.host))

    def stop(self, c):
        c.stopped = self.command("stop", c.host, c.id)

    def down(self, k):
        return self.command("down", k)

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except OSError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ZoneWatch:
    """Polls the zone with boto3 against moto directly every POLL_INTERVAL
    seconds (a full listing each time); keeps the last snapshot and the first
    time each service CNAME was seen."""

    def __init__(self, r53, zone_id):
        self.r53, self.zone_id = r53, zone_id
        self.lock = threading.Lock()
        self.first_seen = {}   # key -> wall time of the poll that first saw it
        self.snapshot = None   # (time, record sets)
        self.polls = []        # (start, end) of each poll
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_flag.is_set():
            t0 = time.time()
            try:
                sets = all_record_sets(self.r53, self.zone_id)
            except Exception as e:  # noqa: BLE001 (moto busy: try again)
                print("poll failed: %s" % e, file=sys.stderr)
                time.sleep(POLL_INTERVAL)
                continue
            t1 = time.time()
            with self.lock:
                for key in service_keys(sets):
                    self.first_seen.setdefault(key, t1)
                self.snapshot = (t1, sets)
                self.polls.append((t0, t1))
            self.stop_flag.wait(max(0.0, POLL_INTERVAL - (t1 - t0)))

    def latest(self, after=0.0, timeout=60):
        """The first snapshot taken after `after` (wall time)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if self.snapshot and self.snapshot[0] > after and self.polls[-1][0] > after:
                    return self.snapshot
            time.sleep(0.05)
        raise RuntimeError("no zone snapshot for %d s" % timeout)

    def stop(self):
        self.stop_flag.set()
        self.thread.join(30)


def service_keys(sets):
    """{(name, owner, container id prefix)} of the agents' service CNAMEs."""
    out = set()
    for rs in sets:
        sid = rs.get("SetIdentifier", "")
        if rs["Type"] == "CNAME" and sid.startswith("ecssd:"):
            parts = sid.split(":")
            if len(parts) >= 4:
                out.add((rs["Name"], parts[1], parts[2]))
    return out


def owned_by(sets, owners):
    return [rs for rs in sets if rs.get("SetIdentifier", "").split(":")[:1] == ["ecssd"]
            and rs["SetIdentifier"].split(":")[1] in owners]


def check_state(sets, live_expected, live_owners, dead_owners, foreign_before):
    """What differs from the expected zone. live_expected: keys of the running
    containers of live hosts. Records of dead_owners are only counted."""
    have = service_keys(sets)
    have_live = {k for k in have if k[1] in live_owners}
    lost = live_expected - have_live
    stale = have_live - live_expected
    # Every live service CNAME has its ownership companion (same set
    # identifier) and nothing else of a live owner is left over.
    live_sets = owned_by(sets, live_owners)
    cname_ids = {rs["SetIdentifier"] for rs in live_sets if rs["Type"] == "CNAME"}
    companion_ids = {rs["SetIdentifier"] for rs in live_sets if rs["Type"] == "TXT" and "._ecssd." in rs["Name"]
                     and not rs["SetIdentifier"].endswith(":host")}
    host_owners = {rs["SetIdentifier"].split(":")[1] for rs in live_sets if rs["SetIdentifier"].endswith(":host")
                   and rs["Type"] in ("A", "AAAA")}
    foreign_now = sorted(rs_key(rs) for rs in sets if not rs.get("SetIdentifier", "").startswith("ecssd:"))
    return {
        "lost": sorted(lost), "stale": sorted(stale),
        "companions_missing": len(cname_ids - companion_ids), "companions_orphan": len(companion_ids - cname_ids),
        "host_records_missing": len(live_owners - host_owners),
        "dead_owner_records": len(owned_by(sets, dead_owners)),
        "foreign_changed": foreign_now != foreign_before,
    }


def settled(state):
    return (not state["lost"] and not state["stale"] and not state["companions_missing"]
            and not state["companions_orphan"] and not state["host_records_missing"]
            and not state["foreign_changed"])


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100.0 * (len(values) - 1))))]


class Proxy:
    """bench/fleet/token_proxy.py as a process of its own: every call it saw
    is a JSON line of its calls file."""

    def __init__(self, upstream, rate, burst, calls_file):
        self.calls_file = calls_file
        self.proc = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                   "token_proxy.py"),
                                      upstream, str(rate), str(burst), calls_file], stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            raise RuntimeError("token_proxy.py did not start")

    def snapshot(self):
        time.sleep(0.5)  # it writes every 0.2 s
        with open(self.calls_file) as f:
            return [json.loads(line) for line in f if line.endswith("\n")]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


def calls_in(proxy, since, until=None):
    out = {"change": 0, "list": 0, "other": 0, "throttled": 0, "throttled_change": 0, "throttled_list": 0}
    for c in proxy.snapshot():
        if c["service"] != "route53" or c["start"] < since or (until is not None and c["start"] >= until):
            continue
        kind = {"ChangeResourceRecordSets": "change", "ListResourceRecordSets": "list"}.get(c["op"], "other")
        if c["throttled"]:
            out["throttled"] += 1
            if kind != "other":
                out["throttled_" + kind] += 1
        else:
            out[kind] += 1
    return out


def agent_log_counts(logdir, owners):
    """What the agents' JSON logs say: warnings and errors, Route 53 retries
    by operation ("route53: retrying", one per retried attempt), and plan runs
    whose provider call failed for good ("provider failed; ...")."""
    counts = {"lines": 0, "warn": 0, "error": 0, "retry_change": 0, "retry_list": 0, "retry_other": 0,
              "provider_failed": 0}
    for o in owners:
        try:
            f = open(os.path.join(logdir, o + ".log"), errors="replace")
        except OSError:
            continue
        with f:
            for line in f:
                counts["lines"] += 1
                try:
                    item = json.loads(line)
                except ValueError:
                    continue
                level, msg = item.get("level", ""), item.get("msg", "")
                counts["error"] += level == "error"
                counts["warn"] += level in ("warn", "warning")
                if msg == "route53: retrying":
                    op = item.get("operation", "")
                    kind = {"ChangeResourceRecordSets": "change", "ListResourceRecordSets": "list"}.get(op, "other")
                    counts["retry_" + kind] += 1
                counts["provider_failed"] += msg.startswith("provider failed")
    return counts


def run_once(args, rate, burst, workdir):
    n, per = args.agents, args.containers_per_agent
    logdir = os.path.join(workdir, "bucket-%g-%g" % (rate, burst))
    os.makedirs(logdir, exist_ok=True)
    print("== bucket %g/s burst %g: logs in %s" % (rate, burst, logdir), file=sys.stderr)
    rng = random.Random(args.seed)
    result = {"rate": rate, "burst": burst, "logdir": logdir, "command": args.command,
              "started": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    t_run = time.time()
    moto = FixedMotoServer().start()
    proxy = engines = watch = None
    agents = {}
    try:
        r53 = moto.client("route53")
        zone_id = create_zone(r53, ZONE)
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
            "Changes": [{"Action": "CREATE", "ResourceRecordSet": rs} for rs in foreign_records()]})
        foreign_before = sorted(rs_key(rs) for rs in all_record_sets(r53, zone_id)
                                if not rs.get("SetIdentifier", "").startswith("ecssd:"))
        proxy = Proxy(moto.url, rate, burst, os.path.join(logdir, "calls.jsonl"))
        engines = Engines(args.engines_tool, n, open(os.path.join(logdir, "engines.log"), "w"))

        # The fleet before the deploy: `per` containers on every host, then the agents.
        current = {}  # (host, slot) -> running Container
        for k in range(n):
            for j in range(per):
                c = Container(k, j, 0)
                engines.start(c)
                current[(k, j)] = c
        env = moto.env(AWS_ENDPOINT_URL=proxy.url, HOME=workdir)
        for k in range(n):
            o = owner_of(k)
            argv = [args.ecssd, "agent", "--provider", "route53", "--zone", ZONE,
                    "--docker-host", "unix://" + engines.sockets[k], "--host-name", "%s.%s" % (o, ZONE),
                    "--host-ip", addr_of(k), "--owner-id", o, "--metrics-listen", "", "--log-format", "json",
                    "--resync", args.resync]
            log = open(os.path.join(logdir, o + ".log"), "w")
            agents[k] = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            log.close()
        watch = ZoneWatch(r53, zone_id)
        all_owners = {owner_of(k) for k in range(n)}
        t_agents = time.time()

        # Start-up: every agent publishes its containers (not part of the deploy's figures).
        expected = {c.key for c in current.values()}
        state = None
        deadline = time.time() + args.startup_timeout
        while time.time() < deadline:
            _, sets = watch.latest(after=time.time() - 0.01)
            state = check_state(sets, expected, all_owners, set(), foreign_before)
            if settled(state):
                break
            dead = [k for k, p in agents.items() if p.poll() is not None]
            if dead:
                raise RuntimeError("agents exited during start-up: %s" % dead)
        else:
            # Reported, not fatal: the deploy still runs and is measured.
            print("start-up did not converge in %d s: %d lost, %d stale" % (
                args.startup_timeout, len(state["lost"]), len(state["stale"])), file=sys.stderr)
        result["startup_converged"] = settled(state)
        result["startup_unpublished"] = len(state["lost"])
        result["startup_s"] = time.time() - t_agents
        result["startup_calls"] = calls_in(proxy, 0)
        print("start-up %s after %.1f s, calls %s" % ("converged" if result["startup_converged"] else "NOT converged",
                                                     result["startup_s"], result["startup_calls"]), file=sys.stderr)
        time.sleep(burst / rate + 1)  # the bucket refills: the deploy starts from a full one

        # The rolling deploy: replacement i (slot-major, so every host replaces
        # one container in turn) starts its new container at i * D / total and
        # stops the old one --overlap seconds later. Midway, --kill hosts die.
        total = n * per
        killed = sorted(rng.sample(range(n), args.kill))
        killed_owners = {owner_of(k) for k in killed}
        live_owners = all_owners - killed_owners
        queue = []
        seq = 0
        for i in range(total):
            j, k = divmod(i, n)
            t = i * args.deploy_seconds / total
            heapq.heappush(queue, (t, seq, "start", k, j)); seq += 1
            heapq.heappush(queue, (t + args.overlap, seq, "stop", k, j)); seq += 1
        kill_at = args.deploy_seconds / 2.0
        new = {}
        t0 = time.time()
        t_deploy = t0
        did_kill = False
        last_event = None
        while queue:
            t, _, what, k, j = heapq.heappop(queue)
            if not did_kill and t >= kill_at:
                now = time.time()
                if t0 + kill_at > now:
                    time.sleep(t0 + kill_at - now)
                for kk in killed:
                    agents[kk].send_signal(signal.SIGKILL)
                for kk in killed:
                    agents[kk].wait(10)
                    engines.down(kk)
                result["kill_time"] = time.time() - t0
                did_kill = True
            if k in killed and did_kill:
                continue
            now = time.time()
            if t0 + t > now:
                time.sleep(t0 + t - now)
            if what == "start":
                c = Container(k, j, 1)
                engines.start(c)
                new[(k, j)] = c
                last_event = c.started
            else:
                engines.stop(current[(k, j)])
                last_event = current[(k, j)].stopped
                current[(k, j)] = new[(k, j)]
        result["deploy_wall_s"] = time.time() - t0
        result["killed"] = [owner_of(k) for k in killed]

        # Convergence: the live hosts' records exactly the running containers
        # (the killed hosts' records may stay until the reaper).
        live_expected = {current[(k, j)].key for k in range(n) for j in range(per) if k not in killed}
        converged_at = None
        deadline = time.time() + args.converge_timeout
        while time.time() < deadline:
            snap_t, sets = watch.latest(after=time.time() - 0.01)
            state = check_state(sets, live_expected, live_owners, killed_owners, foreign_before)
            if settled(state):
                converged_at = snap_t
                break
        result["converge_s"] = None if converged_at is None else converged_at - last_event
        result["at_converge_check"] = {k: (len(v) if isinstance(v, list) else v) for k, v in state.items()}
        result["deploy_calls"] = calls_in(proxy, t_deploy)
        print("deploy: converged %s, state %s, calls %s" % (result["converge_s"], result["at_converge_check"],
                                                           result["deploy_calls"]), file=sys.stderr)

        # Publish delay of every container the deploy started on a host that lived.
        seen = dict(watch.first_seen)
        delays, unseen = [], 0
        for (k, j), c in new.items():
            if k in killed:
                continue
            if c.key in seen:
                delays.append(max(0.0, seen[c.key] - c.started))
            else:
                unseen += 1
        result["delay_p50"], result["delay_p99"] = percentile(delays, 50), percentile(delays, 99)
        result["delay_max"] = max(delays) if delays else None
        result["delays_n"], result["delays_unseen"] = len(delays), unseen
        polls = watch.polls
        gaps = [b[1] - a[1] for a, b in zip(polls, polls[1:]) if a[0] >= t_deploy]
        result["poll_mean"], result["poll_max"] = (sum(gaps) / len(gaps), max(gaps)) if gaps else (None, None)

        # The reaper, once, through the same bucket (it shares the account's limit).
        t_reap = time.time()
        try:
            reap = subprocess.run([args.ecssd, "reap", "--once", "--provider", "route53", "--zone", ZONE, "--output",
                                   "json", "--log-format", "json", "--grace", "0s", "--check-interval", "200ms",
                                   "--check-timeout", "1s"], env=env, capture_output=True, text=True,
                                  timeout=args.reap_timeout)
        except subprocess.TimeoutExpired as e:
            reap = subprocess.CompletedProcess(e.cmd, "timeout", (e.stdout or b"").decode(errors="replace")
                                               if isinstance(e.stdout, bytes) else (e.stdout or ""),
                                               (e.stderr or b"").decode(errors="replace")
                                               if isinstance(e.stderr, bytes) else (e.stderr or ""))
        result["reap_s"] = time.time() - t_reap
        with open(os.path.join(logdir, "reap.log"), "w") as f:
            f.write(reap.stderr)
        with open(os.path.join(logdir, "reap.json"), "w") as f:
            f.write(reap.stdout)
        try:
            report = json.loads(reap.stdout)
        except ValueError:
            report = {}
        result["reap_rc"] = reap.returncode
        result["reap_ok"] = report.get("ok")
        result["reap_deleted"] = report.get("deleted")
        result["reap_errors"] = report.get("errors")
        result["reap_calls"] = calls_in(proxy, t_reap, time.time())

        # The final state, exactly: a fresh listing after the reaper.
        _, sets = watch.latest(after=time.time())
        final = check_state(sets, live_expected, live_owners, killed_owners, foreign_before)
        result["final"] = {k: (len(v) if isinstance(v, list) else v) for k, v in final.items()}
        result["final_lost"] = final["lost"][:5]
        result["final_stale"] = final["stale"][:5]
        result["records_total"] = len(sets)
        result["log_counts"] = agent_log_counts(logdir, sorted(all_owners))
        result["all_calls"] = calls_in(proxy, 0)
        result["agents_exited"] = sorted(owner_of(k) for k, p in agents.items()
                                         if k not in killed and p.poll() is not None)
    finally:
        if watch:
            watch.stop()
        for p in agents.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in agents.values():
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if engines:
            engines.close()
        if proxy:
            proxy.stop()
        moto.stop()
    result["wall_s"] = time.time() - t_run
    print(json.dumps(result, indent=1, default=str), file=sys.stderr)
    return result


def fmt_s(x):
    return "n/a" if x is None else "%.2f s" % x


def render(args, results, started):
    lines = [
        "## A fleet on one zone: %d agents, a rolling deploy, %d hosts killed, the reaper" % (args.agents, args.kill),
        "",
        "Measured %s with `%s` on %s; 2 cores shared by moto_server, the proxy, the engines, the boto3 poller and "
        "all %d agents." % (started, args.command, machine_line(), args.agents),
        "",
        "%d `ecssd agent --provider route53` processes (`--resync %s`, otherwise their defaults), each "
        "watching its own simulated engine (`tests/tools/ecssd_fake_engines`: the unit tests' fake Docker engine, %d "
        "of them in one process, each running container with a real TCP listener on its host's own 127.x address), "
        "all writing one moto_server hosted zone through a proxy (`bench/fleet/token_proxy.py`) that enforces "
        "Route 53's account limit as a token bucket over every Route 53 call and answers `Throttling` (HTTP 400) "
        "beyond it. The agents share nothing but the zone." % (args.agents, args.resync, args.agents),
        "",
        "Scenario: %d containers per agent (%d, service `svc<slot>` on every host, so each name is a weighted set "
        "of %d members), published before the deploy starts; then a rolling deploy replaces all of them over %d s "
        "(each new container starts, the old one stops %g s later); at %d s, %d hosts are SIGKILLed (agent, engine "
        "and listeners); after the last event, once the zone has converged (or %d s passed), `ecssd reap --once "
        "--grace 0s --check-interval 200ms --check-timeout 1s` runs through the same bucket." % (
            args.containers_per_agent, args.agents * args.containers_per_agent, args.agents, args.deploy_seconds,
            args.overlap, args.deploy_seconds // 2, args.kill, args.converge_timeout),
        "",
        "The zone is read with boto3 from moto directly (not through the proxy): a full listing, started every "
        "%.1f s or as soon as the previous one ends when it takes longer; the measured interval, in each table, is "
        "the resolution of the delays. Publish delay: "
        "from a container's start event (emitted by the engine) to the first listing that shows its record, "
        "over the deploy's containers on hosts that lived. Converged: the live hosts' records are exactly their "
        "running containers (records, ownership companions, host records); the killed hosts' records stay until "
        "the reaper. Lost: a running container of a live host without its record after the reaper; stale: a "
        "record of a stopped container or a killed host left after the reaper. Foreign records (5, one of them a "
        "weighted member of `svc0`) are compared before and after." % POLL_INTERVAL,
        "",
    ]
    size = max(r["records_total"] for r in results)
    pages = -(-size // 300)
    lines += ["`--resync 30m` leaves the agents' periodic relisting out of the run. At the default, `--resync 60s`, "
              "every agent lists the whole zone each minute: with the %d record sets the zone held at the end, "
              "%d pages of 300, %d agents make %.1f list calls a second for that alone." % (
                  size, pages, args.agents, args.agents * pages / 60.0), ""]
    for r in results:
        d, rc = r["deploy_calls"], r["reap_calls"]
        f = r["final"]
        stale_after = f["stale"] + f["dead_owner_records"]
        goal_30 = r["converge_s"] is not None and r["converge_s"] <= 30
        lines += [
            "### Bucket: %g requests/s, burst %g" % (r["rate"], r["burst"]),
            "",
        ]
        if r.get("command", args.command) != args.command:
            lines += ["This bucket's run: %s with `%s`." % (r.get("started", "?"), r["command"]), ""]
        if r.get("note"):
            lines += [r["note"], ""]
        if not r["startup_converged"]:
            lines += ["The deploy started on an unfinished start-up (its limit, %d s, was reached), so every figure "
                      "below includes agents that had never published their first containers." % (
                          args.startup_timeout), ""]
        lines += [
            "| figure | value |",
            "|---|---:|",
            "| start-up (before the deploy): time to publish all, calls made / throttled | %s%.1f s, %d / %d |" % (
                "" if r["startup_converged"] else "**not converged** (%s of %d containers unpublished) after " % (
                    r.get("startup_unpublished", "?"), args.agents * args.containers_per_agent), r["startup_s"], r["startup_calls"]["change"] + r["startup_calls"]["list"] + r["startup_calls"]["other"],
                r["startup_calls"]["throttled"]),
            "| deploy to convergence: change calls (answered by moto) | %d |" % d["change"],
            "| deploy to convergence: list calls | %d |" % d["list"],
            "| deploy to convergence: other calls | %d |" % d["other"],
            "| deploy to convergence: throttled (change / list) | %d (%d / %d) |" % (
                d["throttled"], d["throttled_change"], d["throttled_list"]),
            "| publish delay p50 / p99 / max (%d containers%s) | %s / %s / %s |" % (
                r["delays_n"], ", %d never seen" % r["delays_unseen"] if r["delays_unseen"] else "",
                fmt_s(r["delay_p50"]), fmt_s(r["delay_p99"]), fmt_s(r["delay_max"])),
            "| zone poll interval, mean / max | %s / %s |" % (fmt_s(r["poll_mean"]), fmt_s(r["poll_max"])),
            "| converged after the last event | %s |" % (
                fmt_s(r["converge_s"]) if r["converge_s"] is not None
                else "**not within %d s**" % args.converge_timeout),
            "| reaper: exit code, deleted, wall time; calls made / throttled while it ran (agents' too) | %s, %s, %.1f s; %d / %d |" % (
                r["reap_rc"], r["reap_deleted"], r["reap_s"], rc["change"] + rc["list"] + rc["other"],
                rc["throttled"]),
            "| lost (after the reaper) | %d |" % f["lost"],
            "| stale after the reaper (stopped containers' records / killed hosts' records) | %d (%d / %d) |" % (
                stale_after, f["stale"], f["dead_owner_records"]),
            "| companions missing / orphaned, host records missing | %d / %d, %d |" % (
                f["companions_missing"], f["companions_orphan"], f["host_records_missing"]),
            "| foreign records touched | %s |" % ("yes" if f["foreign_changed"] else "no"),
            "| agents' logs, whole run: Route 53 retries (change / list / other), provider calls failed for good "
            "| %d / %d / %d, %d |" % (r["log_counts"]["retry_change"], r["log_counts"]["retry_list"],
                                      r["log_counts"]["retry_other"], r["log_counts"]["provider_failed"]),
            "",
        ]
        lists = r["startup_calls"]["list"] + d["list"]
        changes = r["startup_calls"]["change"] + d["change"]
        if d["throttled"] and lists > 5 * max(1, changes):
            lines += ["Zone listings took the bucket: %d list calls answered against %d change calls (start-up "
                      "and deploy), and %d calls throttled in the deploy alone. An agent plans against a full "
                      "listing of the zone (300 record sets a page, `ListResourceRecordSets`); each page is tried "
                      "at most 6 times (capped, jittered exponential backoff, nothing shared between requests or "
                      "agents), a listing that gives up on one page fails the plan run and the next run starts "
                      "again from the first page, and a change that fails as a whole drops the agent's cached "
                      "listing. With a zone of thousands of record sets and every agent retrying, almost no "
                      "listing completes, so almost no change is sent." % (
                          lists, changes, d["throttled"]), ""]
            if r["reap_rc"] != 0:
                lines += ["The reaper, sharing the bucket with the agents, failed the same way: %s" % (
                    "; ".join(r["reap_errors"] or ["exit code %s" % r["reap_rc"]])), ""]
        if r["rate"] == 5:
            exact = f["lost"] == 0 and stale_after == 0 and not f["foreign_changed"]
            lines += ["Goal at 5 requests/s: 0 lost, 0 stale after the reaper, converged within 30 s of the last "
                      "event: **%s** (%d lost, %d stale, converged %s)." % (
                          "met" if exact and goal_30 else "missed", f["lost"], stale_after,
                          fmt_s(r["converge_s"]) if r["converge_s"] is not None
                          else "not within %d s" % args.converge_timeout), ""]
    lines += ["One run per bucket took %s wall time (moto, agents and engines started afresh for each)." % (
        " and ".join("%.0f s" % r["wall_s"] for r in results))]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--agents", type=int, default=100)
    p.add_argument("--containers-per-agent", type=int, default=20)
    p.add_argument("--deploy-seconds", type=int, default=300)
    p.add_argument("--kill", type=int, default=10, help="hosts SIGKILLed midway")
    p.add_argument("--bucket", action="append", metavar="RATE:BURST",
                   help="token bucket, repeatable (default: 5:5 and 10:50)")
    p.add_argument("--overlap", type=float, default=1.0, help="seconds between a new container's start and the "
                   "old one's stop")
    p.add_argument("--resync", default="30m", help="the agents' --resync (their full relisting; default 30m "
                   "leaves it out of the run)")
    p.add_argument("--startup-timeout", type=int, default=300,
                   help="publishing the fleet before the deploy; the deploy starts anyway after this long")
    p.add_argument("--converge-timeout", type=int, default=120)
    p.add_argument("--reap-timeout", type=int, default=300, help="the reaper is stopped after this long")
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--no-doc", action="store_true", help="print the section, leave docs/BENCHMARKS.md alone")
    p.add_argument("--command", default="bench/fleet/run.sh")
    p.add_argument("--render", metavar="RESULTS_JSON", help="no run: write the section from a run's results.json")
    args = p.parse_args()
    args.ecssd = os.environ["ECSSD_BIN"]
    args.engines_tool = os.environ["ECSSD_FAKE_ENGINES"]
    buckets = [tuple(float(x) for x in b.split(":")) for b in (args.bucket or ["5:5", "10:50"])]
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    workdir = tempfile.mkdtemp(prefix="ecssd-fleet-")
    if args.render:  # again, from a run's results.json (its logs must still be there)
        with open(args.render) as f:
            saved = json.load(f)
        args = argparse.Namespace(**dict(saved["args"], no_doc=args.no_doc))
        results, started = saved["results"], saved["started"]
        for r in results:
            r["log_counts"] = agent_log_counts(r["logdir"], [owner_of(k) for k in range(args.agents)])
    else:
        results = []
        for rate, burst in buckets:
            results.append(run_once(args, rate, burst, workdir))
            with open(os.path.join(workdir, "results.json"), "w") as f:
                json.dump({"args": vars(args), "results": results, "started": started}, f, default=str)
    report = render(args, results, started)
    print(report)
    if not args.no_doc:
        write_section(os.path.join(ROOT, "docs", "BENCHMARKS.md"), "fleet", report)


if __name__ == "__main__":
    main()
