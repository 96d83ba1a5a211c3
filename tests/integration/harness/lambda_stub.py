"""A stand-in for the AWS Lambda Runtime API (2018-06-01), on 127.0.0.1, for
driving a custom runtime (`ecssd lambda`, or the deployment zip's bootstrap)
the way Lambda does:

    with LambdaRuntimeStub() as stub:
        env["AWS_LAMBDA_RUNTIME_API"] = stub.address      # "127.0.0.1:PORT"
        ...start the runtime...
        kind, body, headers = stub.invoke({"source": "aws.events"})   # "response" or "error"

GET  /2018-06-01/runtime/invocation/next          waits for invoke(), answers the event
POST /2018-06-01/runtime/invocation/{id}/response  the function's result
POST /2018-06-01/runtime/invocation/{id}/error     the function's error
POST /2018-06-01/runtime/init/error                the runtime could not start

Anything else is answered 404 and recorded in `unexpected`.
"""
import http.server
import json
import queue
import threading
import time
import uuid

from harness.loopback_http import LoopbackHttpServer

PREFIX = "/2018-06-01/runtime"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        stub = self.server.stub
        if self.path != PREFIX + "/invocation/next":
            stub._unexpected("GET", self.path)
            self._send(404)
            return
        stub._note_next()
        while not stub.stopping.is_set():
            try:
                request_id, event = stub._events.get(timeout=0.2)
            except queue.Empty:
                continue
            body = event if isinstance(event, bytes) else json.dumps(event).encode()
            deadline = int((time.time() + stub.function_timeout) * 1000)
            self._send(200, body, {
                "Content-Type": "application/json",
                "Lambda-Runtime-Aws-Request-Id": request_id,
                "Lambda-Runtime-Deadline-Ms": str(deadline),
                "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:ecssd-reap",
                "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
            })
            return
        self._send(503)

    def do_POST(self):
        stub = self.server.stub
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        parts = self.path[len(PREFIX):].strip("/").split("/") if self.path.startswith(PREFIX) else []
        if parts == ["init", "error"]:
            stub._post("init", None, body, headers)
        elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            if not stub._post(parts[2], parts[1], body, headers):
                self._send(400, b'{"errorMessage":"unknown request id"}')
                return
        else:
            stub._unexpected("POST", self.path)
            self._send(404)
            return
        self._send(202, b'{"status":"OK"}', {"Content-Type": "application/json"})


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, stub):
        self.stub = stub
        super().__init__(("127.0.0.1", 0), _Handler)


class LambdaRuntimeStub(LoopbackHttpServer):
    def __init__(self, function_timeout=60):
        self.function_timeout = function_timeout
        self.stopping = threading.Event()
        self.lock = threading.Condition()
        self._events = queue.Queue()
        self.results = {}      # request id -> (kind, body bytes, headers)
        self.init_errors = []  # (body bytes, headers)
        self.unexpected = []
        self.next_calls = 0

    def _make_server(self):
        return _Server(self)

    def _before_stop(self):
        self.stopping.set()

    @property
    def address(self):
        return "127.0.0.1:%d" % self._server.server_address[1]

    # -- what the test calls

    def invoke(self, event, timeout=60):
        """Queues one invocation and waits for the runtime's answer:
        ("response" | "error", body bytes, headers dict). Raises TimeoutError."""
        request_id = str(uuid.uuid4())
        with self.lock:
            self.results[request_id] = None
        self._events.put((request_id, event))
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.results[request_id] is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no answer to invocation %s within %ss" % (request_id, timeout))
                self.lock.wait(left)
            return self.results[request_id]

    def wait_init_error(self, timeout=30):
        deadline = time.monotonic() + timeout
        with self.lock:
            while not self.init_errors:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no init error within %ss" % timeout)
                self.lock.wait(left)
            return self.init_errors[0]

    def wait_polling(self, count=1, timeout=30):
        """Waits until the runtime has asked for `count` invocations."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.next_calls < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(left)
            return True

    # -- called by the handler threads

    def _note_next(self):
        with self.lock:
            self.next_calls += 1
            self.lock.notify_all()

    def _post(self, kind, request_id, body, headers):
        with self.lock:
            if kind == "init":
                self.init_errors.append((body, headers))
            else:
                if request_id not in self.results or self.results[request_id] is not None:
                    self.unexpected.append(("POST", kind, request_id))
                    return False
                self.results[request_id] = (kind, body, headers)
            self.lock.notify_all()
            return True

    def _unexpected(self, method, path):
        with self.lock:
            self.unexpected.append((method, path))
