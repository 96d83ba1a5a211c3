// SigV4 beyond the test suite: signing an HttpRequest in place, re-signing,
// ports, encodings; plus the URL, timestamp and AWS error helpers it uses.
#include <gtest/gtest.h>

#include "aws/crypto.h"
#include "aws/errors.h"
#include "aws/iso8601.h"
#include "aws/sigv4.h"
#include "aws/url.h"

namespace ecssd::aws {
namespace {

using common::ErrorCode;

const common::SystemTime k20150830 = *parse_iso8601("2015-08-30T12:36:00Z");

Credentials example_creds(std::string token = {}) {
  Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  c.session_token = std::move(token);
  return c;
}

std::string header(const HttpRequest& r, std::string_view name) {
  HttpResponse tmp;
  tmp.headers = r.headers;
  return tmp.header(name);
}

TEST(SigV4Sign, HttpRequestMatchesTheSuitesVanillaCase) {
  // get-vanilla from the suite, expressed as an HttpRequest.
  HttpRequest req;
  req.url = "https://example.amazonaws.com/";
  SigV4Signer signer("service", "us-east-1");
  ASSERT_TRUE(signer.sign(req, example_creds(), k20150830).ok());
  EXPECT_EQ(header(req, "Host"), "example.amazonaws.com");
  EXPECT_EQ(header(req, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(header(req, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Sign, ResigningReplacesEarlierSignatureHeaders) {
  HttpRequest req;
  req.url = "https://example.amazonaws.com/";
  SigV4Signer signer("service", "us-east-1");
  ASSERT_TRUE(signer.sign(req, example_creds("tok1"), k20150830).ok());
  ASSERT_TRUE(signer.sign(req, example_creds("tok2"), k20150830 + std::chrono::seconds(5)).ok());
  int auth = 0, date = 0, token = 0;
  for (const auto& [k, v] : req.headers) {
    auth += k == "Authorization";
    date += k == "X-Amz-Date";
    token += k == "X-Amz-Security-Token";
  }
  EXPECT_EQ(auth, 1);
  EXPECT_EQ(date, 1);
  EXPECT_EQ(token, 1);
  EXPECT_EQ(header(req, "X-Amz-Security-Token"), "tok2");
  EXPECT_EQ(header(req, "X-Amz-Date"), "20150830T123605Z");
}

TEST(SigV4Sign, NonDefaultPortIsPartOfTheHostHeader) {
  HttpRequest req;
  req.url = "http://127.0.0.1:5000/2013-04-01/hostedzone";
  SigV4Signer signer("route53", "us-east-1");
  ASSERT_TRUE(signer.sign(req, example_creds(), k20150830).ok());
  EXPECT_EQ(header(req, "Host"), "127.0.0.1:5000");
  HttpRequest std_port;
  std_port.url = "https://route53.amazonaws.com:443/x";
  ASSERT_TRUE(signer.sign(std_port, example_creds(), k20150830).ok());
  EXPECT_EQ(header(std_port, "Host"), "route53.amazonaws.com");
}

TEST(SigV4Sign, UserAgentIsNotSigned) {
  HttpRequest req;
  req.url = "https://example.amazonaws.com/";
  req.headers = {{"User-Agent", "ecssd/1"}, {"X-Custom", "v"}};
  SigV4Signer signer("service", "us-east-1");
  ASSERT_TRUE(signer.sign(req, example_creds(), k20150830).ok());
  EXPECT_NE(header(req, "Authorization").find("SignedHeaders=host;x-amz-date;x-custom,"), std::string::npos);
}

TEST(SigV4Sign, MalformedUrlIsInvalidArgument) {
  HttpRequest req;
  req.url = "not a url";
  auto s = SigV4Signer("s", "r").sign(req, example_creds(), k20150830);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
}

TEST(SigV4Canonical, PathIsEncodedOnceMoreAndQueryIsNormalised) {
  SigV4Signer signer("route53", "us-east-1");
  // Route 53 record names with a wildcard arrive percent-encoded; AWS signs
  // the encoded path encoded again (every service but S3).
  EXPECT_EQ(signer.canonical_uri("/2013-04-01/hostedzone/Z1/rrset"), "/2013-04-01/hostedzone/Z1/rrset");
  EXPECT_EQ(signer.canonical_uri("/a%20b/c"), "/a%2520b/c");
  EXPECT_EQ(signer.canonical_uri(""), "/");
  EXPECT_EQ(SigV4Signer::canonical_query("name=%5C052.example.com.&type=A&maxitems=2"),
            "maxitems=2&name=%5C052.example.com.&type=A");
  EXPECT_EQ(SigV4Signer::canonical_query("b=2&a=1&a=0&flag"), "a=0&a=1&b=2&flag=");
  EXPECT_EQ(SigV4Signer::canonical_query("k=a+b&s=x y&p=%2f"), "k=a%2Bb&p=%2F&s=x%20y");
  EXPECT_EQ(SigV4Signer::canonical_query(""), "");
}

TEST(Url, ParsesWhatTheClientsSend) {
  auto u = parse_url("https://Route53.AmazonAWS.com/2013-04-01/hostedzonesbyname?dnsname=x.&maxitems=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "route53.amazonaws.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->authority, "route53.amazonaws.com");
  EXPECT_EQ(u->path, "/2013-04-01/hostedzonesbyname");
  EXPECT_EQ(u->query, "dnsname=x.&maxitems=1");
  EXPECT_EQ(u->origin(), "https://route53.amazonaws.com:443");
  auto v6 = parse_url("http://[::1]:8080");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->authority, "[::1]:8080");
  EXPECT_EQ(v6->path, "/");
  EXPECT_EQ(v6->origin(), "http://[::1]:8080");
  for (const char* bad : {"", "route53.amazonaws.com/x", "ftp://h/", "http:///path", "http://h:99999/", "http://h:0/"}) {
    auto r = parse_url(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(Url, EncodingHelpers) {
  EXPECT_EQ(uri_encode("a b/c~d*é"), "a%20b%2Fc~d%2A%C3%A9");
  EXPECT_EQ(uri_encode("/a b/", true), "/a%20b/");
  EXPECT_EQ(uri_decode("a%20b%2fc+%zz%4"), "a b/c+%zz%4");
  EXPECT_EQ(encode_query({{"Action", "DescribeInstances"}, {"Filter.1.Value.1", "a=b&c"}}),
            "Action=DescribeInstances&Filter.1.Value.1=a%3Db%26c");
}

TEST(Iso8601, ParsesTheFormsAwsSends) {
  EXPECT_EQ(format_iso8601(*parse_iso8601("2015-08-30T12:36:00Z")), "2015-08-30T12:36:00Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2024-02-29T23:59:59.123456Z")), "2024-02-29T23:59:59Z");
  EXPECT_EQ(*parse_iso8601("2015-08-30T14:36:00+02:00"), *parse_iso8601("2015-08-30T12:36:00Z"));
  EXPECT_EQ(*parse_iso8601("2015-08-30T10:36:00-02:00"), *parse_iso8601("2015-08-30T12:36:00Z"));
  for (const char* bad : {"", "2015-08-30", "2015-08-30T12:36:00", "2015-13-01T00:00:00Z", "2015-08-30T12:36:00Zjunk",
                          "yesterday"}) {
    EXPECT_FALSE(parse_iso8601(bad)) << bad;
  }
}

// Found by fuzz/aws_credentials (fuzz/aws_credentials/regressions/): a year
// the system clock cannot hold overflowed (undefined behaviour).
TEST(Iso8601, TimesTheClockCannotHoldAreRefused) {
  for (const char* far : {"9999-12-31T23:59:59Z", "2263-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
                          "1677-01-01T00:00:00Z"}) {
    EXPECT_FALSE(parse_iso8601(far)) << far;
  }
  EXPECT_TRUE(parse_iso8601("2261-12-31T23:59:59Z"));
  EXPECT_TRUE(parse_iso8601("1970-01-01T00:00:00Z"));
}

TEST(Crypto, KnownAnswers) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // RFC 4231 test case 2.
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

HttpResponse answer(unsigned status, std::string body, Headers headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

TEST(AwsErrors, ReadsEachProtocolAndMapsCodes) {
  auto r53 = aws_error(answer(400, R"(<?xml version="1.0"?>
<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type>
<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>abc</RequestId></ErrorResponse>)"),
                       "Route 53 ChangeResourceRecordSets");
  EXPECT_EQ(r53.code, ErrorCode::kThrottled);
  EXPECT_TRUE(r53.transient);
  EXPECT_EQ(r53.message, "Route 53 ChangeResourceRecordSets: HTTP 400 Throttling: Rate exceeded (request id abc)");

  auto nozone = aws_error(answer(404, "<ErrorResponse><Error><Code>NoSuchHostedZone</Code><Message>No hosted zone "
                                      "found</Message></Error></ErrorResponse>"),
                          "op");
  EXPECT_EQ(nozone.code, ErrorCode::kNotFound);
  EXPECT_FALSE(nozone.transient);

  auto denied = aws_error(answer(400, R"({"__type":"AccessDeniedException","Message":"not allowed"})"), "op");
  EXPECT_EQ(denied.code, ErrorCode::kPermissionDenied);
  EXPECT_NE(denied.message.find("not allowed"), std::string::npos);

  auto sig = aws_error(answer(403, "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>"),
                       "op");
  EXPECT_EQ(sig.code, ErrorCode::kPermissionDenied);

  auto server = aws_error(answer(503, "Service Unavailable"), "op");
  EXPECT_EQ(server.code, ErrorCode::kUnavailable);
  EXPECT_TRUE(server.transient);
  EXPECT_EQ(server.message, "op: HTTP 503");

  auto header_only = aws_error(answer(400, "", {{"X-Amzn-ErrorType", "InvalidParameterException:http://x/"}}), "op");
  EXPECT_EQ(header_only.code, ErrorCode::kInvalidArgument);
  EXPECT_NE(header_only.message.find("InvalidParameterException"), std::string::npos);

  EXPECT_EQ(aws_error(answer(409, "{}"), "op").code, ErrorCode::kConflict);
  EXPECT_EQ(aws_error(answer(429, "<not xml"), "op").code, ErrorCode::kThrottled);
  EXPECT_TRUE(is_expired_credentials(parse_aws_error(answer(400, R"({"__type":"ExpiredTokenException"})")).code));
}

}  // namespace
}  // namespace ecssd::aws
