"""Loopback stand-ins for the AWS endpoints ecssd reaches outside the APIs,
and small HTTP(S) servers for testing its HTTP client:

- ImdsStub: EC2 instance metadata (IMDSv2 token PUT, then GETs with the token).
- EcsCredentialsStub: the ECS container credentials endpoint (checks the
  Authorization token).
- TestCa: a throw-away CA and server certificates (cryptography package).
- HttpTestServer: HTTP/1.1 keep-alive server, plain or TLS, that counts TCP
  connections and can misbehave on purpose (close idle connections, drop a
  request, answer slowly, too much, or garbage).

Every server binds 127.0.0.1 on a free port and runs in a daemon thread;
use them as context managers.
"""
import datetime
import http.server
import ipaddress
import json
import os
import socket
import ssl
import threading
import time
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness.loopback_http import LoopbackHttpServer


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler, owner):
        self.owner = owner
        super().__init__(("127.0.0.1", 0), handler)

    def verify_request(self, request, client_address):
        with self.owner.lock:
            self.owner.connections += 1
        return True


class _Base(LoopbackHttpServer):
    """A stub with a request log and a count of TCP connections."""

    handler = None

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []  # (method, path, {lower-case header: value})
        self.connections = 0

    def _make_server(self):
        server = _Server(self.handler, self)
        self._wrap(server)
        return server

    def _wrap(self, server):
        pass

    def log(self, handler):
        with self.lock:
            self.requests.append((handler.command, handler.path, {k.lower(): v for k, v in handler.headers.items()}))


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY the body
    # waits for the client's delayed ACK (40 ms per request).
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", content_type="text/plain", extra=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""


def _expiration(seconds):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_credentials(prefix="ASIA", lifetime=3600):
    """A fake temporary credential set in the JSON shape AWS endpoints use."""
    return {"AccessKeyId": prefix + uuid.uuid4().hex[:16].upper(),
            "SecretAccessKey": uuid.uuid4().hex + uuid.uuid4().hex,
            "Token": "IQoJb3JpZ2luX2VjE" + uuid.uuid4().hex,
            "Expiration": _expiration(lifetime)}


class ImdsStub(_Base):
    """IMDSv2 on loopback. Answers PUT /latest/api/token (requires the TTL
    header) and GET /latest/meta-data/... (requires a token it issued, else
    401). `delay` seconds are slept before every answer (to test timeouts)."""

    def __init__(self, role="ecssd-test-role", region="eu-west-1", delay=0.0):
        super().__init__()
        self.role = role
        self.delay = delay
        self.tokens = []
        self.token_ttls = []
        self.credentials = new_credentials()
        self.metadata = {"instance-id": "i-0abc123def4567890",
                         "local-hostname": "ip-10-1-2-3.eu-west-1.compute.internal",
                         "local-ipv4": "10.1.2.3",
                         "placement/region": region}
        self.handler = self._make_handler()

    def credential_fetches(self):
        path = f"/latest/meta-data/iam/security-credentials/{self.role}"
        with self.lock:
            return sum(1 for m, p, _ in self.requests if p == path)

    def _make_handler(self):
        stub = self

        class Handler(_Handler):
            def do_PUT(self):
                stub.log(self)
                self.read_body()
                time.sleep(stub.delay)
                if self.path != "/latest/api/token":
                    return self.reply(404)
                ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
                if not ttl or not ttl.isdigit():
                    return self.reply(400, "missing token TTL")
                token = "imds-token-" + uuid.uuid4().hex
                with stub.lock:
                    stub.tokens.append(token)
                    stub.token_ttls.append(int(ttl))
                self.reply(200, token, extra=[("X-aws-ec2-metadata-token-ttl-seconds", ttl)])

            def do_GET(self):
                stub.log(self)
                time.sleep(stub.delay)
                if self.headers.get("X-aws-ec2-metadata-token") not in stub.tokens:
                    return self.reply(401)
                prefix = "/latest/meta-data/"
                if not self.path.startswith(prefix):
                    return self.reply(404)
                item = self.path[len(prefix):]
                if item == "iam/security-credentials/":
                    return self.reply(200, stub.role)
                if item == f"iam/security-credentials/{stub.role}":
                    body = dict(stub.credentials, Code="Success", Type="AWS-HMAC",
                                LastUpdated=_expiration(0))
                    return self.reply(200, json.dumps(body), "application/json")
                if item in stub.metadata:
                    return self.reply(200, stub.metadata[item])
                self.reply(404)

        return Handler


