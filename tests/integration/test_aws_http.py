"""ecssd's HTTP client (BeastHttpClient, through tests/tools/aws_tool) against
loopback servers: TLS verification with a private CA given by AWS_CA_BUNDLE
and without it, host-name checks, SNI, keep-alive reuse seen from the server
side, stale pooled connections, the response size bound, timeouts and
malformed answers."""
import tempfile
import unittest

from harness.aws_stubs import HttpTestServer, TestCa, closed_port
from harness.aws_tool import isolated_env, run_aws_tool


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.ca = TestCa(cls.tmp.name)
        cls.cert, cls.key = cls.ca.issue("server", dns_names=("localhost",), ips=("127.0.0.1",))
        cls.wrong_cert, cls.wrong_key = cls.ca.issue("wrong", dns_names=("wrong.example",), ips=())

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def env(self, **extra):
        return isolated_env(self.tmp.name, **extra)

    def test_private_ca_from_aws_ca_bundle_verifies_and_one_connection_serves_all(self):
        with HttpTestServer(cert=self.cert, key=self.key) as server:
            r = run_aws_tool(["http", "--url", server.url + "/hello", "--count", "4"],
                             self.env(AWS_CA_BUNDLE=self.ca.ca_path))
            self.assertTrue(r.ok, r)
            self.assertEqual([x["status"] for x in r.output["results"]], [200] * 4)
            self.assertEqual(r.output["results"][3]["body"], "hello 4")
            self.assertEqual(server.connections, 1, "keep-alive: one TCP connection for all requests")
            self.assertEqual(r.output["stats"]["connections_opened"], 1)
            self.assertEqual(r.output["stats"]["connections_reused"], 3)

    def test_without_the_ca_verification_fails_with_a_clear_error(self):
        with HttpTestServer(cert=self.cert, key=self.key) as server:
            r = run_aws_tool(["http", "--url", server.url + "/"], self.env())
            self.assertFalse(r.ok, r)
            err = r.output["results"][0]["error"]
            self.assertEqual(err["code"], "unavailable")
            self.assertFalse(err["transient"])
            self.assertIn("TLS certificate verification failed for https://127.0.0.1", err["message"])
            self.assertIn("unable to get local issuer certificate", err["message"])
            self.assertIn("AWS_CA_BUNDLE", err["message"])
            self.assertEqual(server.served, 0)

    def test_certificate_for_another_name_is_rejected(self):
        with HttpTestServer(cert=self.wrong_cert, key=self.wrong_key) as server:
            r = run_aws_tool(["http", "--url", server.url + "/"], self.env(AWS_CA_BUNDLE=self.ca.ca_path))
            self.assertFalse(r.ok, r)
            err = r.output["results"][0]["error"]
            self.assertIn("TLS certificate verification failed", err["message"])
            self.assertIn("mismatch", err["message"])
            self.assertEqual(server.served, 0)

    def test_sni_carries_the_host_name(self):
        with HttpTestServer(cert=self.cert, key=self.key) as server:
            r = run_aws_tool(["http", "--url", f"https://localhost:{server.port}/"],
                             self.env(AWS_CA_BUNDLE=self.ca.ca_path))
            self.assertTrue(r.ok, r)
            self.assertEqual(server.sni_names, ["localhost"])
            self.assertEqual(server.requests[0][2]["host"], f"localhost:{server.port}")

    def test_unreadable_ca_bundle_is_reported(self):
        r = run_aws_tool(["http", "--url", "https://127.0.0.1:1/"],
                         self.env(AWS_CA_BUNDLE=self.tmp.name + "/missing.pem"))
        self.assertFalse(r.ok, r)
        self.assertEqual(r.error["code"], "invalid argument")
        self.assertIn("AWS_CA_BUNDLE", r.error["message"])
        self.assertIn("missing.pem", r.error["message"])


class PlainHttpTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def env(self, **extra):
        return isolated_env(self.tmp.name, **extra)

    def test_keep_alive_reuses_one_connection(self):
        with HttpTestServer() as server:
            r = run_aws_tool(["http", "--url", server.url + "/x?a=1", "--count", "5", "--method", "POST",
                              "--body", "payload", "--header", "X-Test: yes"], self.env())
            self.assertTrue(r.ok, r)
            self.assertEqual(server.connections, 1)
            self.assertEqual(len(server.requests), 5)
            method, path, headers = server.requests[0]
            self.assertEqual((method, path), ("POST", "/x?a=1"))
            self.assertEqual(headers["content-length"], "7")
            self.assertEqual(headers["x-test"], "yes")
            self.assertTrue(headers["user-agent"].startswith("ecssd/"))
            self.assertEqual(r.output["idle_connections"], 1)

    def test_connection_the_server_closed_while_idle_is_not_reused(self):
        with HttpTestServer(mode="close_idle") as server:
            r = run_aws_tool(["http", "--url", server.url + "/", "--count", "3"], self.env())
            self.assertTrue(r.ok, r)
            self.assertEqual([x["body"] for x in r.output["results"]], ["hello 1", "hello 2", "hello 3"])
            self.assertEqual(server.connections, 3)

    def test_request_on_a_stale_pooled_connection_is_sent_again(self):
        with HttpTestServer(mode="drop_second") as server:
            r = run_aws_tool(["http", "--url", server.url + "/", "--count", "2"], self.env())
            self.assertTrue(r.ok, r)
            self.assertEqual([x["body"] for x in r.output["results"]], ["hello 1", "hello 2"])
            self.assertEqual(r.output["stats"]["stale_retries"], 1)
            self.assertEqual(server.connections, 2)
            self.assertEqual(len(server.requests), 3, "the dropped request, then its retry")

    def test_response_larger_than_the_bound_is_refused(self):
        with HttpTestServer(mode="big", size=17 * 1024 * 1024) as server:
            r = run_aws_tool(["http", "--url", server.url + "/"], self.env())
            self.assertFalse(r.ok, r)
            err = r.output["results"][0]["error"]
            self.assertEqual(err["code"], "too large")
            self.assertIn("exceeds 16777216 bytes", err["message"])

    def test_response_within_the_bound_is_whole(self):
        with HttpTestServer(mode="big", size=3 * 1024 * 1024) as server:
            r = run_aws_tool(["http", "--url", server.url + "/"], self.env())
            self.assertTrue(r.ok, r)
            self.assertEqual(r.output["results"][0]["bytes"], 3 * 1024 * 1024)

    def test_slow_server_times_out(self):
        with HttpTestServer(mode="slow", delay=3) as server:
            r = run_aws_tool(["http", "--url", server.url + "/", "--timeout-ms", "500"], self.env())
            self.assertFalse(r.ok, r)
            err = r.output["results"][0]["error"]
            self.assertEqual(err["code"], "timeout")
            self.assertTrue(err["transient"])
            self.assertIn("timed out after 500 ms", err["message"])
            self.assertLess(r.elapsed, 2.5)

    def test_refused_connection_is_transient_unavailable(self):
        r = run_aws_tool(["http", "--url", f"http://127.0.0.1:{closed_port()}/"], self.env())
        self.assertFalse(r.ok, r)
        err = r.output["results"][0]["error"]
        self.assertEqual(err["code"], "unavailable")
        self.assertTrue(err["transient"])
        self.assertIn("refused", err["message"])

    def test_garbage_answer_is_a_protocol_error(self):
        with HttpTestServer(mode="garbage") as server:
            r = run_aws_tool(["http", "--url", server.url + "/"], self.env())
            self.assertFalse(r.ok, r)
            self.assertEqual(r.output["results"][0]["error"]["code"], "protocol error")

    def test_malformed_url_and_header_injection_are_rejected(self):
        r = run_aws_tool(["http", "--url", "ftp://127.0.0.1/"], self.env())
        self.assertEqual(r.output["results"][0]["error"]["code"], "invalid argument")
        with HttpTestServer() as server:
            r = run_aws_tool(["http", "--url", server.url + "/", "--header", "X-Evil: a\r\nInjected: 1"], self.env())
            self.assertEqual(r.output["results"][0]["error"]["code"], "invalid argument")
            self.assertEqual(server.requests, [])


if __name__ == "__main__":
    unittest.main()
