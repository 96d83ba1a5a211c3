"""A proxy in front of moto_server that enforces Route 53's account limit the
way Route 53 does: one token bucket for every Route 53 call of the account
(all callers, all actions), RATE tokens a second up to BURST; a call that
finds the bucket empty is answered `Throttling` (HTTP 400, Route 53's
ErrorResponse body, no token taken) and never reaches moto.

It is tests/integration/harness/route53_agent.py's AwsProxy (which names and
counts every call: op, zone, client, start/end time, injected answer) with the
bucket as its fault injection. Loopback only."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "tests", "integration"))
from harness.route53_agent import AwsProxy, route53_error


class TokenBucket:
    def __init__(self, rate, burst):
        self.rate = float(rate)
        self.burst = float(burst)
        self.tokens = float(burst)
        self.last = time.monotonic()
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


class TokenBucketProxy(AwsProxy):
    def __init__(self, upstream, rate, burst):
        super().__init__(upstream)
        self.bucket = TokenBucket(rate, burst)

    def _inject(self, service, op, call=None):
        if service != "route53":
            return None
        if self.bucket.take():
            return None
        return route53_error(400, "Throttling", "Rate exceeded")


def main():
    """As a process of its own (so the bench's poller never holds its GIL):
    token_proxy.py UPSTREAM RATE BURST CALLS_FILE. Prints its URL, then
    appends every call as one JSON line to CALLS_FILE (flushed every 0.2 s)
    until SIGTERM."""
    import json
    import signal

    upstream, rate, burst, path = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    proxy = TokenBucketProxy(upstream, rate, burst).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print(proxy.url, flush=True)
    written = 0
    with open(path, "a") as out:
        while True:
            stopping = done.wait(0.2)
            with proxy.lock:
                new = proxy.calls[written:]
                written = len(proxy.calls)
            for c in new:
                out.write(json.dumps({"service": c["service"], "op": c["op"], "start": c["start"], "end": c["end"],
                                      "status": c["status"], "client": c["client"],
                                      "throttled": bool(c["injected"]), "changes": len(c["changes"])}) + "\n")
            out.flush()
            if stopping:
                break
    proxy.stop()


if __name__ == "__main__":
    main()
