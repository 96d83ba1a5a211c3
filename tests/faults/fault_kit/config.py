"""How big and how long the fault suite runs, and where its measurements go.

ECSSD_FAULTS_QUICK=1 is the form CI runs (scripts/test.sh): 15 s outages
and a handful of containers. Without it (scripts/faults.sh) outages last the
2 minutes of the fault table and the bursts are larger.
ECSSD_FAULTS_RESULTS names a file each scenario appends its row to (JSON
lines); scripts/faults.sh renders them into docs/RELIABILITY.md."""
import json
import os
import threading

QUICK = os.environ.get("ECSSD_FAULTS_QUICK", "") not in ("", "0")

OUTAGE = float(os.environ.get("ECSSD_FAULTS_OUTAGE", 15 if QUICK else 120))  # seconds a provider is unreachable
HOLD = 8 if QUICK else 120         # seconds the other lasting faults last (partial reads, skew, partition)
SOCKET_GONE = 6 if QUICK else 30   # seconds the Docker socket's folder is gone
STABLE = 2 if QUICK else 6        # containers running from before the burst to its end
DOOMED = 1 if QUICK else 3        # running before the burst, stopped in it
STARTS = 4 if QUICK else 12       # started in the burst; every third of them stopped again in it
PACE = 0.15                       # seconds between two operations of a burst
CONVERGE_TIMEOUT = 120 if QUICK else 240

_lock = threading.Lock()


def record(row):
    """Appends one measured row (a dict) to $ECSSD_FAULTS_RESULTS, when set."""
    path = os.environ.get("ECSSD_FAULTS_RESULTS")
    row = dict(row, quick=QUICK)
    print("fault row: " + json.dumps(row, sort_keys=True), flush=True)
    if not path:
        return
    with _lock, open(path, "a") as f:
        f.write(json.dumps(row, sort_keys=True) + "\n")
