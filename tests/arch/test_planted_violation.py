#!/usr/bin/env python3
"""The include check rejects an arrow the design does not allow.

Copies src/ to a temporary folder, plants an upward include (the model room
including the agent's header) and a sideways one (one provider including
another's internals), and expects check_includes.py to fail naming both;
the untouched copy must pass, so the failure is the planted lines' doing.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class PlantedViolation(unittest.TestCase):
    rooms = None
    src = None

    def run_check(self, src):
        return subprocess.run([sys.executable, os.path.join(HERE, "check_includes.py"), "--rooms", self.rooms,
                               "--src", src], capture_output=True, text=True)

    def test_untouched_copy_passes_and_planted_includes_fail(self):
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "src")
            shutil.copytree(self.src, copy)
            clean = self.run_check(copy)
            self.assertEqual(clean.returncode, 0, clean.stdout + clean.stderr)

            with open(os.path.join(copy, "model", "record.cc"), "a") as f:
                f.write('\n#include "agent/agent.h"  // planted: model may not use agent\n')
            with open(os.path.join(copy, "provider", "route53", "route53_provider.cc"), "a") as f:
                f.write('\n#include "registry/registry.h"  // planted: a provider may not use the registry\n')
            planted = self.run_check(copy)
            self.assertEqual(planted.returncode, 1, planted.stdout)
            self.assertIn("model/record.cc", planted.stdout)
            self.assertIn("room 'model' includes \"agent/agent.h\" of room 'agent'", planted.stdout)
            self.assertIn("room 'provider_route53' includes \"registry/registry.h\" of room 'registry'",
                          planted.stdout)
            self.assertIn("2 include(s) break the rooms' arrows", planted.stdout)

    def test_a_file_outside_every_room_is_reported(self):
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "src")
            shutil.copytree(self.src, copy)
            os.makedirs(os.path.join(copy, "stray"))
            with open(os.path.join(copy, "stray", "x.cc"), "w") as f:
                f.write('#include "common/log.h"\n')
            out = self.run_check(copy)
            self.assertEqual(out.returncode, 1)
            self.assertIn("stray/x.cc: belongs to no room", out.stdout)


if __name__ == "__main__":
    PlantedViolation.rooms = sys.argv.pop(1)
    PlantedViolation.src = sys.argv.pop(1)
    unittest.main()
