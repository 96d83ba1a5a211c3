#!/usr/bin/env python3
"""Compares ecssd's SigV4 signer with botocore's on real API requests.

botocore serialises each request exactly as the AWS SDK sends it (Route 53
REST-XML GETs with pagination parameters and a ChangeResourceRecordSets POST,
EventBridge PutEvents and ECS ListTasks in JSON 1.1, EC2 DescribeInstances in
the query protocol). The request as it stands just before signing is handed
to `aws_tool sign`, and both signers run at the same fixed time; the canonical
request, the string to sign, the signature and the Authorization header must
be identical. Nothing is sent over the network: a before-send hook answers.

Usage: botocore_sigv4_compare.py /path/to/aws_tool
"""
import datetime
import json
import subprocess
import sys
from unittest import mock

import boto3
import botocore.auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials

FIXED = datetime.datetime(2024, 5, 6, 7, 8, 9)
FIXED_ISO = "2024-05-06T07:08:09Z"


class _Raw:
    def stream(self, **_):
        return iter([b""])


def capture(service, region, call, endpoint_url=None, token="FwoGZXIvYXdzEXAMPLEsessiontoken/+="):
    """Returns the request botocore signs for `call(client)`, as it was just
    before signing, plus the Authorization header botocore produced."""
    snap = {}

    def before_sign(request, **_):
        snap["method"] = request.method
        snap["url"] = request.url
        snap["headers"] = [(k, v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()]
        body = request.body
        snap["body"] = body.decode() if isinstance(body, bytes) else (body or "")

    def before_send(request, **_):
        snap["authorization"] = request.headers["Authorization"].decode()
        return AWSResponse(request.url, 400, {}, _Raw())

    session = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE",
                                    aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                    aws_session_token=token, region_name=region)
    client = session.client(service, endpoint_url=endpoint_url,
                            config=botocore.config.Config(retries={"max_attempts": 0}))
    client.meta.events.register("before-sign", before_sign)
    client.meta.events.register("before-send", before_send)
    with mock.patch("botocore.auth.get_current_datetime", return_value=FIXED):
        try:
            call(client)
        except Exception:  # the canned 400 answer; only the request matters
            pass
    return snap


def botocore_steps(snap, signing_name, region, token):
    """botocore's own canonical request, string to sign and signature for the
    captured request (the steps SigV4Auth.add_auth runs)."""
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    auth = botocore.auth.SigV4Auth(creds, signing_name, region)
    req = AWSRequest(method=snap["method"], url=snap["url"], headers=dict(snap["headers"]),
                     data=snap["body"].encode())
    req.context["timestamp"] = FIXED.strftime(botocore.auth.SIGV4_TIMESTAMP)
    auth._modify_request_before_signing(req)
    cr = auth.canonical_request(req)
    sts = auth.string_to_sign(req, cr)
    sig = auth.signature(sts, req)
    return cr, sts, sig


def ecssd_steps(tool, snap, signing_name, region, token):
    payload = {"method": snap["method"], "url": snap["url"], "headers": snap["headers"], "body": snap["body"],
               "access_key_id": "AKIDEXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
               "session_token": token or "", "service": signing_name, "region": region, "time": FIXED_ISO}
    out = subprocess.run([tool, "sign"], input=json.dumps(payload), capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


CHANGE_BATCH = {"Comment": "ecssd agent host-1",
                "Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
                    "Name": "web.example.com.", "Type": "A", "SetIdentifier": "host-1 web", "Weight": 1, "TTL": 60,
                    "ResourceRecords": [{"Value": "10.0.0.5"}]}},
                            {"Action": "DELETE", "ResourceRecordSet": {
                                "Name": "*.old.example.com.", "Type": "SRV", "TTL": 30,
                                "ResourceRecords": [{"Value": "1 1 8080 host-1.example.com."}]}}]}

CASES = [
    ("route53 ListHostedZonesByName", "route53", "route53", "us-east-1", None,
     lambda c: c.list_hosted_zones_by_name(DNSName="example.com.", MaxItems="1")),
    ("route53 ListResourceRecordSets (pagination)", "route53", "route53", "us-east-1", None,
     lambda c: c.list_resource_record_sets(HostedZoneId="Z0123456789ABC", StartRecordName="*.example.com.",
                                           StartRecordType="SRV", StartRecordIdentifier="host-1 web/80",
                                           MaxItems="300")),
    ("route53 ChangeResourceRecordSets (XML body)", "route53", "route53", "us-east-1", None,
     lambda c: c.change_resource_record_sets(HostedZoneId="Z0123456789ABC", ChangeBatch=CHANGE_BATCH)),
    ("route53 through an endpoint override with a port", "route53", "route53", "us-east-1",
     "http://127.0.0.1:5000",
     lambda c: c.list_resource_record_sets(HostedZoneId="Z1", StartRecordName="a b.example.com.")),
    ("events PutEvents (JSON 1.1)", "events", "events", "eu-west-1", None,
     lambda c: c.put_events(Entries=[{"Source": "ecssd", "DetailType": "Service Record Changed",
                                      "Detail": json.dumps({"name": "web", "targets": ["10.0.0.5:80"]}),
                                      "EventBusName": "ecssd"}])),
    ("ecs ListTasks (JSON 1.1)", "ecs", "ecs", "ap-southeast-2", None,
     lambda c: c.list_tasks(cluster="prod", serviceName="web", desiredStatus="RUNNING", nextToken="abc/def==")),
    ("ec2 DescribeInstances (query)", "ec2", "ec2", "eu-central-1", None,
     lambda c: c.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["web 1", "a&b=c"]}],
                                    MaxResults=1000)),
]


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    tool = sys.argv[1]
    failures = 0
    for token in ("FwoGZXIvYXdzEXAMPLEsessiontoken/+=", None):
        for name, service, signing_name, region, endpoint, call in CASES:
            label = f"{name} ({'session token' if token else 'long-term keys'})"
            snap = capture(service, region, call, endpoint_url=endpoint, token=token)
            cr, sts, sig = botocore_steps(snap, signing_name, region, token)
            ours = ecssd_steps(tool, snap, signing_name, region, token)
            ours_auth = dict((k.lower(), v) for k, v in ours["headers"])["authorization"]
            checks = [("canonical request", cr, ours["canonical_request"]),
                      ("string to sign", sts, ours["string_to_sign"]),
                      ("signature", sig, ours["signature"]),
                      ("Authorization (botocore client)", snap["authorization"], ours_auth)]
            bad = [(what, b, o) for what, b, o in checks if b != o]
            if bad:
                failures += 1
                print(f"FAIL {label}")
                for what, b, o in bad:
                    print(f"  {what} differs:\n  botocore:\n{b}\n  ecssd:\n{o}")
            else:
                print(f"ok   {label}: {snap['method']} {snap['url'][:90]} signed {ours['signed_headers']}")
    total = 2 * len(CASES)
    print(f"{total - failures}/{total} requests signed identically")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