class EcsCredentialsStub(_Base):
    """The ECS container credentials endpoint on loopback: GET `path` with
    `Authorization: <token>` (when a token is set) answers credentials;
    a wrong or missing token gets 403."""

    def __init__(self, path="/v2/credentials/task-1", token=None):
        super().__init__()
        self.path = path
        self.token = token
        self.credentials = new_credentials()
        self.handler = self._make_handler()

    @property
    def full_uri(self):
        return self.url + self.path

    def _make_handler(self):
        stub = self

        class Handler(_Handler):
            def do_GET(self):
                stub.log(self)
                if self.path != stub.path:
                    return self.reply(404, json.dumps({"message": "not found"}), "application/json")
                if stub.token is not None and self.headers.get("Authorization") != stub.token:
                    return self.reply(403, json.dumps({"message": "invalid authorization token"}),
                                      "application/json")
                body = dict(stub.credentials, RoleArn="arn:aws:iam::123456789012:role/ecssd-task")
                self.reply(200, json.dumps(body), "application/json")

        return Handler


class TestCa:
    """A throw-away certificate authority writing PEM files into `directory`."""

    def __init__(self, directory, name="ecssd test CA"):
        self.directory = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                  content_commitment=False, key_encipherment=False,
                                                  data_encipherment=False, key_agreement=False,
                                                  encipher_only=False, decipher_only=False), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.ca_path = os.path.join(directory, "ca.pem")
        with open(self.ca_path, "wb") as f:
            f.write(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, label, dns_names=("localhost",), ips=("127.0.0.1",)):
        """A server certificate for the names; returns (cert_path, key_path)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        san = [x509.DNSName(n) for n in dns_names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, label)]))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName(san), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .sign(self.key, hashes.SHA256()))
        cert_path = os.path.join(self.directory, f"{label}.pem")
        key_path = os.path.join(self.directory, f"{label}.key")
        with open(cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(key_path, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        return cert_path, key_path


class HttpTestServer(_Base):
    """HTTP/1.1 server answering GET/POST with "hello <n>" (n counts requests),
    keeping connections alive, plain or TLS (cert/key given). Modes:
      "normal"          keep-alive, as a good server does
      "close_idle"      closes each connection right after answering, without
                        saying so (as a server dropping idle connections does)
      "drop_second"     reads the second request on a connection and closes it
                        unanswered (a peer that closed a pooled connection)
      "slow"            sleeps `delay` seconds before answering
      "big"             answers a body of `size` bytes
      "garbage"         answers bytes that are not HTTP
    TLS servers record the SNI names clients sent in `sni_names`."""

    def __init__(self, mode="normal", cert=None, key=None, delay=0.0, size=0):
        super().__init__()
        self.mode = mode
        self.delay = delay
        self.size = size
        self.cert = cert
        self.key = key
        self.sni_names = []
        self.served = 0
        self.handler = self._make_handler()

    @property
    def url(self):
        return f"{'https' if self.cert else 'http'}://127.0.0.1:{self.port}"

    def _wrap(self, server):
        if not self.cert:
            return
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)

        def sni(sock, name, _ctx):
            with self.lock:
                self.sni_names.append(name)

        ctx.sni_callback = sni
        server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)

    def _make_handler(self):
        srv = self

        class Handler(_Handler):
            def setup(self):
                super().setup()
                self.on_connection = 0
                if srv.cert:
                    try:
                        self.connection.do_handshake()
                    except (ssl.SSLError, OSError):
                        self.close_connection = True

            def handle(self):
                try:
                    super().handle()
                except OSError:  # includes ssl.SSLError and connection resets
                    pass

            def _answer(self):
                srv.log(self)
                self.read_body()
                self.on_connection += 1
                if srv.mode == "drop_second" and self.on_connection == 2:
                    self.close_connection = True
                    return
                if srv.mode == "garbage":
                    self.wfile.write(b"this is not HTTP at all\r\n\r\n")
                    self.close_connection = True
                    return
                if srv.mode == "slow":
                    time.sleep(srv.delay)
                with srv.lock:
                    srv.served += 1
                    n = srv.served
                if srv.mode == "big":
                    body = b"x" * srv.size
                else:
                    body = f"hello {n}".encode()
                try:
                    self.reply(200, body)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    pass
                if srv.mode == "close_idle":
                    self.close_connection = True

            do_GET = _answer
            do_POST = _answer

        return Handler


def closed_port():
    """A loopback port with nothing listening (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
