#!/usr/bin/env python3
"""The benchmark's peer: the original ecssd agent's Route 53 call pattern
(amazon-archives/service-discovery-ecs-dns, ecssd_agent.go), replayed with
boto3 against the same endpoint as ecssd. Written for the benchmark; it
imitates the pattern, not the code:

- it watches the engine's container events (start, die) on its socket and
  hands each to a pool of 5 workers (the original's event router: 5
  workers);
- start: inspect the container; for each SERVICE_<port>_NAME one
  ChangeResourceRecordSets CREATE of a weighted SRV record
  "<name>.<zone>" = "1 1 <port> <host>", set identifier = container id;
- die: inspect the container; for each service one ListResourceRecordSets
  (StartRecordName/Type/Identifier, MaxItems 10) to find the value, then
  one ChangeResourceRecordSets DELETE of it.

So 200 containers started and stopped cost 600 calls. Failed calls are
retried as the original did (sleep 1, 3, 5, 7, 9 s), which never happens
against moto without fault injection.

    original_agent.py --docker-sock PATH --zone-id Z --zone NAME --host HOST

Prints "ready" once it listens to events; runs until SIGTERM. Reads
AWS_ENDPOINT_URL etc. from the environment like any boto3 program.
"""
import argparse
import concurrent.futures
import http.client
import json
import signal
import socket
import sys
import threading
import time
import urllib.parse

import boto3


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=None):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.timeout:
            s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


def inspect(sock, cid):
    conn = UnixHTTPConnection(sock, 30)
    try:
        conn.request("GET", "/containers/%s/json" % cid, headers={"Host": "docker"})
        r = conn.getresponse()
        body = r.read()
        return json.loads(body) if r.status == 200 else None
    finally:
        conn.close()


def services(container, with_port):
    """[(name, host port)] from SERVICE_<port>_NAME variables, as the original read them."""
    out = []
    for env in (container.get("Config") or {}).get("Env") or []:
        key, _, value = env.partition("=")
        parts = key.split("_")
        if len(parts) != 3 or parts[0] != "SERVICE" or parts[2] != "NAME" or not parts[1].isdigit():
            continue
        if not with_port:
            out.append((value, ""))
            continue
        ports = (container.get("NetworkSettings") or {}).get("Ports") or {}
        bound = [m for p, m in ports.items() if p.split("/")[0] == parts[1] and m]
        if bound:
            out.append((value, bound[0][0]["HostPort"]))
        elif (container.get("HostConfig") or {}).get("NetworkMode") == "host":
            out.append((value, parts[1]))  # host networking: the port is the host's
    return out


class Peer:
    def __init__(self, args):
        self.args = args
        self.r53 = boto3.client("route53")
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=5)
        self.lock = threading.Lock()
        self.done = 0

    def retried(self, fn):
        wait = 1
        while True:
            try:
                return fn()
            except Exception as e:  # noqa: BLE001 - the original retried every error
                if wait > 8:
                    print("giving up: %s" % e, file=sys.stderr)
                    return None
                time.sleep(wait)
                wait += 2

    def record(self, name, cid, value):
        return {"Name": "%s.%s" % (name, self.args.zone), "Type": "SRV", "SetIdentifier": cid, "Weight": 1,
                "TTL": 0, "ResourceRecords": [{"Value": value}]}

    def on_start(self, cid):
        c = inspect(self.args.docker_sock, cid)
        if not c:
            return
        for name, port in services(c, True):
            rs = self.record(name, cid, "1 1 %s %s" % (port, self.args.host))
            self.retried(lambda: self.r53.change_resource_record_sets(
                HostedZoneId=self.args.zone_id, ChangeBatch={
                    "Comment": "Service Discovery Created Record",
                    "Changes": [{"Action": "CREATE", "ResourceRecordSet": rs}]}))

    def on_die(self, cid):
        c = inspect(self.args.docker_sock, cid)
        if not c:
            return
        for name, _ in services(c, False):
            fqdn = "%s.%s" % (name, self.args.zone)
            listed = self.retried(lambda: self.r53.list_resource_record_sets(
                HostedZoneId=self.args.zone_id, StartRecordName=fqdn, StartRecordType="SRV",
                StartRecordIdentifier=cid, MaxItems="10"))
            value = ""
            for rs in (listed or {}).get("ResourceRecordSets", []):
                if rs.get("SetIdentifier") == cid and rs["Name"].rstrip(".") == fqdn:
                    value = rs["ResourceRecords"][0]["Value"]
                    break
            if not value:
                print("die %s: %s not found by the listing" % (cid[:12], fqdn), file=sys.stderr, flush=True)
                continue
            rs = self.record(name, cid, value)
            self.retried(lambda: self.r53.change_resource_record_sets(
                HostedZoneId=self.args.zone_id, ChangeBatch={
                    "Changes": [{"Action": "DELETE", "ResourceRecordSet": rs}]}))

    def run(self):
        filters = urllib.parse.quote(json.dumps({"type": ["container"], "event": ["start", "die"]}))
        conn = UnixHTTPConnection(self.args.docker_sock)
        conn.request("GET", "/events?filters=" + filters, headers={"Host": "docker"})
        resp = conn.getresponse()
        print("ready", flush=True)
        buf = b""
        while True:
            chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(1)
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if not line.strip():
                    continue
                ev = json.loads(line)
                cid = ev.get("id") or ev.get("Actor", {}).get("ID")
                action = ev.get("Action") or ev.get("status")
                print("%s %s received" % (action, cid[:12]), file=sys.stderr, flush=True)
                self.pool.submit(self.handle, action, cid)

    def handle(self, action, cid):
        try:
            (self.on_start if action == "start" else self.on_die)(cid)
            print("%s %s handled" % (action, cid[:12]), file=sys.stderr, flush=True)
        except Exception as e:  # noqa: BLE001 - one event's failure must not stop the others
            print("%s %s failed: %r" % (action, cid[:12], e), file=sys.stderr, flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--docker-sock", required=True)
    p.add_argument("--zone-id", required=True)
    p.add_argument("--zone", required=True)
    p.add_argument("--host", required=True)
    args = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    Peer(args).run()


if __name__ == "__main__":
    main()
