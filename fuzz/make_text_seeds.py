#!/usr/bin/env python3
"""Writes the hand-made seeds of the text targets into fuzz/corpus/ (the
binary DNS seeds come from make_seeds.cc, the fixtures are copied as they
are). Targets that read their input with FuzzedDataProvider take their
choices from the input's last octets and their strings from its front, so
those seeds are laid out here as each target reads them. Run it by hand:
  python3 fuzz/make_text_seeds.py fuzz/corpus
"""
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus"


def write(target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# duration: flags and SERVICE_<port>_CHECK_TIMEOUT values.
for i, text in enumerate(["500ms", "5s", "5m", "1h", "1h30m", "1m30s", "250us", "0", "1.5s", "2.75m",
                          "10s500ms", "0s", "999999999h", ".5s", "1.s"]):
    write("duration", f"d{i:02d}", text)

# aws_credentials: the ECS/IMDS document, IMDS's role list then the document
# (a string cut by "\\" and one octet), the shared files, timestamps.
doc = ('{"Code":"Success","LastUpdated":"2031-05-06T01:08:09Z","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS",'
       '"SecretAccessKey":"imdssecret","Token":"imdstoken","Expiration":"2031-05-06T07:08:09Z"}')
write("aws_credentials", "imds_document", doc)
write("aws_credentials", "ecs_document", '{"AccessKeyId":"AKIDECS","SecretAccessKey":"s3cr3t","Token":"tok",'
                                         '"Expiration":"2031-05-06T07:08:09.123+02:00","RoleArn":"arn:aws:iam::1:role/r"}')
write("aws_credentials", "failure", '{"Code":"AssumeRoleUnauthorizedAccess","Message":"no"}')
write("aws_credentials", "role_then_document", "ecs-instance-role\n\\Z" + doc)
write("aws_credentials", "credentials_file",
      "# comment\n[default]\naws_access_key_id = AKID\naws_secret_access_key = secret ; note\n\n"
      "[team]\naws_access_key_id=AKID2\n  aws_secret_access_key=x#not-a-comment\naws_session_token = t\n")
write("aws_credentials", "config_file",
      "[default]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 10\n  addressing_style = path\n"
      "[profile dev]\nregion=us-east-1\nrole_arn = arn:aws:iam::1:role/dev\n[sso-session s]\nsso_region = x\n"
      "[dev2]\nregion = y\n")
write("aws_credentials", "timestamp", "2015-08-30T12:36:00Z")

# aws_responses: the body, then (from the end) the call (0 EC2, 1 ListClusters,
# 2 ListTasks, 3 DescribeTasks, 4 StopTask, 5 PutEvents), the status index
# (0-3: 200, 4: 400, 5: 403, 6: 404, 7: 409, 8: 429, 9: 500, 10: 503, 11: 302)
# and two header switches, read last octet first.
def response(body, call, status=0):
    return body.encode() + bytes([0, 0, status, call])


ec2 = ('<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/'
       '2016-11-15/"><requestId>r-1</requestId><reservationSet><item><reservationId>r-0a</reservationId>'
       '<instancesSet><item><instanceId>i-0aaa</instanceId><instanceType>t3.micro</instanceType><instanceState>'
       '<code>16</code><name>running</name></instanceState><privateDnsName>ip-10-0-0-5.internal</privateDnsName>'
       '<privateIpAddress>10.0.0.5</privateIpAddress><placement><availabilityZone>eu-west-1b</availabilityZone>'
       '</placement><vpcId>vpc-1</vpcId><subnetId>subnet-1</subnetId><tagSet><item><key>Name</key><value>web-1'
       '</value></item></tagSet></item></instancesSet></item></reservationSet><nextToken>tok2</nextToken>'
       '</DescribeInstancesResponse>')
write("aws_responses", "ec2_describe_instances", response(ec2, 0))
write("aws_responses", "ec2_error", response('<?xml version="1.0"?><Response><Errors><Error><Code>'
                                             'InvalidInstanceID.NotFound</Code><Message>gone</Message></Error>'
                                             '</Errors><RequestID>req-1</RequestID></Response>', 0, 4))
write("aws_responses", "ecs_list_clusters", response('{"clusterArns":["arn:aws:ecs:us-east-1:1:cluster/a"],'
                                                     '"nextToken":"page2"}', 1))
write("aws_responses", "ecs_list_tasks", response('{"taskArns":["arn:t/1","arn:t/2"]}', 2))
task = ('{"taskArn":"arn:t/1","clusterArn":"arn:c/prod","lastStatus":"RUNNING","desiredStatus":"RUNNING",'
        '"group":"service:web","launchType":"EC2","containers":[{"name":"web","runtimeId":"abc","exitCode":0,'
        '"healthStatus":"HEALTHY","networkBindings":[{"bindIP":"0.0.0.0","containerPort":80,"hostPort":32768,'
        '"protocol":"tcp"}],"networkInterfaces":[{"privateIpv4Address":"10.0.1.5"}]}],"attachments":[{"details":'
        '[{"name":"privateIPv4Address","value":"10.0.1.5"}]}],"tags":[{"key":"team","value":"a"}]}')
write("aws_responses", "ecs_describe_tasks", response('{"tasks":[' + task + '],"failures":[{"arn":"arn:gone",'
                                                      '"reason":"MISSING"}]}', 3))
write("aws_responses", "ecs_stop_task", response('{"task":' + task + '}', 4))
write("aws_responses", "ecs_error_json", response('{"__type":"com.amazonaws.ecs#ClusterNotFoundException",'
                                                  '"message":"Cluster not found."}', 3, 4))
write("aws_responses", "ecs_throttled", response('{"__type":"ThrottlingException","message":"Rate exceeded"}', 2, 8))
write("aws_responses", "events_put", response('{"FailedEntryCount":1,"Entries":[{"EventId":"e1"},{"ErrorCode":'
                                              '"MalformedDetail","ErrorMessage":"Detail is malformed."},'
                                              '{"EventId":"e3"}]}', 5))
write("aws_responses", "error_header_only", b"" + bytes([0, 1, 9, 5]))

# lambda_invocation: the deadline and trace strings from the front, then the
# event; from the end: the status index (0-3: 200), the request id switch
# (non-zero: present), the fixed-id switch, the deadline and trace switches.
def invocation(event, status=0):
    return b"1542409706888\\ZRoot=1-5bef4de7\\Z" + event.encode() + bytes([1, 1, 1, 1, status])


write("lambda_invocation", "scheduled_event", invocation(
    '{"version":"0","id":"53dc4d37","detail-type":"Scheduled Event","source":"aws.events","account":"1",'
    '"time":"2031-05-06T07:08:09Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:1:rule/reap"],'
    '"detail":{}}'))
write("lambda_invocation", "empty_object", invocation("{}"))
write("lambda_invocation", "not_an_object", invocation("[1,2]"))
write("lambda_invocation", "server_error", invocation("boom", status=4))

# service_labels: choices only; any octets are a container.
for i, data in enumerate([b"", b"\x01" * 64, bytes(range(256)), b"web\\Z_calc._tcp\\Z/health\\Z" + bytes(range(0, 256, 7))]):
    write("service_labels", f"s{i}", data)

# tsig_keys: the forms tsig-keygen, keymgr, kdig and pdnsutil write.
secret = "TrpneRf56sCXdxqVreEW2DyJGKdqDoiN0poxeyG6Q14="
write("tsig_keys", "tsig_keygen", 'key "ecssd-key" {\n\talgorithm hmac-sha256;\n\tsecret "' + secret + '";\n};\n')
write("tsig_keys", "bind_two_keys_comments",
      '# made by hand\n// two keys\n/* a\n block */ key agent.example. { algorithm HMAC-SHA512; secret "' + secret +
      '"; };\nkey "reaper" { secret "' + secret + '"; algorithm hmac-sha1; };\n')
write("tsig_keys", "keymgr_yaml", "# hmac-sha512:ecssd-key:" + secret + "\nkey:\n  - id: ecssd-key\n    algorithm: "
      "hmac-sha512\n    secret: " + secret + "\n")
write("tsig_keys", "kdig_line", "hmac-sha384:k1:" + secret + "\n")
write("tsig_keys", "bare_line", "k2:" + secret)
write("tsig_keys", "pdnsutil_list", "ecssd-key. hmac-sha224. " + secret + "\nother. hmac-sha256. " + secret + "\n")
write("tsig_keys", "pdnsutil_generate", "Create new TSIG key k3 hmac-sha512 " + secret + "\n")
write("tsig_keys", "missing_semicolon", 'key "k" { algorithm hmac-sha256; secret "' + secret + '" };')
