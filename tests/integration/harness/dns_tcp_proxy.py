"""A DNS-over-TCP proxy on 127.0.0.1 in front of a DNS server (BIND, Knot):
it forwards every connection and notes what each one asked (UPDATE, SOA,
AXFR, IXFR), and on demand cuts zone transfers part-way, as a server that
dies or a connection that breaks mid-transfer would.

    with DnsTcpProxy(bind.port) as p:          # the agent's --rfc2136-server is 127.0.0.1:p.port
        p.cut_transfers = True                 # every AXFR/IXFR: 2 messages whole, half the 3rd, closed
        p.exchanges                            # [{"start", "opcode", "qtype", "cut", "deletes"}]

One request per connection (what ecssd's TCP exchange does; RFC 7766 allows
more, which this proxy simply forwards unparsed). TCP only: nothing here
answers UDP."""
import socket
import struct
import threading
import time

OPCODES = {0: "QUERY", 4: "NOTIFY", 5: "UPDATE"}
QTYPES = {6: "SOA", 251: "IXFR", 252: "AXFR"}
CLASS_NONE, CLASS_ANY = 254, 255


def _read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _read_message(sock):
    head = _read_exact(sock, 2)
    if head is None:
        return None
    body = _read_exact(sock, struct.unpack("!H", head)[0])
    return None if body is None else head + body


def _skip_name(msg, i):
    while True:
        n = msg[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += 1 + n


def describe(message):
    """(opcode name, qtype name, deletes) of one framed DNS message; deletes
    counts an UPDATE's RRs of class NONE or ANY (values or RRsets removed)."""
    msg = message[2:]
    opcode = (msg[2] >> 3) & 0x0F
    qd, an, ns = struct.unpack("!HHH", msg[4:10])
    i, qtype = 12, None
    if qd:
        i = _skip_name(msg, i)
        qtype = struct.unpack("!H", msg[i:i + 2])[0]
        i += 4
    deletes = 0
    if opcode == 5:  # prerequisites (an) first, then the update section (ns)
        for section, count in ((0, an), (1, ns)):
            for _ in range(count):
                i = _skip_name(msg, i)
                _, rclass, _, rdlen = struct.unpack("!HHIH", msg[i:i + 10])
                i += 10 + rdlen
                if section == 1 and rclass in (CLASS_NONE, CLASS_ANY):
                    deletes += 1
    return OPCODES.get(opcode, str(opcode)), QTYPES.get(qtype, str(qtype)), deletes


class DnsTcpProxy:
    """cut_transfers: while true, each AXFR/IXFR answer is cut after
    `whole_messages` messages and half of the next (fewer when the answer is
    shorter: then the last message is cut half-way)."""

    def __init__(self, upstream_port, whole_messages=2):
        self.upstream_port = upstream_port
        self.whole_messages = whole_messages
        self.cut_transfers = False
        self.exchanges = []
        self.lock = threading.Lock()
        self._sock = None
        self._stopping = False

    @property
    def port(self):
        return self._sock.getsockname()[1]

    def start(self):
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self):
        self._stopping = True
        if self._sock:
            self._sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def count(self, opcode=None, qtype=None, cut=None, since=0.0):
        with self.lock:
            return sum(1 for e in self.exchanges if (opcode is None or e["opcode"] == opcode)
                       and (qtype is None or e["qtype"] == qtype) and (cut is None or e["cut"] == cut)
                       and e["start"] >= since)

    def snapshot(self):
        with self.lock:
            return [dict(e) for e in self.exchanges]

    def _accept(self):
        while not self._stopping:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        entry = {"start": time.time(), "opcode": None, "qtype": None, "cut": False, "deletes": 0}
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
        except OSError:
            client.close()
            return
        try:
            request = _read_message(client)
            if request is None:
                return
            entry["opcode"], entry["qtype"], entry["deletes"] = describe(request)
            with self.lock:
                self.exchanges.append(entry)
            upstream.sendall(request)
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            transfer = entry["opcode"] == "QUERY" and entry["qtype"] in ("AXFR", "IXFR")
            if transfer and self.cut_transfers:
                entry["cut"] = True
                self._cut(upstream, client)
            else:
                self._pipe(upstream, client)
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def _cut(self, upstream, client):
        """Reads up to whole_messages + 1 answers; sends all but the last whole and half of the last."""
        messages = []
        while len(messages) <= self.whole_messages:
            upstream.settimeout(10 if not messages else 2)  # a transfer's end: the server sends no more
            try:
                message = _read_message(upstream)
            except socket.timeout:
                message = None
            if message is None:
                break
            messages.append(message)
        if not messages:
            return
        for message in messages[:-1]:
            client.sendall(message)
        client.sendall(messages[-1][:len(messages[-1]) // 2])

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
