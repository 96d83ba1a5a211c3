"""The provider side of a fault scenario: Route 53 (moto behind the fault
proxy), RFC 2136 (BIND with a TSIG key, optionally behind a DNS TCP proxy)
or the agent's embedded responder. Each plants its foreign records, says
how to run the agent against it, and reads the zone independently."""
import os
import tempfile

from harness.agent import AgentProcess, free_port
from harness.bind import Bind
from harness.dns_tcp_proxy import DnsTcpProxy
from harness.rfc2136 import nsupdate
from harness.route53_agent import create_zone, seed_foreign
from harness.route53_faults import FaultProxy
from harness.tsig_keys import TsigKey

from fault_kit import zones
from fault_kit.zones import HOST, HOST_IP, OWNER


class Agent:
    """`ecssd agent` that can be SIGKILLed and started again with the same flags and ports."""

    def __init__(self, args, env):
        self.args, self.env = list(args), dict(env)
        self.dns_port, self.metrics_port = free_port(), free_port(both=False)
        self.proc = None
        self.runs = []  # every AgentProcess, for their logs

    def start(self, ready=True):
        self.proc = AgentProcess(self.args, env=self.env, dns_port=self.dns_port, metrics_port=self.metrics_port)
        self.runs.append(self.proc)
        self.proc.start()
        if ready:
            self.proc.wait_ready(60)
        return self

    def kill(self):
        self.proc.stop(sig=9)

    def stop(self):
        if self.proc:
            self.proc.stop()

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def events(self):
        return [e for run in self.runs for e in run.events()]

    def log_tail(self, n=40):
        return "\n".join(self.proc.log()[-n:]) if self.proc else ""


class Route53Side:
    name = "Route 53 (moto)"
    style = "route53"
    zone = "sd.test"

    def __init__(self, moto, foreign_extra=0):
        self.moto = moto
        self.foreign_extra = foreign_extra  # that many more plain A record sets (listings of several pages)

    def setup(self):
        self.moto.reset()
        self.r53 = self.moto.client("route53")
        self.zone_id = create_zone(self.r53, self.zone)
        seed_foreign(self.r53, self.zone_id, self.zone)
        bulk = [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": f"bulk-{i}.{self.zone}", "Type": "A", "TTL": 300,
            "ResourceRecords": [{"Value": f"192.0.2.{i % 250 + 1}"}]}} for i in range(self.foreign_extra)]
        for i in range(0, len(bulk), 500):
            self.r53.change_resource_record_sets(HostedZoneId=self.zone_id, ChangeBatch={"Changes": bulk[i:i + 500]})
        self.proxy = FaultProxy(self.moto.url).start()
        self.home = tempfile.TemporaryDirectory()
        self.foreign_before = self.read().foreign
        return self

    def teardown(self):
        self.proxy.set_outage(False)
        self.proxy.stop()
        self.home.cleanup()

    def agent_args(self):
        return ["--provider", "route53", "--zone", self.zone]

    def agent_env(self):
        return self.moto.env(HOME=self.home.name, AWS_ENDPOINT_URL=self.proxy.url)

    def read(self):
        return zones.route53_state(self.r53, self.zone_id)


# Records a person (and another ecssd host) put in the RFC 2136 zone with nsupdate.
RFC2136_FOREIGN = [
    "update add _web._tcp.{z} 30 SRV 0 0 9999 manual.{z}.",
    "update add _web._tcp.{z} 30 SRV 1 1 8080 host-b.{z}.",
    'update add srv._ecssd._web._tcp.{z} 10 TXT "heritage=ecssd" "set=ecssd:host-b:0123456789ab:8080-tcp" '
    '"value=1 1 8080 host-b.{z}" "owner=host-b"',
    "update add host-b.{z} 10 A 127.0.0.2",
    "update add manual.{z} 300 A 192.0.2.7",
    'update add notes.{z} 300 TXT "heritage=someone-else" "owner=h1"',
    "update add mail.{z} 300 MX 10 mx.example.com.",
    "update add www.{z} 300 CNAME web.example.org.",
]


class Rfc2136Side:
    name = "RFC 2136 (BIND 9)"
    style = "srv"
    zone = "svc.test"

    def __init__(self, proxied=False, foreign_extra=(), bind_options=()):
        self.proxied = proxied
        self.foreign_extra = list(foreign_extra)
        self.bind_options = list(bind_options)

    def setup(self):
        self.key = TsigKey()
        self.tmp = tempfile.TemporaryDirectory(prefix="ecssd-faults-")
        self.key_file = self.key.write(os.path.join(self.tmp.name, "key.conf"))
        self.server = Bind(self.zone, self.foreign_extra, self.key, extra_options=self.bind_options).start()
        self.proxy = DnsTcpProxy(self.server.port).start() if self.proxied else None
        rc, out = nsupdate(self.server.port, self.key, [c.format(z=self.zone) for c in RFC2136_FOREIGN])
        if rc != 0:
            raise RuntimeError("nsupdate failed: " + out)
        self.foreign_before = self.read_foreign()
        return self

    def teardown(self):
        if self.proxy:
            self.proxy.stop()
        self.server.stop()
        self.tmp.cleanup()

    @property
    def port(self):
        """Where the agent sends its updates and transfers."""
        return self.proxy.port if self.proxy else self.server.port

    def agent_args(self):
        return ["--provider", "rfc2136", "--zone", self.zone, "--rfc2136-server", f"127.0.0.1:{self.port}",
                "--tsig-key-file", self.key_file, "--record-mode", "srv"]

    def agent_env(self):
        return {}

    def read_foreign(self):
        from collections import Counter
        return Counter(zones.axfr_lines(self.server.port, self.zone, self.key))

    def read(self):
        return zones.dns_state(self.server.port, self.zone, self.foreign_before, self.key)


class EmbeddedSide:
    """The agent's own responder: the zone lives and dies with the agent; nothing foreign."""
    name = "embedded"
    style = "cname"
    zone = "sd.test"

    def __init__(self):
        self.agent = None

    def setup(self):
        from collections import Counter
        self.foreign_before = Counter()
        return self

    def teardown(self):
        pass

    def agent_args(self):
        return ["--zone", self.zone]

    def agent_env(self):
        return {}

    def read(self):
        rrs = zones.dns_state(self.agent.dns_port, self.zone, self.foreign_before)
        # The responder's own apex (NS, and the name server's address) is not the agent's records.
        for rr in [rr for rr in rrs.mains if rr[0] in (self.zone, f"ns.{self.zone}")]:
            del rrs.mains[rr]
        return rrs


def agent_for(side, docker_host, extra=(), env=None):
    args = side.agent_args() + ["--docker-host", docker_host, "--host-name", HOST, "--host-ip", HOST_IP,
                                "--owner-id", OWNER] + list(extra)
    agent = Agent(args, dict(side.agent_env(), **(env or {})))
    if isinstance(side, EmbeddedSide):
        side.agent = agent
    return agent
