"""The test case the agent's dockerd tests share: one private dockerd per
class, every container removed after each test, and agent() starting an
embedded-provider agent on it that the test stops on cleanup."""
import unittest
import uuid

from harness.agent import AgentProcess
from harness.dockerd import Dockerd


def uniq(prefix):
    """A name no earlier test used: prefix-<6 hex digits>."""
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


class DockerdAgentCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Dockerd()
        try:
            cls.d.start()
            cls.d.ensure_image()
        except BaseException:
            cls.d.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def tearDown(self):
        self.d.remove_all_containers()

    def agent(self, *extra, env=None):
        a = AgentProcess(["--docker-host", self.d.docker_host, "--host-name", "host1", "--host-ip", "127.0.0.1",
                          *extra], env=env)
        self.addCleanup(a.stop)
        a.start()
        a.wait_ready()
        return a
