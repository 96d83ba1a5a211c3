"""The embedded responder under test (tests/tools/ecssd_zone_server) and
independent DNS clients (dig, kdig, raw sockets) to check it with."""
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import tempfile
import time

import yaml


def zone_server_binary():
    """Path of ecssd_zone_server: $ECSSD_ZONE_SERVER, else next to $ECSSD_BIN."""
    path = os.environ.get("ECSSD_ZONE_SERVER")
    if not path:
        bin_dir = os.path.dirname(os.environ.get("ECSSD_BIN", "build/ecssd"))
        path = os.path.join(bin_dir, "tests", "tools", "ecssd_zone_server")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"ecssd_zone_server not found at {path}: build the tests first")
    return path


class ZoneServer:
    """Runs ecssd_zone_server on a free loopback port with the given records
    (dicts: name, type, ttl, values, set_identifier, weight)."""

    def __init__(self, zone, records, threads=1, listen="127.0.0.1:0", netns=None, extra_args=()):
        self.zone = zone
        self.records = records
        self.threads = threads
        self.listen = listen
        self.netns = netns
        self.extra_args = list(extra_args)
        self.proc = None
        self.address = None
        self.port = None
        self.stats = None
        self._dir = tempfile.TemporaryDirectory(prefix="ecssd-dns-")
        self.records_path = os.path.join(self._dir.name, "records.json")

    def _write(self, records):
        with open(self.records_path, "w") as f:
            json.dump(records, f)

    def start(self):
        self._write(self.records)
        cmd = [zone_server_binary(), "--zone", self.zone, "--records", self.records_path,
               "--listen", self.listen, "--threads", str(self.threads)] + self.extra_args
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 15)
        line = self.proc.stdout.readline() if ready else ""
        m = re.match(r"listening (\S+):(\d+)$", line.strip())
        if not m:
            self.proc.kill()
            _, err = self.proc.communicate()
            self._dir.cleanup()
            raise RuntimeError(f"zone server did not start: {line!r} {err}")
        self.address, self.port = m.group(1).strip("[]"), int(m.group(2))
        return self

    def reload(self, records):
        """Replaces the records (SIGHUP) and waits until the new serial is served."""
        before = self.serial()
        self.records = records
        self._write(records)
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.serial() != before:
                return
            time.sleep(0.05)
        raise AssertionError("the reloaded zone was not served within 10 s")

    def serial(self):
        local = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.address, self.address)
        msg = dig(local, self.port, self.zone, "SOA", netns=self.netns)
        return int(msg["ANSWER_SECTION"][0].split()[6])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                _, err = self.proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                _, err = self.proc.communicate()
            m = re.search(r"udp_queries=.*", err or "")
            if m:
                self.stats = dict(kv.split("=") for kv in m.group(0).split())
        self._dir.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _run(cmd, netns=None, timeout=20):
    if netns:
        cmd = ["ip", "netns", "exec", netns] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return out.stdout, out.stderr


def dig_messages(server, port, name, qtype="A", *options, netns=None):
    """Every message dig printed (+yaml), each as its message dict plus
    'socket_protocol'."""
    out, err = _run(["dig", "+yaml", "+time=2", "+tries=1", f"@{server}", "-p", str(port), name, qtype,
                     *options], netns=netns)
    # dig adds comment lines such as "; Transfer failed." that are not YAML.
    docs = yaml.safe_load("\n".join(l for l in out.splitlines() if not l.startswith(";"))) or []
    messages = []
    for doc in docs:
        if doc.get("type") != "MESSAGE":
            raise AssertionError(f"dig failed: {doc} {err}")
        data = dict(doc["message"]["response_message_data"])
        data["socket_protocol"] = doc["message"].get("socket_protocol")
        messages.append(data)
    if not messages:
        raise AssertionError(f"dig printed no message: {out} {err}")
    return messages


def dig(server, port, name, qtype="A", *options, netns=None):
    """The last message dig received for the query (after any TCP retry)."""
    return dig_messages(server, port, name, qtype, *options, netns=netns)[-1]


class Kdig:
    """kdig's answer, parsed from its text output."""

    def __init__(self, text):
        self.text = text
        m = re.search(r"->>HEADER<<- opcode: (\w+); status: (\w+); id: (\d+)", text)
        if not m:
            raise AssertionError(f"kdig printed no header: {text}")
        self.opcode, self.status, self.id = m.group(1), m.group(2), int(m.group(3))
        flags = re.search(r";; Flags: ([^;]*);", text)
        self.flags = flags.group(1).split() if flags else []
        edns = re.search(r";; Version: (\d+); flags: ([^;]*); UDP size: (\d+) B", text)
        self.edns = {"version": int(edns.group(1)), "udp": int(edns.group(3))} if edns else None
        self.sections = {}
        current = None
        for line in text.splitlines():
            sec = re.match(r";; (\w+) SECTION:", line)
            if sec:
                current = sec.group(1)
                self.sections[current] = []
            elif current and line and not line.startswith(";"):
                self.sections[current].append(" ".join(line.split()))
            elif not line.strip():
                current = None
        proto = re.search(r";; From \S+\((\w+)\)", text)
        self.protocol = proto.group(1) if proto else None


def kdig(server, port, name, qtype="A", *options, netns=None):
    out, err = _run(["kdig", "+timeout=2", "+retry=0", f"@{server}", "-p", str(port), name, qtype, *options],
                    netns=netns)
    return Kdig(out + err)


def kdig_transfer(server, port, zone, *options):
    """Records of a kdig AXFR, as normalized text lines."""
    out, err = _run(["kdig", "+timeout=2", f"@{server}", "-p", str(port), zone, "AXFR", *options])
    return [" ".join(l.split()) for l in out.splitlines() if l and not l.startswith(";")], out + err


def query_bytes(name, qtype=1, qid=0x4242, flags=0x0100, qdcount=1, arcount=0):
    """A DNS query built by hand (for malformed variants)."""
    header = struct.pack("!HHHHHH", qid, flags, qdcount, 0, 0, arcount)
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\x00"
    return header + qname + struct.pack("!HH", qtype, 1)


def raw_udp(server, port, payload, timeout=2.0):
    """Sends one datagram, returns the reply bytes or None."""
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(payload, (server, port))
        try:
            return s.recv(65535)
        except socket.timeout:
            return None


def rcode_of(reply):
    return reply[3] & 0x0F
