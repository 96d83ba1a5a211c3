"""The fault suite's kit (tests/faults): configuration, the engine side
(containers, bursts), the provider sides, the zone's expected and observed
state, and the scenario that makes one row of docs/RELIABILITY.md's table.
Importing it puts tests/integration on sys.path for its harness."""
import os
import sys

_INTEGRATION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "integration")
if _INTEGRATION not in sys.path:
    sys.path.insert(0, os.path.normpath(_INTEGRATION))
