"""The real credential chain and IMDSv2 client (through tests/tools/aws_tool)
fed by loopback stubs: an IMDSv2 stub and an ECS credentials stub. Checks the
SDK order, the token handshakes, one fetch for concurrent callers, failing
fast off EC2, and the error that names every source."""
import hashlib
import os
import tempfile
import unittest

from harness.aws_stubs import EcsCredentialsStub, ImdsStub, closed_port
from harness.aws_tool import isolated_env, run_aws_tool


def sha256(s):
    return hashlib.sha256(s.encode()).hexdigest()


class CredentialChainTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.imds = ImdsStub().start()
        self.addCleanup(self.imds.stop)
        self.ecs = EcsCredentialsStub(token="Bearer task-secret-token").start()
        self.addCleanup(self.ecs.stop)

    def env(self, **extra):
        return isolated_env(self.tmp.name, **extra)

    def imds_env(self, **extra):
        return self.env(AWS_EC2_METADATA_DISABLED="false", AWS_EC2_METADATA_SERVICE_ENDPOINT=self.imds.url, **extra)

    def assert_credentials(self, output, creds):
        self.assertEqual(output["access_key_id"], creds["AccessKeyId"])
        self.assertEqual(output["secret_sha256"], sha256(creds["SecretAccessKey"]))
        self.assertEqual(output["token_sha256"], sha256(creds["Token"]))
        self.assertEqual(output["expiration"], creds["Expiration"])

    def test_instance_role_over_imdsv2(self):
        r = run_aws_tool(["credentials"], self.imds_env())
        self.assertTrue(r.ok, r)
        self.assert_credentials(r.output, self.imds.credentials)
        self.assertEqual(r.output["source"], "EC2 instance role ecssd-test-role")
        methods = [(m, p) for m, p, _ in self.imds.requests]
        self.assertEqual(methods, [("PUT", "/latest/api/token"),
                                   ("GET", "/latest/meta-data/iam/security-credentials/"),
                                   ("GET", "/latest/meta-data/iam/security-credentials/ecssd-test-role")])
        self.assertEqual(self.imds.token_ttls, [21600])
        for _, _, headers in self.imds.requests[1:]:
            self.assertEqual(headers["x-aws-ec2-metadata-token"], self.imds.tokens[0])

    def test_concurrent_callers_share_one_fetch(self):
        r = run_aws_tool(["credentials", "--concurrent", "8"], self.imds_env())
        self.assertTrue(r.ok, r)
        self.assertEqual(r.output["fetches"], 1)
        self.assertEqual(self.imds.credential_fetches(), 1)
        self.assertEqual(len(self.imds.tokens), 1)

    def test_ecs_full_uri_with_authorization_token(self):
        r = run_aws_tool(["credentials"], self.imds_env(AWS_CONTAINER_CREDENTIALS_FULL_URI=self.ecs.full_uri,
                                                        AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer task-secret-token"))
        self.assertTrue(r.ok, r)
        self.assert_credentials(r.output, self.ecs.credentials)
        self.assertEqual(r.output["source"], "ECS container credentials endpoint")
        self.assertEqual(len(self.ecs.requests), 1)
        self.assertEqual(self.ecs.requests[0][2]["authorization"], "Bearer task-secret-token")
        self.assertEqual(self.imds.requests, [], "the container endpoint comes before the instance role")

    def test_ecs_token_file(self):
        path = os.path.join(self.tmp.name, "token")
        with open(path, "w") as f:
            f.write("Bearer task-secret-token\n")
        r = run_aws_tool(["credentials"], self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=self.ecs.full_uri,
                                                   AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=path))
        self.assertTrue(r.ok, r)
        self.assert_credentials(r.output, self.ecs.credentials)

    def test_ecs_wrong_token_is_a_clear_permission_error(self):
        r = run_aws_tool(["credentials"], self.imds_env(AWS_CONTAINER_CREDENTIALS_FULL_URI=self.ecs.full_uri,
                                                        AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer wrong"))
        self.assertFalse(r.ok, r)
        self.assertEqual(r.error["code"], "permission denied")
        self.assertIn("ECS container credentials endpoint answered HTTP 403", r.error["message"])
        self.assertIn("invalid authorization token", r.error["message"])
        self.assertIn("AWS_CONTAINER_AUTHORIZATION_TOKEN", r.error["message"])
        self.assertEqual(self.imds.requests, [], "a configured but failing source stops the chain")

    def test_ecs_plain_http_to_a_remote_host_is_refused(self):
        r = run_aws_tool(["credentials"], self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI="http://192.0.2.1/creds"))
        self.assertFalse(r.ok, r)
        self.assertEqual(r.error["code"], "invalid argument")
        self.assertIn("must use https", r.error["message"])

    def test_environment_comes_first_and_nothing_else_is_asked(self):
        r = run_aws_tool(["credentials"], self.imds_env(AWS_ACCESS_KEY_ID="AKIDENVIRONMENT",
                                                        AWS_SECRET_ACCESS_KEY="env-secret",
                                                        AWS_CONTAINER_CREDENTIALS_FULL_URI=self.ecs.full_uri))
        self.assertTrue(r.ok, r)
        self.assertEqual(r.output["access_key_id"], "AKIDENVIRONMENT")
        self.assertEqual(r.output["secret_sha256"], sha256("env-secret"))
        self.assertEqual(r.output["source"], "environment variables")
        self.assertEqual(self.imds.requests, [])
        self.assertEqual(self.ecs.requests, [])

    def test_shared_files_come_before_the_container_endpoint(self):
        os.makedirs(os.path.join(self.tmp.name, ".aws"))
        with open(os.path.join(self.tmp.name, ".aws", "credentials"), "w") as f:
            f.write("[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = d\n"
                    "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = dev-secret\n")
        r = run_aws_tool(["credentials"], self.imds_env(AWS_PROFILE="dev",
                                                        AWS_CONTAINER_CREDENTIALS_FULL_URI=self.ecs.full_uri))
        self.assertTrue(r.ok, r)
        self.assertEqual(r.output["access_key_id"], "AKIDDEV")
        self.assertIn('profile "dev"', r.output["source"])
        self.assertEqual(self.ecs.requests, [])

    def test_no_source_names_every_source_tried(self):
        r = run_aws_tool(["credentials"], self.env())
        self.assertFalse(r.ok, r)
        self.assertEqual(r.error["code"], "permission denied")
        message = r.error["message"]
        for part in ("no AWS credentials found", "environment variables", "shared credentials/config files",
                     "ECS container credentials endpoint", "EC2 instance metadata", "AWS_ACCESS_KEY_ID",
                     "~/.aws/credentials", "AWS_PROFILE", "instance role"):
            self.assertIn(part, message)
        self.assertLess(r.elapsed, 1.0, "IMDS disabled: nothing to wait for")


class InstanceMetadataTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def env(self, **extra):
        return isolated_env(self.tmp.name, **extra)

    def test_metadata_items_with_one_token(self):
        with ImdsStub() as imds:
            r = run_aws_tool(["imds"], self.env(AWS_EC2_METADATA_DISABLED="false",
                                                AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url))
            self.assertTrue(r.ok, r)
            self.assertEqual(r.output["instance-id"], "i-0abc123def4567890")
            self.assertEqual(r.output["local-hostname"], "ip-10-1-2-3.eu-west-1.compute.internal")
            self.assertEqual(r.output["local-ipv4"], "10.1.2.3")
            self.assertEqual(r.output["placement/region"], "eu-west-1")
            self.assertEqual(len(imds.tokens), 1)

    def test_region_from_imds_only_when_not_configured(self):
        with ImdsStub(region="ap-southeast-2") as imds:
            env = self.env(AWS_EC2_METADATA_DISABLED="false", AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url)
            r = run_aws_tool(["region"], env)
            self.assertTrue(r.ok, r)
            self.assertEqual(r.output["region"], "ap-southeast-2")
            asked = len(imds.requests)
            r = run_aws_tool(["region"], dict(env, AWS_REGION="eu-north-1"))
            self.assertEqual(r.output["region"], "eu-north-1")
            self.assertEqual(len(imds.requests), asked, "AWS_REGION set: IMDS not asked")

    def test_disabled_sends_nothing_and_says_why(self):
        with ImdsStub() as imds:
            r = run_aws_tool(["imds"], self.env(AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url))
            self.assertFalse(r.ok, r)
            self.assertIn("AWS_EC2_METADATA_DISABLED", r.output["instance-id"]["error"]["message"])
            self.assertEqual(imds.requests, [])

    def test_off_ec2_fails_fast(self):
        # Nothing listens: refused twice (one retry), then every later item
        # fails from the remembered failure.
        r = run_aws_tool(["imds"], self.env(AWS_EC2_METADATA_DISABLED="false",
                                            AWS_EC2_METADATA_SERVICE_ENDPOINT=f"http://127.0.0.1:{closed_port()}"))
        self.assertFalse(r.ok, r)
        err = r.output["instance-id"]["error"]
        self.assertEqual(err["code"], "unavailable")
        self.assertIn("not reachable (not running on EC2?)", err["message"])
        self.assertLess(r.output["elapsed_ms"], 500)

    def test_silent_service_is_bounded_by_one_second_and_one_retry(self):
        with ImdsStub(delay=5) as imds:
            r = run_aws_tool(["imds"], self.env(AWS_EC2_METADATA_DISABLED="false",
                                                AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url))
            self.assertFalse(r.ok, r)
            self.assertEqual(r.output["instance-id"]["error"]["code"], "timeout")
            # 2 x 1 s for the first item, then the remembered failure for the others.
            self.assertGreaterEqual(r.output["elapsed_ms"], 1900)
            self.assertLess(r.output["elapsed_ms"], 3500)
            self.assertEqual([m for m, _, _ in imds.requests], ["PUT", "PUT"])


if __name__ == "__main__":
    unittest.main()
