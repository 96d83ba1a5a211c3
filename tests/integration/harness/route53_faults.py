"""What a bad day on the Route 53 API looks like, for tests/faults: the
counting proxy of route53_agent.py (AwsProxy) extended, not copied.

    proxy = FaultProxy(moto.url).start()
    proxy.throttle_share, proxy.error_share = 0.30, 0.05
    proxy.outage = "silent"              # every call held unanswered, then the connection closes
    proxy.prior_request_window = 1.5     # PriorRequestNotComplete while a change is "PENDING"
    proxy.list_fault = {"page": 2, "mode": "cut"}

Only calls from ecssd (its User-Agent) meet these faults; boto3 reading the
zone for a test goes to moto directly. Everything stays on 127.0.0.1.
"""
import re
import threading
import time
import urllib.parse

from harness.route53_agent import DROP, AwsProxy, route53_error


def _spread(i, share):
    """True for call i when the running share crosses half an integer: evenly spread, repeatable,
    the first of them half a period in (5%: the 10th, 30th, 50th... call)."""
    return share > 0 and int((i + 1) * share + 0.5) > int(i * share + 0.5)


class FaultProxy(AwsProxy):
    """AwsProxy (throttle_share, deny_ops, outage=True for 503s) plus:

      error_share           share of the calls throttle_share lets through answered 500
                            InternalFailure. The 1st, 3rd, 5th... of them, when a change, is
                            forwarded first (moto applies it) and only its answer replaced: the
                            client cannot know whether its change went through.
      outage = "silent"     no answer: each call is held until the outage ends and its connection is
                            then closed (packets lost; the client's own timeout decides)
      prior_request_window  for this many seconds after each change moto applied, every change is
                            answered PriorRequestNotComplete (400), as Route 53 does while the last
                            change of the zone is PENDING
      list_fault            {"page": N, "mode": "error" | "cut"}: page N (1-based) of each
                            ListResourceRecordSets is answered 500 InternalError, or its body is cut
                            half-way with the connection closed (the Content-Length promised more)

    Each call of `calls` also says, for a listing page moto answered: "page" (its number) and
    "truncated" (IsTruncated: more pages follow); "applied_then_failed" for the forwarded 500s.
    """

    def __init__(self, upstream, throttle_share=0.0):
        super().__init__(upstream, throttle_share)
        self.error_share = 0.0
        self.prior_request_window = 0.0
        self.list_fault = None
        self._passed = 0          # calls throttle_share let through (error_share counts these)
        self._errors = 0          # 500s given so far
        self._error_phase = 0     # set_error_rates
        self._pending_until = 0.0
        self._pages = {}          # client -> page number of its listing in progress
        self._healed = threading.Condition()

    def set_error_rates(self, throttle_share, error_share, error_phase=0):
        """Throttling and 500s from now on, each spread evenly over the calls that follow.
        error_phase moves the 500s that many calls earlier (at 5%, 8: the 2nd, 22nd, 42nd... call
        let through), for a scenario whose paced client makes few calls."""
        with self.lock:
            self._route53_calls = self._passed = self._errors = 0
            self.throttle_share, self.error_share = throttle_share, error_share
            self._error_phase = error_phase

    def set_outage(self, mode):
        """False, True (503s) or "silent"; ending a silent outage releases the held calls."""
        with self._healed:
            self.outage = mode
            self._healed.notify_all()

    def _hold(self):
        with self._healed:
            while self.outage == "silent":
                self._healed.wait(0.5)
        return DROP

    def _page_of(self, call):
        """The page number of a listing request; a retried page keeps its number."""
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(call["path"]).query)
        start = tuple(query.get(k, [""])[0] for k in ("name", "type", "identifier"))
        with self.lock:
            if not start[0]:
                self._pages[call["client"]] = {start: 1}
            pages = self._pages.setdefault(call["client"], {})
            return pages.setdefault(start, max(pages.values(), default=0) + 1)

    def _inject(self, service, op, call=None):
        if service != "route53" or call is None or call["client"] != "ecssd":
            return super()._inject(service, op, call)
        if self.outage == "silent":
            return self._hold()
        if op == "ListResourceRecordSets":
            call["page"] = self._page_of(call)
        answer = super()._inject(service, op, call)
        if answer is not None:
            return answer
        if op == "ChangeResourceRecordSets" and time.time() < self._pending_until:
            return route53_error(400, "PriorRequestNotComplete",
                                 "The request was rejected because Route 53 was still processing a prior request.")
        fault = self.list_fault
        if fault and op == "ListResourceRecordSets" and call["page"] == fault["page"] and fault["mode"] == "error":
            return route53_error(500, "InternalError", "listing page failed (injected by the test)")
        with self.lock:
            i = self._passed
            self._passed += 1
            fail = _spread(i + self._error_phase, self.error_share)
            if fail:
                self._errors += 1
        if not fail:
            return None
        if op == "ChangeResourceRecordSets" and self._errors % 2 == 1:
            call["fail_after_forward"] = True
            return None
        return route53_error(500, "InternalFailure", "An internal error occurred (injected by the test)")

    def _after_forward(self, call, answer):
        status = answer[0]
        if call["op"] == "ChangeResourceRecordSets" and 200 <= status < 300 and self.prior_request_window > 0:
            self._pending_until = time.time() + self.prior_request_window
        if call.get("fail_after_forward"):
            call["applied_then_failed"] = status < 300
            call["injected"] = "InternalFailure (500), after moto applied the change"
            return route53_error(500, "InternalFailure", "An internal error occurred (injected after applying)")
        if call["op"] == "ListResourceRecordSets" and status == 200:
            call["truncated"] = bool(re.search(rb"<IsTruncated>\s*true\s*</IsTruncated>", answer[1]))
            fault = self.list_fault
            if fault and fault["mode"] == "cut" and call.get("page") == fault["page"] and call["client"] == "ecssd":
                call["injected"] = "listing cut"
                return answer[0], answer[1], answer[2], len(answer[1]) // 2
        return answer

    # -- what was seen

    def changes_after_partial_listings(self):
        """ChangeResourceRecordSets calls of ecssd sent after a listing page failed or was cut and
        before a listing came back whole (every page of it answered, retries included): changes
        planned on a partial read."""
        bad, partial, whole = [], False, set()
        for c in sorted(self.snapshot(), key=lambda c: c["start"]):
            if c["client"] != "ecssd":
                continue
            if c["op"] == "ListResourceRecordSets":
                page = c.get("page", 1)
                if c["injected"] or c["status"] != 200:
                    partial = True
                    continue
                whole = {1} if page == 1 else whole | {page}
                if not c.get("truncated") and whole >= set(range(1, page + 1)):
                    partial = False
            elif c["op"] == "ChangeResourceRecordSets" and partial:
                bad.append(c)
        return bad
