"""Fault: the agent's clock jumps 20 minutes ahead mid-burst (far beyond
TSIG's 300 s fudge: BIND answers BADTIME, and the agent cannot verify the
answers either), stays so for HOLD seconds (2 minutes; 8 s in the quick
form), then is right again. The agent runs under libfaketime reading its
offset from a file, so the clock moves under the running process, as an NTP
step would; its monotonic clock (timers, backoff) is left alone."""
import os
import tempfile
import unittest

import fault_kit  # noqa: F401 (puts the integration harness on sys.path)
from fault_kit import config
from fault_kit.scenario import Scenario
from fault_kit.sides import Rfc2136Side
from fault_kit.world import World

W = World()
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def setUpModule():
    W.start()


def tearDownModule():
    W.stop()


class TsigClockSkewTest(unittest.TestCase):
    def test_agent_clock_20_minutes_ahead_then_fixed(self):
        if not os.path.exists(LIBFAKETIME):
            self.skipTest("libfaketime is not installed (scripts/install-deps.sh)")
        tmp = tempfile.TemporaryDirectory(prefix="ecssd-faketime-")
        self.addCleanup(tmp.cleanup)
        offset = os.path.join(tmp.name, "offset")

        def set_offset(value):
            with open(offset + ".new", "w") as f:
                f.write(value + "\n")
            os.replace(offset + ".new", offset)
        set_offset("+0")
        env = {"LD_PRELOAD": LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": offset, "FAKETIME_NO_CACHE": "1",
               "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
        s = Scenario(self, Rfc2136Side(), W.dockerd, "TSIG clock skew (agent +20 min)", agent_env=env)
        s.run(inject=lambda: set_offset("+20m"), heal=lambda: set_offset("+0"), hold=config.HOLD)
        s.check()
        skew = [e for e in s.agent.events() if "BADTIME" in e.get("error", "") or "clock" in e.get("error", "")]
        self.assertTrue(skew, "the agent reported the skew:\n" + s.agent.log_tail())


if __name__ == "__main__":
    unittest.main()
