"""A private moto_server for integration tests.

    with MotoServer() as moto:               # or moto = MotoServer().start() ... moto.stop()
        ecs = moto.client("ecs")             # boto3 client pointed at it
        env = moto.env()                     # environment for ecssd / aws_tool
        subprocess.run([...], env=env)

It listens on 127.0.0.1 on a free port; every client is pointed at it, with
test credentials, region us-east-1 and the instance metadata service disabled,
so nothing leaves the machine. moto serves Route 53, ECS, EC2, EventBridge,
SQS, IAM... on the one port (ENVIRONMENT.md); it does not check Route 53
signatures, so SigV4 is verified elsewhere (AWS test vectors, botocore).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3

from harness.ports import free_port

_REMOVED_VARS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                 "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_CA_BUNDLE")


class MotoServer:
    """One moto_server process on a free loopback port."""

    ACCESS_KEY_ID = "testing"
    SECRET_ACCESS_KEY = "testing"

    def __init__(self, region="us-east-1", host="127.0.0.1", startup_timeout=30.0):
        self.region = region
        self.host = host
        self.startup_timeout = startup_timeout
        self.port = None
        self._proc = None
        self._log = None

    # -- lifecycle --

    def start(self):
        """Starts moto_server and waits until it answers. Returns self.
        Raises RuntimeError with the server's output when it cannot start."""
        base = self.command()
        last_error = ""
        for _ in range(3):  # the free port may be taken between choice and bind
            self.port = free_port(host=self.host, both=False)
            self._log = tempfile.TemporaryFile()
            env = dict(os.environ, AWS_EC2_METADATA_DISABLED="true")
            self._proc = subprocess.Popen(base + ["-H", self.host, "-p", str(self.port)], env=env,
                                          stdout=self._log, stderr=subprocess.STDOUT)
            if self._wait_ready():
                return self
            last_error = self.log_tail()
            self.stop()
        raise RuntimeError(f"moto_server did not start:\n{last_error}")

    def command(self):
        """The moto_server command line, before its -H and -p."""
        command = shutil.which("moto_server")
        return [command] if command else [sys.executable, "-m", "moto.server"]

    def _wait_ready(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1) as r:
                    if r.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def stop(self):
        """Stops the server (terminate, then kill after 10 s)."""
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def reset(self):
        """Forgets every resource (moto's reset API), keeping the process."""
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=10):
            pass

    def log_tail(self, limit=4000):
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-limit:]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- clients --

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    endpoint_url = url

    def client(self, service="route53"):
        """A boto3 client for `service`, pointed at this server."""
        return boto3.client(service, endpoint_url=self.url, region_name=self.region,
                            aws_access_key_id=self.ACCESS_KEY_ID, aws_secret_access_key=self.SECRET_ACCESS_KEY)

    def env(self, base=None, **extra):
        """An environment for a process that should use this server: the
        standard AWS_ENDPOINT_URL override, test credentials, the region, IMDS
        disabled and no other credential source configured. `extra` is added
        last (e.g. HOME=tmpdir)."""
        env = dict(os.environ if base is None else base)
        for name in _REMOVED_VARS:
            env.pop(name, None)
        env.update(AWS_ENDPOINT_URL=self.url, AWS_REGION=self.region, AWS_DEFAULT_REGION=self.region,
                   AWS_ACCESS_KEY_ID=self.ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=self.SECRET_ACCESS_KEY,
                   AWS_EC2_METADATA_DISABLED="true")
        env.update(extra)
        return env
