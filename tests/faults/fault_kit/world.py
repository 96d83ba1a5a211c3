"""The servers one test module of the fault suite shares: a private dockerd
and, when asked, a moto_server with the Route 53 fixes of
harness/moto_route53_fix.py (each test makes its own zone in it)."""
from harness.dockerd import Dockerd
from harness.moto_route53_fix import FixedMotoServer


class World:
    def __init__(self):
        self.dockerd = None
        self.moto = None

    def start(self, moto=False, dockerd=None):
        """dockerd: a Dockerd not started yet, for a module that needs its own options."""
        self.dockerd = dockerd or Dockerd()
        try:
            self.dockerd.start()
            self.dockerd.ensure_image()
            if moto:
                self.moto = FixedMotoServer().start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        if self.moto:
            self.moto.stop()
        if self.dockerd:
            self.dockerd.cleanup()
