"""deploy/cloudformation/ecssd.yaml: cfn-lint finds nothing (errors, warnings
or informational); the stack deploys into moto_server's CloudFormation in
both AgentMode values (create-stack reaches CREATE_COMPLETE) and the aws CLI
finds the zone, the roles and their policies, the launch template, the Auto
Scaling group, the cluster, the function, its schedule and permission. The
user data moto stored for the launch template runs in a clean Debian 12 root
against a stub of the artifact bucket (a loopback HTTP server; nothing leaves
the machine), and leaves the agent installed from the tarball, configured
for the stack's zone and its unit enabled.

moto's CloudFormation creates these resources but keeps only part of their
properties: it makes the hosted zone public without its VPC, the ECS
service's strategy REPLICA, the task definition without network mode or task
role, and attaches no AWS managed policy. Those properties are checked on
the template itself (cfn-lint's parser), everything moto keeps is checked on
what moto made.
"""
import ast
import base64
import http.server
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import unittest

from cfnlint.decode import cfn_yaml

from harness.dockerd import Dockerd
from harness.moto import MotoServer
from harness.roots import dist_dir, import_root

ROOT = os.environ.get("ECSSD_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TEMPLATE = os.path.join(ROOT, "deploy", "cloudformation", "ecssd.yaml")
POLICIES = os.path.join(ROOT, "deploy", "iam")
VERSION = os.environ.get("ECSSD_VERSION", "0.1.0")
TARBALL = os.path.join(dist_dir(), "ecssd-%s-linux-x86_64.tar.gz" % VERSION)
LAMBDA_ZIP = os.path.join(dist_dir(), "ecssd-lambda-%s.zip" % VERSION)
BUCKET = "ecssd-artifacts"
TARBALL_KEY = "ecssd/ecssd-%s-linux-x86_64.tar.gz" % VERSION
ZIP_KEY = "ecssd/ecssd-lambda-%s.zip" % VERSION
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ecssd:%s" % VERSION
EVENT_BUS = "ecssd-events"

# A stand-in for the AWS CLI in the clean root: `aws s3 cp s3://BUCKET/KEY DEST`
# as the user data calls it, fetched from the stub bucket on loopback with
# bash's /dev/tcp (the root has no HTTP client). Anything else fails.
AWS_SHIM = r"""#!/bin/bash
set -euo pipefail
[ "${1:-} ${2:-}" = "s3 cp" ] || { echo "aws (test stand-in): only s3 cp, not: $*" >&2; exit 2; }
shift 2
files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --only-show-errors) shift ;;
    --region) region=$2; shift 2 ;;
    -*) echo "aws (test stand-in): unknown option $1" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
  esac
done
src=${files[0]}; dest=${files[1]}
[[ $src == s3://* ]] || { echo "aws (test stand-in): not an S3 URL: $src" >&2; exit 2; }
exec 3<>"/dev/tcp/127.0.0.1/$STUB_BUCKET_PORT"
printf 'GET /%s HTTP/1.0\r\nHost: s3.%s.amazonaws.com\r\n\r\n' "${src#s3://}" "${region:-none}" >&3
IFS= read -r status <&3
case "$status" in "HTTP/1."?" 200"*) ;; *) echo "aws (test stand-in): $status" >&2; exit 1 ;; esac
while IFS= read -r line <&3; do [ -z "${line%$'\r'}" ] && break; done
cat <&3 >"$dest"
"""

CHECKS = r"""
echo "== version"; ecssd version
echo "== enabled"; systemctl is-enabled ecssd-agent.service
echo "== wants"; readlink /etc/systemd/system/multi-user.target.wants/ecssd-agent.service
echo "== unit"; grep -E '^(Type|ExecStart|EnvironmentFile)=' /etc/systemd/system/ecssd-agent.service
echo "== default"; grep -v '^#' /etc/default/ecssd
echo "== ecs"; cat /etc/ecs/ecs.config
echo "== dropin"; grep -E '^(Wants|After)=' /etc/systemd/system/ecs.service.d/ecssd.conf
echo "== docker"; grep -E '^Wants=' /etc/systemd/system/ecssd-agent.service.d/docker.conf
echo "== reap"; systemctl is-enabled ecssd-reap.timer || true
echo "== end"
"""


def sections(text):
    out, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^== (.*)$", line)
        if m:
            current = m.group(1)
            out[current] = []
        elif current:
            out[current].append(line)
    return out


class StubBucket:
    """GET /<bucket>/<key> on loopback, for the objects it is given; records every request."""

    def __init__(self, objects):
        self.objects = objects
        self.requests = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                stub.requests.append((self.command, self.path, self.headers.get("Host")))
                data = stub.objects.get(self.path)
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def with_values(doc, values):
    """deploy/iam's policy with its ${...} placeholders filled in."""
    return json.loads(re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], json.dumps(doc)))


class CloudFormationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for path in (TARBALL, LAMBDA_ZIP):
            if not os.path.exists(path):
                raise AssertionError("%s missing: build the dist target" % path)
        cls.moto = MotoServer().start()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.env = cls.moto.env(HOME=cls.tmp.name)
        ec2 = cls.moto.client("ec2")
        cls.vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        cls.subnets = [ec2.create_subnet(VpcId=cls.vpc, CidrBlock="10.0.%d.0/24" % i,
                                         AvailabilityZone="us-east-1" + z)["Subnet"]["SubnetId"]
                       for i, z in ((1, "a"), (2, "b"))]
        s3 = cls.moto.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.upload_file(LAMBDA_ZIP, BUCKET, ZIP_KEY)
        s3.upload_file(TARBALL, BUCKET, TARBALL_KEY)
        cls.template = cfn_yaml.load(TEMPLATE)
        cls.stacks = {}

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()
        cls.tmp.cleanup()

    def aws(self, *args):
        """The aws CLI against moto; the parsed JSON it prints."""
        r = subprocess.run(["aws", "--endpoint-url", self.moto.url, "--output", "json", *args], env=self.env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, "aws %s: %s" % (" ".join(args), r.stderr))
        return json.loads(r.stdout) if r.stdout.strip() else None

    def deploy(self, mode, zone):
        """create-stack in `mode`, waits for its end; (outputs, {logical id: physical id})."""
        if mode in self.stacks:
            return self.stacks[mode]
        params = [{"ParameterKey": k, "ParameterValue": v} for k, v in (
            ("VpcId", self.vpc), ("SubnetIds", ",".join(self.subnets)), ("ZoneName", zone),
            ("AgentMode", mode), ("AgentImage", IMAGE if mode == "daemon" else ""), ("ArtifactBucket", BUCKET),
            ("AgentTarballKey", TARBALL_KEY), ("LambdaZipKey", ZIP_KEY), ("DesiredCapacity", "2"),
            # The daemon stack sends container events: AgentEventsPolicy exists there.
            ("EventBusName", EVENT_BUS if mode == "daemon" else ""))]
        params_file = os.path.join(self.tmp.name, "params-%s.json" % mode)
        with open(params_file, "w") as f:
            json.dump(params, f)
        name = "ecssd-" + mode
        self.aws("cloudformation", "create-stack", "--stack-name", name, "--template-body", "file://" + TEMPLATE,
                 "--parameters", "file://" + params_file, "--capabilities", "CAPABILITY_IAM")
        deadline = time.monotonic() + 120
        while True:
            stack = self.aws("cloudformation", "describe-stacks", "--stack-name", name)["Stacks"][0]
            if not stack["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(stack["StackStatus"], "CREATE_COMPLETE", stack.get("StackStatusReason"))
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        resources = {r["LogicalResourceId"]: r.get("PhysicalResourceId") for r in self.aws(
            "cloudformation", "list-stack-resources", "--stack-name", name)["StackResourceSummaries"]}
        self.stacks[mode] = (outputs, resources)
        return self.stacks[mode]

    # --- the template

    def test_cfn_lint_finds_nothing(self):
        r = subprocess.run(["cfn-lint", "--format", "parseable", "--include-checks", "I", "--", TEMPLATE],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, ""), r.stdout + r.stderr)

    def test_template_properties_moto_does_not_keep(self):
        res = self.template["Resources"]
        params = self.template["Parameters"]
        self.assertEqual(params["ImageId"]["Type"], "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>")
        self.assertEqual(params["ImageId"]["Default"],
                         "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id")
        self.assertEqual(params["AgentMode"]["AllowedValues"], ["host", "daemon"])
        self.assertEqual(params["AgentMode"]["Default"], "host")
        self.assertEqual(res["HostedZone"]["Properties"]["VPCs"],
                         [{"VPCId": {"Ref": "VpcId"}, "VPCRegion": {"Ref": "AWS::Region"}}])
        self.assertEqual(res["InstanceRole"]["Properties"]["ManagedPolicyArns"],
                         [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/"
                                      "AmazonEC2ContainerServiceforEC2Role"}])
        self.assertEqual(res["ReaperRole"]["Properties"]["ManagedPolicyArns"],
                         [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/"
                                      "AWSLambdaBasicExecutionRole"}])
        service = res["AgentDaemonService"]
        self.assertEqual(service["Condition"], "DaemonMode")
        self.assertEqual(service["Properties"]["SchedulingStrategy"], "DAEMON")
        task = res["AgentTaskDefinition"]["Properties"]
        self.assertEqual(task["NetworkMode"], "host")
        self.assertEqual(task["TaskRoleArn"], {"Fn::GetAtt": ["AgentTaskRole", "Arn"]})
        self.assertNotIn("LaunchConfiguration", json.dumps(res))
        # User data as moto (and CloudFormation) accept it: Fn::Base64 of an Fn::Sub string.
        user_data = res["LaunchTemplate"]["Properties"]["LaunchTemplateData"]["UserData"]
        self.assertEqual(list(user_data), ["Fn::Base64"])
        self.assertIsInstance(user_data["Fn::Base64"]["Fn::Sub"], str)

    # --- deployed into moto

    def check_common(self, mode, zone):
        outputs, resources = self.deploy(mode, zone)
        self.assertEqual(outputs["ZoneName"], zone)
        self.assertEqual(outputs["AgentMode"], mode)
        zone_id = outputs["HostedZoneId"]
        # (moto names a zone made by CloudFormation without the final dot, which
        # hides it from list-hosted-zones-by-name)
        zones = self.aws("route53", "list-hosted-zones")["HostedZones"]
        self.assertEqual([z["Id"].split("/")[-1] for z in zones if z["Name"].rstrip(".") == zone], [zone_id])
        got = self.aws("route53", "get-hosted-zone", "--id", zone_id)["HostedZone"]
        self.assertEqual(got["Name"].rstrip("."), zone)
        cluster = outputs["ClusterName"]
        clusters = self.aws("ecs", "describe-clusters", "--clusters", cluster)["clusters"]
        self.assertEqual([c["status"] for c in clusters], ["ACTIVE"])

        lt_id = outputs["LaunchTemplateId"]
        lt = self.aws("ec2", "describe-launch-template-versions", "--launch-template-id", lt_id)
        data = lt["LaunchTemplateVersions"][0]["LaunchTemplateData"]
        self.assertEqual(data["MetadataOptions"]["HttpTokens"], "required", "IMDSv2 only")
        self.assertTrue(data["ImageId"].startswith("ami-"), "the SSM parameter resolved")
        self.assertEqual(data["InstanceType"], "t3.medium")
        profile = data["IamInstanceProfile"]["Arn"].split("/")[-1]
        iam = self.moto.client("iam")
        user_data = base64.b64decode(data["UserData"]).decode()
        self.assertIn("ECS_CLUSTER=%s\n" % cluster, user_data)

        asg = self.aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names",
                       outputs["AutoScalingGroupName"])["AutoScalingGroups"][0]
        self.assertEqual(asg["LaunchTemplate"]["LaunchTemplateId"], lt_id)
        self.assertEqual(asg["DesiredCapacity"], 2)
        self.assertEqual(sorted(asg["VPCZoneIdentifier"].split(",")), sorted(self.subnets))

        roles = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"]
        instance_role = roles[0]["RoleName"]
        self.assertEqual(instance_role, resources["InstanceRole"])
        self.assertIn("ec2.amazonaws.com", json.dumps(self.aws("iam", "get-role", "--role-name", instance_role)))

        # The reaper: function, role and policy, schedule, permission.
        fn = self.aws("lambda", "get-function", "--function-name", outputs["ReaperFunctionName"])
        config = fn["Configuration"]
        self.assertEqual((config["Runtime"], config["Handler"], config["Timeout"]), ("provided.al2023", "bootstrap",
                                                                                    120))
        self.assertEqual(config["Environment"]["Variables"], {
            "ECSSD_PROVIDER": "route53", "ECSSD_ZONE": zone, "ECSSD_ZONE_ID": zone_id, "ECSSD_ECS_CLUSTER": cluster,
            "ECSSD_LOG_FORMAT": "json"})
        self.assertEqual(fn["Concurrency"]["ReservedConcurrentExecutions"], 1)
        reaper_role = config["Role"].split("/")[-1]
        self.assertEqual(reaper_role, resources["ReaperRole"])
        self.assertIn("lambda.amazonaws.com", json.dumps(self.aws("iam", "get-role", "--role-name", reaper_role)))
        doc = iam.get_role_policy(RoleName=reaper_role, PolicyName="ecssd-reaper")["PolicyDocument"]
        cluster_arn = clusters[0]["clusterArn"]
        with open(os.path.join(POLICIES, "reaper-policy.json")) as f:
            expected = with_values(json.load(f), {"ZoneId": zone_id, "Region": "us-east-1",
                                                  "AccountId": "123456789012", "ClusterName": cluster})
        self.assertEqual(self.policy(doc), expected)
        self.assertEqual(cluster_arn, "arn:aws:ecs:us-east-1:123456789012:cluster/" + cluster)

        rule_arn = outputs["ReaperScheduleArn"]
        rule_name = rule_arn.split("/")[-1]
        rule = self.aws("events", "describe-rule", "--name", rule_name)
        self.assertEqual((rule["ScheduleExpression"], rule["State"]), ("rate(5 minutes)", "ENABLED"))
        targets = self.moto.client("events").list_targets_by_rule(Rule=rule_name)["Targets"]
        self.assertEqual([t["Arn"] for t in targets], [config["FunctionArn"]])
        permission = json.loads(self.moto.client("lambda").get_policy(
            FunctionName=outputs["ReaperFunctionName"])["Policy"])["Statement"]
        self.assertEqual([(p["Principal"], p["Action"], p["Condition"]["ArnLike"]["AWS:SourceArn"])
                          for p in permission],
                         [({"Service": "events.amazonaws.com"}, "lambda:InvokeFunction", rule_arn)])
        return outputs, resources, instance_role, user_data

    @staticmethod
    def policy(document):
        """A policy document as moto returns it (JSON, or a Python repr for inline role policies)."""
        if isinstance(document, str):
            try:
                return json.loads(document)
            except ValueError:
                return ast.literal_eval(document)
        return document

    def attached_documents(self, role):
        iam = self.moto.client("iam")
        docs = {}
        for p in self.aws("iam", "list-attached-role-policies", "--role-name", role)["AttachedPolicies"]:
            version = iam.get_policy(PolicyArn=p["PolicyArn"])["Policy"]["DefaultVersionId"]
            doc = iam.get_policy_version(PolicyArn=p["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]
            docs[p["PolicyName"]] = self.policy(doc)
        return docs

    def agent_policies(self, zone, zone_id, bus=None):
        """agent-policy.json as the stack splits it: the zone's statements, and
        (with an EventBusName) the event bus's in a policy of its own."""
        with open(os.path.join(POLICIES, "agent-policy.json")) as f:
            policy = with_values(json.load(f), {"ZoneId": zone_id, "ZoneName": zone, "Region": "us-east-1",
                                                "AccountId": "123456789012", "EventBusName": bus or ""})
        events = [s for s in policy["Statement"] if s["Sid"] == "SendContainerEventsToTheBus"]
        zone_only = dict(policy, Statement=[s for s in policy["Statement"] if s not in events])
        return [zone_only] + ([dict(policy, Statement=events)] if bus else [])

    def test_host_mode(self):
        zone = "sd-host.internal"
        outputs, resources, role, user_data = self.check_common("host", zone)
        # The agent's policy on the instance role, scoped to the stack's zone, and the tarball readable.
        docs = self.attached_documents(role)
        self.assertEqual(list(docs.values()), self.agent_policies(zone, outputs["HostedZoneId"]))
        inline = self.moto.client("iam").get_role_policy(RoleName=role, PolicyName="ecssd-agent-tarball")
        statement = self.policy(inline["PolicyDocument"])["Statement"]
        self.assertEqual(statement, [{"Sid": "ReadTheAgentTarball", "Effect": "Allow", "Action": "s3:GetObject",
                                      "Resource": "arn:aws:s3:::%s/%s" % (BUCKET, TARBALL_KEY)}])
        self.assertNotIn("AgentDaemonService", [k for k, v in resources.items() if v])
        self.assertIn('"s3://%s/%s"' % (BUCKET, TARBALL_KEY), user_data)

    def test_daemon_mode(self):
        zone = "sd-daemon.internal"
        outputs, resources, role, _ = self.check_common("daemon", zone)
        self.assertEqual(self.attached_documents(role), {}, "no agent policy on the instances in daemon mode")
        self.assertEqual(self.moto.client("iam").list_role_policies(RoleName=role)["PolicyNames"], [])
        task_role = resources["AgentTaskRole"]
        self.assertIn("ecs-tasks.amazonaws.com", json.dumps(self.aws("iam", "get-role", "--role-name", task_role)))
        docs = self.attached_documents(task_role)
        expected = self.agent_policies(zone, outputs["HostedZoneId"], EVENT_BUS)
        self.assertEqual(sorted(docs.values(), key=json.dumps), sorted(expected, key=json.dumps))
        services = self.aws("ecs", "list-services", "--cluster", outputs["ClusterName"])["serviceArns"]
        self.assertEqual(services, [resources["AgentDaemonService"]])
        task = self.aws("ecs", "describe-task-definition", "--task-definition",
                        resources["AgentTaskDefinition"])["taskDefinition"]
        c = task["containerDefinitions"][0]
        self.assertEqual((c["image"], c["command"], c["user"], c["readonlyRootFilesystem"]),
                         (IMAGE, ["agent"], "0", True))
        self.assertEqual(c["mountPoints"], [{"sourceVolume": "docker-socket", "containerPath": "/var/run/docker.sock",
                                             "readOnly": True}])
        self.assertEqual(c["linuxParameters"]["capabilities"]["drop"], ["ALL"])
        env = {e["name"]: e["value"] for e in c["environment"]}
        self.assertEqual((env["ECSSD_PROVIDER"], env["ECSSD_ZONE"], env["ECSSD_ZONE_ID"], env["ECSSD_EVENTS_BUS"]),
                         ("route53", zone, outputs["HostedZoneId"], EVENT_BUS))
        self.assertEqual(task["volumes"], [{"name": "docker-socket", "host": {"sourcePath": "/var/run/docker.sock"}}])

    # --- the user data, run

    def test_host_user_data_installs_and_enables_the_agent(self):
        outputs, _ = self.deploy("host", "sd-host.internal")
        lt = self.moto.client("ec2").describe_launch_template_versions(LaunchTemplateId=outputs["LaunchTemplateId"])
        user_data = base64.b64decode(lt["LaunchTemplateVersions"][0]["LaunchTemplateData"]["UserData"]).decode()
        folder = os.path.join(self.tmp.name, "userdata")
        os.makedirs(os.path.join(folder, "bin"))
        with open(os.path.join(folder, "user-data"), "w") as f:
            f.write(user_data)
        with open(os.path.join(folder, "bin", "aws"), "w") as f:
            f.write(AWS_SHIM)
        os.chmod(os.path.join(folder, "bin", "aws"), 0o755)
        with open(TARBALL, "rb") as f:
            bucket = StubBucket({"/%s/%s" % (BUCKET, TARBALL_KEY): f.read()})
        try:
            with Dockerd() as d:
                image = import_root(d, "bookworm")
                script = "set -e\nbash /userdata/user-data\n" + CHECKS
                r = subprocess.run([d.cli, "-H", d.docker_host, "run", "--rm", "--network", "host",
                                    "-v", "%s:/userdata:ro" % folder,
                                    "-e", "PATH=/userdata/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                    "-e", "STUB_BUCKET_PORT=%d" % bucket.port, "-e", "AWS_EC2_METADATA_DISABLED=true",
                                    image, "bash", "-c", script], capture_output=True, text=True, timeout=300)
        finally:
            bucket.stop()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        s = sections(r.stdout)
        self.assertIn("end", s, r.stdout + r.stderr)
        self.assertEqual(bucket.requests, [("GET", "/%s/%s" % (BUCKET, TARBALL_KEY), "s3.us-east-1.amazonaws.com")])
        self.assertEqual(s["version"], ["ecssd %s" % VERSION])
        self.assertEqual(s["enabled"], ["enabled"])
        self.assertEqual(s["wants"], ["/etc/systemd/system/ecssd-agent.service"])
        self.assertEqual(s["unit"], ["Type=notify", "EnvironmentFile=-/etc/default/ecssd",
                                     "ExecStart=/usr/local/bin/ecssd agent"])
        self.assertEqual(s["default"], ["ECSSD_PROVIDER=route53", "ECSSD_ZONE=sd-host.internal",
                                        "ECSSD_ZONE_ID=" + outputs["HostedZoneId"], "ECSSD_LOG_FORMAT=json",
                                        "AWS_REGION=us-east-1"])
        self.assertEqual(s["ecs"], ["ECS_CLUSTER=" + outputs["ClusterName"], "ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=true"])
        self.assertEqual(s["dropin"], ["Wants=ecssd-agent.service", "After=ecssd-agent.service"])
        self.assertEqual(s["docker"], ["Wants=docker.service"])
        self.assertEqual(s["reap"], ["disabled"], "the reaper runs as the Lambda function, not on the instances")


if __name__ == "__main__":
    unittest.main()
