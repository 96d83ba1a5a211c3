"""ecssd's ECS, EC2 and EventBridge clients (through tests/tools/aws_tool,
signed by the real credential chain and sent by the real HTTP client) against
moto_server, with the state set up and checked by boto3."""
import json
import tempfile
import unittest

from harness.aws_tool import run_aws_tool
from harness.moto import MotoServer


class MotoApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = MotoServer().start()
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()
        cls.tmp.cleanup()

    def setUp(self):
        self.moto.reset()

    def tool(self, *args):
        return run_aws_tool(list(args), self.moto.env(HOME=self.tmp.name))

    # -- ECS --

    def make_ecs(self):
        ecs, ec2 = self.moto.client("ecs"), self.moto.client("ec2")
        ecs.create_cluster(clusterName="prod")
        ecs.create_cluster(clusterName="staging")
        ecs.register_task_definition(family="web", containerDefinitions=[
            {"name": "app", "image": "busybox", "memory": 32}])  # (moto reserves even host port 0)
        instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]
        ecs.register_container_instance(cluster="prod",
                                        instanceIdentityDocument=json.dumps({"instanceId": instance["InstanceId"]}))
        tasks = ecs.run_task(cluster="prod", taskDefinition="web", count=3, startedBy="ecssd-test")["tasks"]
        self.assertEqual(len(tasks), 3, "moto placed the tasks")
        return ecs, sorted(t["taskArn"] for t in tasks)

    def test_ecs_list_clusters(self):
        ecs, _ = self.make_ecs()
        r = self.tool("ecs", "list-clusters")
        self.assertTrue(r.ok, r)
        self.assertEqual(sorted(r.output["clusters"]), sorted(ecs.list_clusters()["clusterArns"]))
        self.assertEqual(len(r.output["clusters"]), 2)

    def test_ecs_list_and_describe_tasks(self):
        ecs, arns = self.make_ecs()
        r = self.tool("ecs", "list-tasks", "--cluster", "prod")
        self.assertTrue(r.ok, r)
        self.assertEqual(sorted(r.output["tasks"]), arns)
        self.assertEqual(sorted(r.output["tasks"]), sorted(ecs.list_tasks(cluster="prod")["taskArns"]))

        asked = arns + ["arn:aws:ecs:us-east-1:123456789012:task/prod/00000000000000000000000000000000"]
        args = ["ecs", "describe-tasks", "--cluster", "prod"]
        for arn in asked:
            args += ["--task", arn]
        r = self.tool(*args)
        self.assertTrue(r.ok, r)
        boto_answer = ecs.describe_tasks(cluster="prod", tasks=asked)
        expected = {t["taskArn"]: t for t in boto_answer["tasks"]}
        self.assertEqual(sorted(t["task_arn"] for t in r.output["tasks"]), arns)
        for t in r.output["tasks"]:
            boto = expected[t["task_arn"]]
            self.assertEqual(t["task_definition_arn"], boto["taskDefinitionArn"])
            self.assertEqual(t["cluster_arn"], boto["clusterArn"])
            self.assertEqual(t["desired_status"], boto["desiredStatus"])
            self.assertEqual([c["name"] for c in t["containers"]], [c["name"] for c in boto["containers"]])
        # moto leaves unknown tasks out instead of listing them as failures;
        # ecssd reports whatever the service reports.
        self.assertEqual([f["arn"] for f in r.output["failures"]],
                         [f["arn"] for f in boto_answer.get("failures", [])])

    def test_ecs_stop_task_is_seen_by_boto3(self):
        ecs, arns = self.make_ecs()
        r = self.tool("ecs", "stop-task", "--cluster", "prod", "--task", arns[0], "--reason", "ecssd: unhealthy")
        self.assertTrue(r.ok, r)
        self.assertEqual(r.output["task"]["task_arn"], arns[0])
        task = ecs.describe_tasks(cluster="prod", tasks=[arns[0]])["tasks"][0]
        self.assertEqual(task["desiredStatus"], "STOPPED")
        self.assertEqual(task["stoppedReason"], "ecssd: unhealthy")
        others = ecs.describe_tasks(cluster="prod", tasks=arns[1:])["tasks"]
        self.assertTrue(all(t["desiredStatus"] == "RUNNING" for t in others))

    def test_ecs_unknown_cluster_is_not_found(self):
        r = self.tool("ecs", "list-tasks", "--cluster", "nope")
        self.assertFalse(r.ok, r)
        self.assertEqual(r.error["code"], "not found")
        self.assertIn("ECS ListTasks: HTTP 400 ClusterNotFoundException", r.error["message"])

    # -- EC2 --

    def test_ec2_describe_instances_with_filters_and_ids(self):
        ec2 = self.moto.client("ec2")
        ids = {}
        for name in ("web-1", "web-2", "db-1"):
            inst = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                     TagSpecifications=[{"ResourceType": "instance",
                                                         "Tags": [{"Key": "Name", "Value": name},
                                                                  {"Key": "team", "Value": "core"}]}])["Instances"][0]
            ids[name] = inst["InstanceId"]
        ec2.stop_instances(InstanceIds=[ids["db-1"]])

        r = self.tool("ec2", "describe-instances", "--filter", "tag:Name=web-1,web-2")
        self.assertTrue(r.ok, r)
        got = {i["instance_id"]: i for i in r.output["instances"]}
        self.assertEqual(set(got), {ids["web-1"], ids["web-2"]})
        boto = ec2.describe_instances(InstanceIds=[ids["web-1"]])["Reservations"][0]["Instances"][0]
        mine = got[ids["web-1"]]
        self.assertEqual(mine["private_ip"], boto["PrivateIpAddress"])
        self.assertEqual(mine["private_dns_name"], boto["PrivateDnsName"])
        self.assertEqual(mine["availability_zone"], boto["Placement"]["AvailabilityZone"])
        self.assertEqual(mine["instance_type"], "t3.micro")
        self.assertEqual(mine["tags"], {"Name": "web-1", "team": "core"})

        r = self.tool("ec2", "describe-instances", "--filter", "instance-state-name=running",
                      "--filter", "tag:team=core")
        self.assertEqual({i["instance_id"] for i in r.output["instances"]}, {ids["web-1"], ids["web-2"]})

        r = self.tool("ec2", "describe-instances", "--id", ids["db-1"])
        self.assertEqual([(i["instance_id"], i["state"]) for i in r.output["instances"]], [(ids["db-1"], "stopped")])

        r = self.tool("ec2", "describe-instances")
        all_boto = {i["InstanceId"] for res in ec2.describe_instances()["Reservations"] for i in res["Instances"]}
        self.assertEqual({i["instance_id"] for i in r.output["instances"]}, all_boto)

    def test_ec2_unknown_instance_is_not_found(self):
        r = self.tool("ec2", "describe-instances", "--id", "i-0123456789abcdef0")
        self.assertFalse(r.ok, r)
        self.assertEqual(r.error["code"], "not found")
        self.assertIn("InvalidInstanceID.NotFound", r.error["message"])

    # -- EventBridge --

    def test_put_events_reaches_a_rule_target(self):
        # moto cannot list the events a bus received; a rule forwarding to an
        # SQS queue lets boto3 read exactly what was delivered.
        events, sqs = self.moto.client("events"), self.moto.client("sqs")
        queue = sqs.create_queue(QueueName="ecssd-events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.create_event_bus(Name="ecssd")
        events.put_rule(Name="all-ecssd", EventBusName="ecssd", EventPattern=json.dumps({"source": ["ecssd"]}))
        events.put_targets(Rule="all-ecssd", EventBusName="ecssd", Targets=[{"Id": "q", "Arn": queue_arn}])

        entries = [{"Source": "ecssd", "DetailType": "Service Record Changed", "EventBusName": "ecssd",
                    "Detail": json.dumps({"name": f"web-{i}.example.com.", "action": "UPSERT"})} for i in range(12)]
        r = self.tool("events", "put-events", "--entries", json.dumps(entries))
        self.assertTrue(r.ok, r)
        self.assertEqual(r.output["failed_entry_count"], 0)
        self.assertEqual(len(r.output["entries"]), 12, "two calls: 10 + 2")
        ids = {e["event_id"] for e in r.output["entries"]}
        self.assertNotIn("", ids)

        delivered = []
        for _ in range(5):
            msgs = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
            delivered += [json.loads(m["Body"]) for m in msgs]
            if len(delivered) >= 12:
                break
        self.assertEqual({d["id"] for d in delivered}, ids)
        self.assertEqual(sorted(d["detail"]["name"] for d in delivered),
                         sorted(f"web-{i}.example.com." for i in range(12)))
        self.assertTrue(all(d["detail-type"] == "Service Record Changed" and d["source"] == "ecssd"
                            for d in delivered))

    def test_put_events_rejected_entries_are_counted(self):
        events = self.moto.client("events")
        entries = [{"Source": "ecssd", "DetailType": "ok", "Detail": "{}"},
                   {"Source": "ecssd", "DetailType": "bad", "Detail": "not json"}]
        r = self.tool("events", "put-events", "--entries", json.dumps(entries))
        self.assertTrue(r.ok, r)
        self.assertEqual(r.output["failed_entry_count"], 1)
        self.assertNotEqual(r.output["entries"][0]["event_id"], "")
        self.assertEqual(r.output["entries"][1]["error_code"], "MalformedDetail")
        # boto3 gets the same verdict from moto for the same entries.
        boto = events.put_events(Entries=entries)
        self.assertEqual(boto["FailedEntryCount"], 1)
        self.assertEqual(boto["Entries"][1]["ErrorCode"], "MalformedDetail")

    def test_put_events_to_a_missing_bus_is_not_found(self):
        entries = [{"Source": "ecssd", "DetailType": "x", "Detail": "{}", "EventBusName": "no-such-bus"}]
        r = self.tool("events", "put-events", "--entries", json.dumps(entries))
        self.assertFalse(r.ok, r)
        self.assertEqual(r.error["code"], "not found")
        self.assertIn("EventBridge PutEvents: HTTP 400 ResourceNotFoundException", r.error["message"])

if __name__ == "__main__":
    unittest.main()
