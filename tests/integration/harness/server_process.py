"""What the BIND and PowerDNS harnesses share: a DNS server process run from a
folder of its own (self._dir, a TemporaryDirectory; self.dir its path) that
serves self.zone on 127.0.0.1:self.port, stopped and started again on the
same folder (halt, resume) so a test can take it away and bring it back."""
import os
import signal
import subprocess
import time


class ServerProcess:
    log_name = "server.log"  # in self.dir
    proc = None

    @property
    def dir(self):
        return self._dir.name

    def _launch(self, argv, what, env=None):
        """Starts argv and returns self once dig gets the zone's SOA (20 s at most)."""
        self._log = open(os.path.join(self.dir, self.log_name), "a")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.close()
                raise RuntimeError(f"{what} exited: {self.log_text()[-3000:]}")
            out = subprocess.run(["dig", "+time=1", "+tries=1", "@127.0.0.1", "-p", str(self.port), self.zone, "SOA"],
                                 capture_output=True, text=True)
            if "status: NOERROR" in out.stdout:
                return self
            time.sleep(0.1)
        self.halt()
        raise RuntimeError(f"{what} did not serve the zone within 20 s: {self.log_text()[-2000:]}")

    def halt(self):
        """Stops the server, keeping its folder (zone, journal, ports) for resume()."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_log", None) and not self._log.closed:
            self._log.close()

    def stop(self):
        self.halt()
        self._dir.cleanup()

    def log_text(self):
        try:
            with open(os.path.join(self.dir, self.log_name)) as f:
                return f.read()
        except OSError:
            return ""

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self._dir.cleanup()
            raise

    def __exit__(self, *exc):
        self.stop()
