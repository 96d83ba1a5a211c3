"""One row of the fault table: a fault injected on one provider during a
burst of container starts and stops, then the zone compared exactly with
what it should be, and the time it took to get there after the fault ended.

    s = Scenario(self, Route53Side(moto), dockerd, "agent SIGKILLed and restarted")
    s.run(inject=s.agent.kill, heal=s.agent.start, hold=1)
    s.check()                          # exact final state, foreign untouched, nothing dropped meanwhile

The steps: plant the foreign records (the side's setup), start the agent,
start STABLE + DOOMED containers and wait for the exact state; then the
burst (engine.plan_burst) starts, the fault is injected once a third of it
is done, held `hold` seconds, healed; once the burst is over too, the zone
is polled until it is exact. A Sampler reads the zone throughout and notes
any record of a container that ran all along found missing."""
import datetime
import time

from fault_kit import config, zones
from fault_kit.engine import Burst, Containers, plan_burst
from fault_kit.sides import agent_for


class Scenario:
    def __init__(self, test, side, dockerd, fault, agent_extra=(), docker_host=None, listen=False,
                 stable_restart=None, agent_env=None):
        self.test, self.side, self.dockerd, self.fault = test, side, dockerd, fault
        self.containers = Containers(dockerd, listen=listen)
        side.setup()
        test.addCleanup(side.teardown)
        self.agent = agent_for(side, docker_host or dockerd.docker_host, agent_extra, agent_env)
        test.addCleanup(self.agent.stop)
        test.addCleanup(dockerd.remove_all_containers)
        self.stable_restart = stable_restart
        self.diff = None
        self.report_extra = {}
        self.converged = None
        self.missing = {}

    # --- the state the zone must reach

    def want(self):
        return zones.expected(self.containers.running(), self.side.zone, self.side.style, self.side.foreign_before)

    def wait_exact(self, timeout):
        return zones.wait_exact(self.side.read, self.want, self.side.foreign_before, timeout)

    # --- the run

    def prepare(self):
        """The agent and the containers that run before the burst, converged."""
        self.agent.start()
        self.stable = [self.containers.start("web", restart=self.stable_restart) for _ in range(config.STABLE)]
        self.doomed = [self.containers.start("api") for _ in range(config.DOOMED)]
        waited, diff = self.wait_exact(60)
        self.test.assertIsNotNone(waited, "not converged before the fault:\n%s\n%s" % (diff.describe(),
                                                                                     self.agent.log_tail()))
        # What must never go missing: the records of the containers that run throughout, the host's.
        stable = [c for c in self.containers.running() if c.name in self.stable]
        self.keep = zones.expected(stable, self.side.zone, self.side.style, self.side.foreign_before).mains
        return self

    def run(self, inject, heal, hold=0.0, at=None, sample=True, starts=None, throughout=False,
            after_prepare=None, pace=None):
        """Injects the fault during the burst, heals it `hold` seconds later, waits for the exact
        state and measures the time from the fault's (or the burst's, if later) end. throughout:
        the fault is injected as the burst starts and healed only once the zone is exact (a rate
        of errors rather than an event): the time is measured from the burst's end."""
        self.prepare()
        if after_prepare:
            after_prepare()
        sampler = zones.Sampler(self.side.read, self.keep).start() if sample else None
        ops = plan_burst(self.containers, self.doomed, starts or config.STARTS)
        burst = Burst(ops, config.PACE if pace is None else pace)
        if throughout:
            at = 0
        burst.start()
        burst.at(at if at is not None else max(1, len(ops) // 3)).wait(120)
        self.fault_start = time.time()
        inject()
        if not throughout:
            if hold:
                time.sleep(hold)
            heal()
            self.fault_end = time.time()
        burst.join()
        self.test.assertEqual(burst.errors, [], "burst operations failed")
        self.burst_end = burst.ended
        waited, self.diff = self.wait_exact(config.CONVERGE_TIMEOUT)
        matched = time.time()
        if throughout:
            self.fault_end = time.time()
            heal()
        ended = self.burst_end if throughout else max(self.fault_end, self.burst_end)
        self.converged = None if waited is None else max(0.0, matched - ended)
        if sampler:
            self.missing = dict(sampler.stop())
        self.ops = len(ops)
        self.throughout = throughout
        return self

    def report(self):
        row = {"fault": self.fault, "provider": self.side.name, "lost": len(self.diff.lost),
               "stale": len(self.diff.stale), "foreign_touched": self.diff.foreign_touched,
               "live_missing": len(self.missing), "converge_s": None if self.converged is None
               else round(self.converged, 1), "fault_s": round(self.fault_end - self.fault_start, 1),
               "burst_ops": self.ops, "containers": config.STABLE + config.DOOMED, "throughout": self.throughout,
               "date": datetime.date.today().isoformat()}
        row.update(self.report_extra)
        config.record(row)

    def check(self, live_missing_allowed=False):
        """The final state is exact, nothing foreign was touched, and (unless allowed) no record
        of a container that ran all along went missing while the fault lasted. Records the row first."""
        self.report()
        where = "\n".join(self.agent.log_tail(60).splitlines())
        self.test.assertIsNotNone(self.converged, "never converged:\n%s\n%s" % (self.diff.describe(), where))
        self.test.assertEqual(self.diff.foreign_changed + self.diff.foreign_added, [], "foreign records touched")
        if not live_missing_allowed:
            self.test.assertEqual(self.missing, {}, "records of running containers went missing meanwhile")
        self.test.assertTrue(self.agent.alive(), "the agent died:\n" + where)

    def logged(self, text):
        """Log lines of the agent (every run) whose message or error mentions `text`."""
        return [e for e in self.agent.events() if text in e.get("msg", "") or text in e.get("error", "")]
