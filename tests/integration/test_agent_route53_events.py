"""`ecssd agent --events-bus`: EventBridge events when a container's first
record is published and its last withdrawn. moto routes the bus to an SQS
queue with a rule; boto3 reads back exactly what was delivered."""
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.route53_agent import AgentTestCase, agent_binary, wait_until  # noqa: E402

BUS = "ecssd-test-bus"
TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef"


class AgentEventsTest(AgentTestCase, unittest.TestCase):

    def setUp(self):
        super().setUp()
        events, self.sqs = self.moto.client("events"), self.moto.client("sqs")
        self.queue = self.sqs.create_queue(QueueName="ecssd-events")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.create_event_bus(Name=BUS)
        events.put_rule(Name="ecssd-containers", EventBusName=BUS, EventPattern=json.dumps({"source": ["ecssd"]}))
        events.put_targets(Rule="ecssd-containers", EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn}])
        self.delivered = []

    def receive(self, count, timeout):
        """Waits until `count` events were delivered in all; returns them all."""
        deadline = time.monotonic() + timeout
        while len(self.delivered) < count and time.monotonic() < deadline:
            msgs = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=1).get("Messages", [])
            for m in msgs:
                self.delivered.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=m["ReceiptHandle"])
        return self.delivered

    def test_started_and_stopped_events_reach_the_bus(self):
        agent = self.start_agent("--events-bus", BUS)
        self.assertTrue(agent.wait_ready(30), agent.text())
        ecs = self.run_service("ecs-web", "web", 18401,
                               labels={"com.amazonaws.ecs.task-arn": TASK_ARN, "com.amazonaws.ecs.cluster": "prod"})
        plain = self.dockerd.run_container("two-services", ["sleep", "3600"],
                                           env={"SERVICE_18402_NAME": "api", "SERVICE_18403_NAME": "admin"})
        self.assertTrue(self.wait_cnames(self.expect([("web", ecs), ("api", plain), ("admin", plain)]), 10))
        got = self.receive(2, 20)
        self.assertEqual(len(got), 2, got)
        started = {e["detail"]["container_id"]: e for e in got}
        self.assertEqual(set(started), {ecs, plain})
        for e in got:
            self.assertEqual(e["source"], "ecssd")
            self.assertEqual(e["detail-type"], "Container Started")

        d = started[ecs]["detail"]
        self.assertEqual(d["container_name"], "ecs-web")
        self.assertEqual([s["name"] for s in d["services"]], ["web"])
        self.assertEqual(d["services"][0]["port"], "18401/tcp")
        self.assertEqual([(r["name"], r["type"], r["values"]) for r in d["services"][0]["records"]],
                         [("web.sd.test", "CNAME", ["h1.sd.test"])])
        self.assertEqual(d["host"]["name"], "h1.sd.test")
        self.assertEqual(d["host"]["owner"], self.OWNER)
        self.assertEqual(d["host"]["ip"], self.HOST_IP)
        self.assertEqual(d["task_arn"], TASK_ARN)
        self.assertEqual(d["cluster"], "prod")
        self.assertEqual(started[ecs]["resources"], [TASK_ARN])

        d = started[plain]["detail"]
        self.assertEqual(d["container_name"], "two-services")
        self.assertEqual(sorted(s["name"] for s in d["services"]), ["admin", "api"])
        self.assertNotIn("task_arn", d)
        self.assertNotIn("cluster", d)

        # Stopped when the last record is withdrawn; nothing for the other.
        self.remove("ecs-web")
        self.assertTrue(self.wait_cnames(self.expect([("api", plain), ("admin", plain)]), 10))
        got = self.receive(3, 20)
        self.assertEqual(len(got), 3, got)
        stopped = got[2]
        self.assertEqual(stopped["detail-type"], "Container Stopped")
        self.assertEqual(stopped["detail"]["container_id"], ecs)
        self.assertEqual(stopped["detail"]["task_arn"], TASK_ARN)
        self.assertEqual(stopped["detail"]["services"][0]["records"][0]["name"], "web.sd.test")

        # Exactly one event per transition (the agent's other runs send none).
        time.sleep(2)
        self.assertEqual(len(self.receive(4, 2)), 3)
        self.assertEqual(agent.metric("ecssd_events_sent_total"), 3)
        self.assertEqual(agent.metric("ecssd_events_failed_total"), 0)
        self.assertIn(self.proxy.count("PutEvents"), (2, 3))  # the two Started may share a call
        self.assert_foreign_untouched()

    def test_remove_all_reports_stopped_containers(self):
        cid = self.run_service("shutdown", "web", 18411)
        self.assertEqual(self._once("--once"), 0)
        self.assertEqual([e["detail-type"] for e in self.receive(1, 20)], ["Container Started"])
        self.assertEqual(self._once("--remove-all"), 0)
        got = self.receive(2, 20)
        self.assertEqual([e["detail-type"] for e in got], ["Container Started", "Container Stopped"])
        self.assertEqual(got[1]["detail"]["container_id"], cid)

    def _once(self, flag):
        from harness.route53_agent import run_agent_once
        rc, _, text = run_agent_once(self.base_args() + [flag, "--events-bus", BUS], self.env())
        self.assertEqual(rc, 0, text)
        return rc

    def test_event_failures_never_block_dns_work(self):
        agent = self.start_agent("--events-bus", "no-such-bus")
        self.assertTrue(agent.wait_ready(30), agent.text())
        t0 = time.monotonic()
        cid = self.run_service("nobus", "web", 18421)
        self.assertTrue(self.wait_cnames(self.expect([("web", cid)]), 10))
        self.assertLess(time.monotonic() - t0, 3)
        errors = agent.wait_log(lambda l: l.get("msg", "").startswith("EventBridge events not delivered"), 15)
        self.assertTrue(errors, agent.text())
        self.assertIn("ResourceNotFoundException", errors[0]["error"])
        self.assertTrue(wait_until(lambda: agent.metric("ecssd_events_failed_total") == 1, 5))
        self.assertEqual(agent.readyz()[0], 200, "event failures do not make the agent unready")
        # Withdrawals go on too.
        self.remove("nobus")
        self.assertTrue(self.wait_cnames(set(), 10))

    def test_events_bus_configuration_errors(self):
        r = subprocess.run([agent_binary(), "agent", "--provider", "embedded", "--events-bus", BUS],
                           env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--events-bus needs --provider route53", r.stderr)

        env = self.env()
        for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            env.pop(name)
        r = subprocess.run([agent_binary(), "agent", "--provider", "route53", "--metrics-listen", ""] +
                           self.base_args() + ["--events-bus", BUS], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("set AWS_REGION", r.stderr)


if __name__ == "__main__":
    unittest.main()
