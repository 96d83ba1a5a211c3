"""Private container engines for integration tests: Docker (Dockerd) and
Podman's Docker-compatible API service (PodmanService).

Started exactly as /work/shared/ENVIRONMENT.md says works on these machines:
vfs storage, no iptables, no bridge (containers use --network host and listen
on 127.0.0.1), and explicit ulimits (the sandbox cannot raise them). Each
instance lives in its own temporary folder (socket, data, exec root, log) and
removes it, its processes and its mounts on stop, even after a failure.

    with Dockerd() as d:
        d.ensure_image()                      # busybox rootfs imported as bb:latest
        cid = d.run_container("web", ["httpd", "-f", "-p", "127.0.0.1:18080"],
                              env={"SERVICE_18080_NAME": "web"})
        d.docker("stop", "web")
        d.restart()                           # dockerd goes down and comes back

PodmanService has the same interface (start/stop/restart/cleanup, docker_host,
run_container, inspect, api_get), with its own configuration files (vfs
storage, cgroupfs, runc, a file events log) under its folder, so nothing in
/etc is changed. Podman runs HEALTHCHECKs from systemd timers, which these
machines do not have: its health checks never run here.

Only the local socket is ever used; nothing here sends network traffic.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.parse

BUSYBOX = "/bin/busybox"
IMAGE = "bb:latest"
# Applets linked into the test image (busybox-static provides them all).
APPLETS = ("sh", "sleep", "httpd", "nc", "echo", "true", "false", "test", "touch", "rm", "cat", "ls", "kill")


class DockerdError(RuntimeError):
    pass


def write_busybox_rootfs(tar_path):
    """A minimal image root: busybox-static and links to the applets tests use."""
    if not os.access(BUSYBOX, os.X_OK):
        raise DockerdError("%s not found (install busybox-static: scripts/install-deps.sh)" % BUSYBOX)
    with tarfile.open(tar_path, "w") as tar:
        for d, mode in (("bin", 0o755), ("tmp", 0o1777), ("etc", 0o755), ("proc", 0o555), ("sys", 0o555),
                        ("dev", 0o755)):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = mode
            tar.addfile(info)
        tar.add(BUSYBOX, arcname="bin/busybox")
        for applet in APPLETS:
            info = tarfile.TarInfo("bin/" + applet)
            info.type = tarfile.SYMTYPE
            info.linkname = "busybox"
            tar.addfile(info)
    return tar_path


def run_args(name, command, env=None, labels=None, network="host", health_cmd=None, health_interval="1s",
             restart=None, stop_timeout=1, extra=(), image=IMAGE):
    """The arguments of `run -d` shared by the docker and podman CLIs."""
    args = ["run", "-d", "--name", name, "--stop-timeout", str(stop_timeout)]
    if network:
        args += ["--network", network]
    for k, v in (env or {}).items():
        args += ["-e", "%s=%s" % (k, v)]
    for k, v in (labels or {}).items():
        args += ["--label", "%s=%s" % (k, v)]
    if health_cmd:
        args += ["--health-cmd", health_cmd, "--health-interval", health_interval, "--health-retries", "1"]
    if restart:
        args += ["--restart", restart]
    return args + list(extra) + [image] + list(command)


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self._path)
        self.sock = s


def _docker_cli():
    # The Debian package's client (scripts/install-deps.sh) first; any other on PATH otherwise.
    for candidate in ("/usr/bin/docker", shutil.which("docker")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise DockerdError("no docker client found (install docker.io: scripts/install-deps.sh)")


class _Engine:
    """What every engine shares: a folder, a socket, an independent API client."""

    dir = None
    socket_path = None
    log_path = None

    @property
    def docker_host(self):
        return "unix://" + self.socket_path

    def _wait_ready(self, proc, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise DockerdError("%s exited with %s:\n%s" % (type(self).__name__, proc.returncode, self.log_tail()))
            try:
                status, _, _ = self.api_get("/_ping", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise DockerdError("%s did not answer /_ping within %ss:\n%s" % (type(self).__name__, timeout,
                                                                        self.log_tail()))

    def _unmount_all(self):
        mounts = []
        with open("/proc/self/mounts") as f:
            for line in f:
                target = line.split()[1].replace("\\040", " ")
                if target == self.dir or target.startswith(self.dir + "/"):
                    mounts.append(target)
        for target in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", target], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")
        except OSError:
            return "(no log)"

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

    def api_get(self, path, timeout=10):
        """GET on the engine socket: (status, headers dict, body bytes)."""
        conn = _UnixHTTPConnection(self.socket_path, timeout)
        try:
            conn.request("GET", path, headers={"Host": "docker"})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    def inspect(self, container):
        status, _, body = self.api_get("/containers/%s/json" % urllib.parse.quote(container, safe=""))
        if status != 200:
            raise DockerdError("inspect %s: %s %s" % (container, status, body[:200]))
        return json.loads(body)


class Dockerd(_Engine):
    """dockerd with its own containerd, data and exec roots under a temporary folder."""

    def __init__(self, start_timeout=90.0, extra_args=()):
        dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
        if not os.access(dockerd, os.X_OK):
            raise DockerdError("dockerd not found (install docker.io: scripts/install-deps.sh)")
        if os.geteuid() != 0:
            raise DockerdError("a private dockerd needs root")
        self.dockerd = dockerd
        self.cli = _docker_cli()
        self.start_timeout = start_timeout
        self.extra_args = list(extra_args)
        # Short path: unix socket paths (ours and containerd's under exec/) are limited to 107 bytes.
        self.dir = tempfile.mkdtemp(prefix="ecssd-dockerd-", dir="/tmp")
        self.socket_path = os.path.join(self.dir, "docker.sock")
        self.pidfile = os.path.join(self.dir, "dockerd.pid")
        self.log_path = os.path.join(self.dir, "dockerd.log")
        self.proc = None
        self._log = None

    def args(self):
        return [
            self.dockerd,
            "--host", self.docker_host,
            "--data-root", os.path.join(self.dir, "data"),
            "--exec-root", os.path.join(self.dir, "exec"),
            "--pidfile", self.pidfile,
            "--storage-driver", "vfs",
            "--iptables=false", "--ip6tables=false", "--bridge=none",
            "--default-ulimit", "nofile=1024:1024",
            "--default-ulimit", "nproc=1024:1024",
            "--shutdown-timeout", "5",
        ] + self.extra_args

    def start(self):
        """Starts dockerd and waits until GET /_ping answers."""
        if self.running():
            return
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args(), stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self._wait_ready(self.proc, self.start_timeout)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=30.0):
        """Stops dockerd (SIGTERM, then SIGKILL for its whole process group)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        # containerd and its shims may outlive dockerd after a kill: they share its session.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def restart(self):
        self.stop()
        self.start()

    def cleanup(self):
        """Stops everything and removes the folder (unmounting what containers left)."""
        try:
            self.stop()
        finally:
            self._unmount_all()
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- the docker CLI against this daemon

    def docker(self, *args, check=True, timeout=120, input=None):
        """Runs the docker CLI against this daemon; returns stdout (stripped)."""
        r = subprocess.run([self.cli, "-H", self.docker_host, *args], input=input, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        if check and r.returncode != 0:
            raise DockerdError("docker %s failed (%s): %s" % (" ".join(args), r.returncode,
                                                              r.stderr.decode(errors="replace").strip()))
        return r.stdout.decode(errors="replace").strip()

    # --- images and containers

    def ensure_image(self, name=IMAGE):
        """Imports a busybox rootfs as `name` unless it exists."""
        if self.docker("image", "ls", "-q", name, check=False, timeout=30):
            return name
        tar_path = write_busybox_rootfs(os.path.join(self.dir, "rootfs.tar"))
        with open(tar_path, "rb") as f:
            self.docker("import", "-", name, input=f.read())
        os.unlink(tar_path)
        return name

    def run_container(self, name, command, **kwargs):
        """docker run -d (see run_args for the options); returns the container id."""
        return self.docker(*run_args(name, command, **kwargs))

    def remove_all_containers(self):
        ids = self.docker("ps", "-aq").split()
        if ids:
            self.docker("rm", "-f", *ids, check=False)


class PodmanService(_Engine):
    """`podman system service` serving the Docker-compatible API on a private socket.

    The podman CLI (podman()) works on the same storage whether the service runs
    or not, so containers can change while the API is down."""

    def __init__(self, start_timeout=60.0):
        podman = shutil.which("podman")
        if not podman:
            raise DockerdError("podman not found (install it: scripts/install-deps.sh)")
        if os.geteuid() != 0:
            raise DockerdError("a private podman service needs root here")
        self.podman_bin = podman
        self.start_timeout = start_timeout
        self.dir = tempfile.mkdtemp(prefix="ecssd-podman-", dir="/tmp")
        self.socket_path = os.path.join(self.dir, "podman.sock")
        self.log_path = os.path.join(self.dir, "service.log")
        self.tmp = os.path.join(self.dir, "tmp")
        os.makedirs(self.tmp)
        conf = os.path.join(self.dir, "containers.conf")
        with open(conf, "w") as f:
            f.write("[containers]\n"
                    'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n'
                    "[engine]\n"
                    'cgroup_manager = "cgroupfs"\n'
                    'runtime = "runc"\n'
                    'events_logger = "file"\n'
                    'events_logfile_path = "%s"\n' % os.path.join(self.dir, "events.log"))
        storage = os.path.join(self.dir, "storage.conf")
        with open(storage, "w") as f:
            f.write('[storage]\ndriver = "vfs"\nrunroot = "%s"\ngraphroot = "%s"\n' %
                    (os.path.join(self.dir, "run"), os.path.join(self.dir, "root")))
        self.env = dict(os.environ, CONTAINERS_CONF=conf, CONTAINERS_STORAGE_CONF=storage)
        self.proc = None
        self._log = None

    def start(self):
        if self.running():
            return
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.podman_bin, "--tmpdir", self.tmp, "system", "service", "--time=0", self.docker_host],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env, cwd=self.dir,
            start_new_session=True)
        self._wait_ready(self.proc, self.start_timeout)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=5.0):
        """Stops the API service (containers keep running, as with a real restart of the service)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def restart(self):
        self.stop()
        self.start()

    def cleanup(self):
        try:
            self.remove_all_containers()
        finally:
            try:
                self.stop()
            finally:
                self._unmount_all()
                shutil.rmtree(self.dir, ignore_errors=True)

    def podman(self, *args, check=True, timeout=120):
        r = subprocess.run([self.podman_bin, "--tmpdir", self.tmp, *args], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, env=self.env, cwd=self.dir)
        if check and r.returncode != 0:
            raise DockerdError("podman %s failed (%s): %s" % (" ".join(args), r.returncode,
                                                              r.stderr.decode(errors="replace").strip()))
        return r.stdout.decode(errors="replace").strip()

    # The same calls as Dockerd, so tests can run on either engine.
    docker = podman

    def ensure_image(self, name=IMAGE):
        if subprocess.run([self.podman_bin, "--tmpdir", self.tmp, "image", "exists", name], env=self.env,
                          cwd=self.dir).returncode == 0:
            return name
        tar_path = write_busybox_rootfs(os.path.join(self.dir, "rootfs.tar"))
        self.podman("import", tar_path, name)
        os.unlink(tar_path)
        return name

    def run_container(self, name, command, **kwargs):
        """podman run -d (see run_args); returns the container id."""
        return self.podman(*run_args(name, command, **kwargs))

    def remove_all_containers(self):
        self.podman("rm", "-a", "-f", "-t", "0", check=False, timeout=60)
