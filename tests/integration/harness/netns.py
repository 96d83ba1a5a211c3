"""A network namespace the test makes, for a process that must be cut off
from the machine's loopback (the reaper partitioned from its targets) while
still reaching one or two servers of the test.

    with Netns() as ns:
        port = ns.bridge(moto_proxy.port)     # 127.0.0.1:port inside ns reaches 127.0.0.1:moto outside
        ns.drop_all_but(port)                 # every other TCP connect inside ns is silently dropped
        subprocess.run(ns.wrap(["ecssd", "reap", ...]))

Inside the namespace 127.0.0.1 is the namespace's own loopback: nothing of
the machine's listens there. A bridge carries connections out over a unix
socket (a path in /tmp, which namespaces of the network do not separate):
a forwarder inside listens on 127.0.0.1, one outside connects to the
server. The firewall rule lives in the namespace only; the machine's
network is never touched. Deleted (with its processes) on stop.
"""
import inspect
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import uuid

def _pipe(a, b):
    """Copies a to b until either side closes, then shuts both down."""
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


# The forwarder runs as its own python inside the namespace (it must listen
# there); it is given _pipe's own source rather than a copy of it.
_FORWARDER = "import socket, sys, threading\n" + inspect.getsource(_pipe) + r'''
listen_port, path = int(sys.argv[1]), sys.argv[2]
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port))
server.listen(64)
print("ready", flush=True)
def serve(client):
    out = socket.socket(socket.AF_UNIX)
    try:
        out.connect(path)
    except OSError:
        client.close()
        return
    threading.Thread(target=_pipe, args=(client, out), daemon=True).start()
    _pipe(out, client)
while True:
    c, _ = server.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
'''


class _UnixToTcp:
    """Outside the namespace: a unix socket whose connections go on to 127.0.0.1:port."""

    def __init__(self, path, port):
        self.port = port
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(path)
        self.sock.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        try:
            out = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        except OSError:
            client.close()
            return
        out.settimeout(None)
        threading.Thread(target=_pipe, args=(client, out), daemon=True).start()
        _pipe(out, client)

    def close(self):
        self.sock.close()


class Netns:
    def __init__(self, prefix="ecssd-f"):
        if not shutil.which("ip"):
            raise RuntimeError("ip (iproute2) not found")
        self.name = f"{prefix}-{uuid.uuid4().hex[:6]}"
        self.dir = tempfile.mkdtemp(prefix="ecssd-netns-", dir="/tmp")
        self._bridges = []
        self._procs = []
        self._next_port = 20000

    def start(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(self.wrap(["ip", "link", "set", "lo", "up"]), check=True)
        return self

    def wrap(self, argv):
        """argv run inside the namespace."""
        return ["ip", "netns", "exec", self.name] + list(argv)

    def bridge(self, port):
        """A port on the namespace's 127.0.0.1 that reaches 127.0.0.1:port outside it."""
        path = os.path.join(self.dir, f"b{len(self._bridges)}.sock")
        self._bridges.append(_UnixToTcp(path, port))
        inside = self._next_port
        self._next_port += 1
        proc = subprocess.Popen(self.wrap([sys.executable, "-c", _FORWARDER, str(inside), path]),
                                stdout=subprocess.PIPE, text=True, start_new_session=True)
        self._procs.append(proc)
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the namespace's forwarder did not start")
        return inside

    def drop_all_but(self, *ports):
        """Every TCP connection inside the namespace is dropped silently, but to these ports of its
        loopback: a connect to anything else times out, as across a partition."""
        rules = [["-A", "OUTPUT", "-o", "lo", "-p", "tcp", "--dport", str(p), "-j", "ACCEPT"] for p in ports]
        rules += [["-A", "OUTPUT", "-o", "lo", "-p", "tcp", "--sport", str(p), "-j", "ACCEPT"] for p in ports]
        rules.append(["-A", "OUTPUT", "-p", "tcp", "-j", "DROP"])
        for rule in rules:
            subprocess.run(self.wrap(["iptables", "-w"] + rule), check=True)

    def stop(self):
        for proc in self._procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            proc.stdout.close()
        for b in self._bridges:
            b.close()
        subprocess.run(["ip", "netns", "delete", self.name], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

