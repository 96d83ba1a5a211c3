"""Fault: the file system holding the Docker socket goes away and comes back.
The agent reaches dockerd through a directory that is a bind mount of the
folder dockerd made its socket in (as /run, or a host folder mounted into
the agent's container, would be); the test unmounts it lazily for the
fault, so every new connect fails with "No such file or directory" while
dockerd, its containers and connections already open carry on, then mounts
it again: the same socket is back, dockerd never restarted. Containers come
and go meanwhile (the test's docker CLI uses dockerd's own path)."""
import unittest

import fault_kit  # noqa: F401 (puts the integration harness on sys.path)
from fault_kit import config
from fault_kit.engine import SocketMount, with_socket_folder
from fault_kit.scenario import Scenario
from fault_kit.sides import EmbeddedSide, Rfc2136Side, Route53Side
from fault_kit.world import World
from harness.dockerd import Dockerd

W = World()
FAULT = "Docker socket's file system gone and back"
MOUNT = None


def setUpModule():
    global MOUNT
    W.start(moto=True, dockerd=with_socket_folder(Dockerd()))
    MOUNT = SocketMount(W.dockerd)
    MOUNT.mount()


def tearDownModule():
    if MOUNT:
        MOUNT.cleanup()
    W.stop()


class SocketGone:
    def test_socket_gone_mid_burst_then_back(self):
        s = Scenario(self, self.side(), W.dockerd, FAULT, docker_host=MOUNT.docker_host)
        self.addCleanup(lambda: MOUNT.mounted or MOUNT.mount())
        s.run(inject=MOUNT.unmount, heal=MOUNT.mount, hold=config.SOCKET_GONE)
        s.check()
        self.assertTrue(s.logged("No such file"), "the agent met the missing socket:\n" + s.agent.log_tail())


class Route53SocketGoneTest(SocketGone, unittest.TestCase):
    def side(self):
        return Route53Side(W.moto)


class Rfc2136SocketGoneTest(SocketGone, unittest.TestCase):
    def side(self):
        return Rfc2136Side()


class EmbeddedSocketGoneTest(SocketGone, unittest.TestCase):
    def side(self):
        return EmbeddedSide()


if __name__ == "__main__":
    unittest.main()
