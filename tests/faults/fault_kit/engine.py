"""The container side of a fault scenario: containers declared with
SERVICE_<port>_NAME, a burst of starts and stops run from a thread, what
the engine says runs (read with the docker CLI, never through ecssd), and
the socket directory that can vanish.

Containers use the host network; a container that must answer (the
reaper's targets) serves HTTP on 127.0.0.1:<its port>."""
import json
import os
import re
import subprocess
import threading
import time
import uuid

from harness.dockerd import DockerdError
from harness.ports import free_port

_SERVICE = re.compile(r"^SERVICE_(\d+)_NAME=(.+)$")


class Declared:
    """A running container and the services it declares: [(port, service)]."""

    def __init__(self, cid, name, services):
        self.cid, self.name, self.services = cid, name, services

    def __repr__(self):
        return f"Declared({self.name}, {self.cid[:12]}, {self.services})"


class Containers:
    def __init__(self, dockerd, listen=False):
        self.dockerd = dockerd
        self.listen = listen
        self.names = []
        self._stops = 0

    def start(self, service, restart=None):
        """docker run -d: a container declaring `service` on a port of its own; returns its name."""
        port = free_port(both=False)
        name = f"{service}-{uuid.uuid4().hex[:6]}"
        command = ["httpd", "-f", "-p", f"127.0.0.1:{port}"] if self.listen else ["sleep", "3600"]
        self.dockerd.run_container(name, command, env={f"SERVICE_{port}_NAME": service}, restart=restart)
        self.names.append(name)
        return name

    def stop(self, name):
        """The container goes: removed (rm -f), or only stopped (kill) for every other one."""
        self._stops += 1
        if self._stops % 2:
            self.dockerd.docker("rm", "-f", name)
        else:
            self.dockerd.docker("kill", name)

    def running(self):
        """Every running container that declares a service, as the engine reports it."""
        ids = self.dockerd.docker("ps", "-q", "--no-trunc").split()
        if not ids:
            return []
        out = []
        for c in json.loads(self.dockerd.docker("inspect", *ids)):
            if not c["State"]["Running"]:
                continue
            services = sorted((int(m.group(1)), m.group(2)) for m in map(_SERVICE.match, c["Config"]["Env"] or [])
                              if m)
            if services:
                out.append(Declared(c["Id"], c["Name"].lstrip("/"), services))
        return out


class Burst:
    """Runs operations (callables) one after another from a thread, PACE apart.
    An operation the engine cannot take (dockerd down) is retried until it can,
    for up to `patience` seconds. at(k) is an Event set once k operations are done."""

    def __init__(self, ops, pace, patience=180):
        self.ops = list(ops)
        self.pace = pace
        self.patience = patience
        self.done = 0
        self.errors = []
        self.ended = None
        self._events = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def at(self, k):
        with self._lock:
            e = self._events.setdefault(k, threading.Event())
            if self.done >= k:
                e.set()
            return e

    def start(self):
        self.started = time.time()
        self._thread.start()
        return self

    def _run(self):
        for op in self.ops:
            deadline = time.monotonic() + self.patience
            while True:
                try:
                    op()
                    break
                except (DockerdError, subprocess.TimeoutExpired) as e:
                    if time.monotonic() > deadline:
                        self.errors.append(str(e))
                        break
                    time.sleep(0.5)
            with self._lock:
                self.done += 1
                for k, e in self._events.items():
                    if self.done >= k:
                        e.set()
            time.sleep(self.pace)
        self.ended = time.time()

    def join(self, timeout=600):
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError("the burst did not finish")
        return self.ended


def plan_burst(containers, doomed, starts, services=("web", "api", "jobs")):
    """The operations of a burst: `starts` new containers (every third stopped again a few
    operations later) with the `doomed` ones stopped among them."""
    ops, later = [], []
    doomed = list(doomed)
    for i in range(starts):
        started = []

        def start(svc=services[i % len(services)], started=started):
            started.append(containers.start(svc))
        ops.append(start)
        if i % 3 == 2:
            later.append((len(ops) + 2, lambda started=started: containers.stop(started[0])))
        if doomed and i % 2 == 1:
            ops.append(lambda name=doomed.pop(): containers.stop(name))
    for name in doomed:
        ops.append(lambda name=name: containers.stop(name))
    for at, op in reversed(later):
        ops.insert(min(at, len(ops)), op)
    return ops


def with_socket_folder(dockerd):
    """Puts a Dockerd's socket (before it starts) in a folder of its own, <dir>/sock."""
    os.makedirs(os.path.join(dockerd.dir, "sock"), exist_ok=True)
    dockerd.socket_path = os.path.join(dockerd.dir, "sock", "docker.sock")
    return dockerd


class SocketMount:
    """The engine's socket seen through a directory that is a bind mount of the
    folder dockerd put it in (with_socket_folder): unmounting it (lazily, as a
    vanished /run would) makes every new connect fail with ENOENT while dockerd,
    its containers and the connections already open carry on; mounting it again
    brings the same socket back. The agent watches `docker_host`; the test's own
    docker CLI keeps using dockerd's own path."""

    def __init__(self, dockerd):
        self.real = os.path.dirname(dockerd.socket_path)
        self.dir = os.path.join(dockerd.dir, "seen")
        os.makedirs(self.dir, exist_ok=True)
        self.path = os.path.join(self.dir, os.path.basename(dockerd.socket_path))
        self.mounted = False

    @property
    def docker_host(self):
        return "unix://" + self.path

    def mount(self):
        subprocess.run(["mount", "--bind", self.real, self.dir], check=True)
        self.mounted = True

    def unmount(self):
        subprocess.run(["umount", "-l", self.dir], check=True)
        self.mounted = False

    def cleanup(self):
        if self.mounted:
            self.unmount()
