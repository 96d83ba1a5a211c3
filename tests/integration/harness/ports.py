"""Free loopback ports for the servers the tests start.

A port is drawn at random below the kernel's ephemeral range
(net.ipv4.ip_local_port_range): a server that binds port 0 in a test running
alongside draws from that range, so it can never be handed the port between
our check here and our server's own bind. That matters for DNS servers: Knot,
and ecssd with several UDP threads, use SO_REUSEPORT, and two of them on one
port would silently share its queries.

A port is never handed out twice in one process: a test asks for several
before any server binds them (the DNS and the status port of one agent), and
two random draws can be equal."""
import random
import socket

_given = set()


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(kind=socket.SOCK_STREAM, both=True, host="127.0.0.1"):
    """A port free on `host` for `kind` (TCP by default), and for the other
    protocol too when `both`."""
    low = 10000
    high = max(low + 1000, _ephemeral_low()) - 1
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    kinds = (socket.SOCK_STREAM, socket.SOCK_DGRAM) if both else (kind,)
    for _ in range(200):
        port = random.randint(low, high)
        if port in _given:
            continue
        try:
            for k in kinds:
                with socket.socket(family, k) as s:
                    s.bind((host, port))
        except OSError:
            continue
        _given.add(port)
        return port
    raise RuntimeError("no free port")
