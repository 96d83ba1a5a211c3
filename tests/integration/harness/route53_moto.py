"""moto_server for the Route 53 provider tests, and a driver for
tests/tools/route53_pipe. The server is harness/moto.py's, with raw() added.
Everything here talks to 127.0.0.1 only.
"""
import http.client
import json
import os
import subprocess
import tempfile
import time
import urllib.parse
import uuid

from harness.moto import MotoServer as _MotoServer

# moto picks the service from the SigV4 credential scope and does not verify
# Route 53 signatures (ENVIRONMENT.md), so a well-formed header routes the
# request. Signing itself is tested against the AWS vectors and botocore.
_AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/route53/aws4_request, "
         "SignedHeaders=host;x-amz-date, Signature=0")


class MotoServer(_MotoServer):
    """harness/moto.py's private moto_server, plus unsigned-but-routable requests."""

    def raw(self, method, path, body=None):
        """One unsigned-but-routable request; returns (status, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request(method, path, body=body, headers={"Authorization": _AUTH, "X-Amz-Date": "20260101T000000Z"})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, data


class Route53Pipe:
    """Runs route53_pipe and plays its transport towards moto.

    `inject(request, index)` may return a response dict ({"status", "body"} or
    {"error": "..."} for a transport timeout) to answer a request instead of
    moto; requests holds every request the tool sent.
    """

    def __init__(self, tool, moto):
        self.tool = tool
        self.moto = moto
        self.requests = []
        self.stderr = ""

    def run(self, options, ops, inject=None, timeout=120):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"options": options, "ops": ops}, f)
            spec = f.name
        env = dict(os.environ, AWS_EC2_METADATA_DISABLED="true")
        results = []
        deadline = time.monotonic() + timeout
        try:
            with subprocess.Popen([self.tool, self.moto.url, spec], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env) as proc:
                try:
                    for line in proc.stdout:
                        if time.monotonic() > deadline:
                            raise TimeoutError("route53_pipe ran too long")
                        msg = json.loads(line)
                        if msg["type"] == "result":
                            results.append(msg)
                            continue
                        index = len(self.requests)
                        self.requests.append(msg)
                        answer = inject(msg, index) if inject else None
                        if answer is None:
                            answer = self._forward(msg)
                        proc.stdin.write(json.dumps(answer) + "\n")
                        proc.stdin.flush()
                    proc.stdin.close()
                    self.stderr = proc.stderr.read()
                    proc.wait(30)
                finally:
                    if proc.poll() is None:
                        proc.kill()
        finally:
            os.unlink(spec)
        if proc.returncode != 0:
            raise RuntimeError(f"route53_pipe exited {proc.returncode}: {self.stderr}")
        return results

    def _forward(self, msg):
        url = urllib.parse.urlsplit(msg["url"])
        assert url.hostname == "127.0.0.1", f"refusing non-loopback request to {url.hostname}"
        path = url.path + ("?" + url.query if url.query else "")
        conn = http.client.HTTPConnection("127.0.0.1", url.port, timeout=30)
        headers = {k: v for k, v in msg["headers"]}
        headers.update({"Authorization": _AUTH, "X-Amz-Date": "20260101T000000Z"})
        conn.request(msg["method"], path, body=msg["body"].encode() or None, headers=headers)
        resp = conn.getresponse()
        body = resp.read().decode()
        conn.close()
        return {"status": resp.status, "body": body}


def all_record_sets(r53, zone_id):
    """Every record set of the zone, read with boto3.

    moto cannot resume a listing inside a weighted group (it ignores
    StartRecordIdentifier and repeats the group), so boto3's paginator sees
    duplicates there; large pages, and the first copy of each key, make the
    reading exact.
    """
    out, seen = [], set()
    paginator = r53.get_paginator("list_resource_record_sets")
    for page in paginator.paginate(HostedZoneId=zone_id, PaginationConfig={"PageSize": 5000}):
        for rs in page["ResourceRecordSets"]:
            key = (rs["Name"], rs["Type"], rs.get("SetIdentifier", ""))
            if key not in seen:
                seen.add(key)
                out.append(rs)
    return out


def create_zone(r53, name, private=True):
    """Creates a hosted zone in moto; returns its id (without /hostedzone/)."""
    kwargs = {"Name": name, "CallerReference": uuid.uuid4().hex}
    if private:
        kwargs.update(HostedZoneConfig={"Comment": "ecssd test", "PrivateZone": True},
                      VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"})
    return r53.create_hosted_zone(**kwargs)["HostedZone"]["Id"].split("/")[-1]
