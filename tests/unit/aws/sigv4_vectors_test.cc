// The 38 cases of the AWS SigV4 signing test suite (tests/fixtures/sigv4, from
// awslabs/aws-c-auth), each step compared: canonical request, string to sign,
// signature and the Authorization header, for header and query signing.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "aws/crypto.h"
#include "aws/iso8601.h"
#include "aws/sigv4.h"

namespace ecssd::aws {
namespace {

namespace fs = std::filesystem;

const fs::path kSuite = fs::path(ECSSD_FIXTURES) / "sigv4";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Case {
  std::string name;
  SigningInput input;
  Credentials creds;
  std::string region, service;
  common::SystemTime time;
  SigV4Options options;
  std::chrono::seconds expires{0};
  std::string body;
};

// request.txt: "METHOD target HTTP/1.1", "Name:value" lines (a line starting
// with white space continues the previous value), a blank line, the body.
Case load(const std::string& name) {
  Case c;
  c.name = name;
  fs::path dir = kSuite / name;
  std::string raw = slurp(dir / "request.txt");
  std::vector<std::string> lines;
  size_t pos = 0;
  bool body = false;
  while (pos <= raw.size()) {
    size_t nl = raw.find('\n', pos);
    if (nl == std::string::npos) nl = raw.size();
    std::string line = raw.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = nl + 1;
    if (lines.empty()) {
      lines.push_back(line);
      continue;
    }
    if (line.empty()) {
      body = true;
      c.body = pos <= raw.size() ? raw.substr(pos) : "";
      break;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !c.input.headers.empty()) {
      c.input.headers.back().second += "\n" + line;
      continue;
    }
    auto colon = line.find(':');
    c.input.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  (void)body;
  const std::string& first = lines.at(0);
  auto sp1 = first.find(' ');
  auto sp2 = first.rfind(' ');
  c.input.method = first.substr(0, sp1);
  std::string target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  auto q = target.find('?');
  c.input.path = target.substr(0, q);
  if (q != std::string::npos) c.input.query = target.substr(q + 1);
  c.input.payload_hash = sha256_hex(c.body);

  auto ctx = boost::json::parse(slurp(dir / "context.json")).as_object();
  auto& cr = ctx.at("credentials").as_object();
  c.creds.access_key_id = cr.at("access_key_id").as_string().c_str();
  c.creds.secret_access_key = cr.at("secret_access_key").as_string().c_str();
  if (cr.contains("token")) c.creds.session_token = cr.at("token").as_string().c_str();
  c.region = ctx.at("region").as_string().c_str();
  c.service = ctx.at("service").as_string().c_str();
  c.time = *parse_iso8601(ctx.at("timestamp").as_string().c_str());
  c.options.normalize_path = ctx.at("normalize").as_bool();
  c.options.add_content_sha256 = ctx.at("sign_body").as_bool();
  c.options.sign_session_token = !(ctx.contains("omit_session_token") && ctx.at("omit_session_token").as_bool());
  c.expires = std::chrono::seconds(ctx.at("expiration_in_seconds").as_int64());
  return c;
}

std::vector<std::string> case_names() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kSuite)) {
    if (e.is_directory()) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The "Authorization:" line of a signed request.
std::string authorization_line(const std::string& signed_request) {
  auto pos = signed_request.find("\nAuthorization:");
  if (pos == std::string::npos) return {};
  auto end = signed_request.find('\n', pos + 1);
  return signed_request.substr(pos + 15, end - pos - 15);
}

std::multiset<std::string> query_params(const std::string& query) {
  std::multiset<std::string> out;
  size_t start = 0;
  while (start < query.size()) {
    auto end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    out.insert(query.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

TEST(SigV4Suite, HasAll38Cases) { EXPECT_EQ(case_names().size(), 38u); }

class SigV4Vector : public ::testing::TestWithParam<std::string> {};

TEST_P(SigV4Vector, HeaderSigningEachStep) {
  Case c = load(GetParam());
  fs::path dir = kSuite / c.name;
  SigV4Signer signer(c.service, c.region, c.options);
  auto r = signer.sign_headers(c.input, c.creds, c.time);
  EXPECT_EQ(r.canonical_request, slurp(dir / "header-canonical-request.txt"));
  EXPECT_EQ(r.string_to_sign, slurp(dir / "header-string-to-sign.txt"));
  EXPECT_EQ(r.signature, slurp(dir / "header-signature.txt"));
  ASSERT_FALSE(r.headers_to_add.empty());
  EXPECT_EQ(r.headers_to_add.back().first, "Authorization");
  EXPECT_EQ(r.headers_to_add.back().second, authorization_line(slurp(dir / "header-signed-request.txt")));

  // The steps also agree when called one by one.
  SigningInput with_date = c.input;
  for (size_t i = 0; i + 1 < r.headers_to_add.size(); ++i) {
    if (r.headers_to_add[i].first == "X-Amz-Security-Token" && !c.options.sign_session_token) continue;
    with_date.headers.push_back(r.headers_to_add[i]);
  }
  std::string cr = signer.canonical_request(with_date);
  EXPECT_EQ(cr, r.canonical_request);
  std::string sts = signer.string_to_sign(cr, c.time);
  EXPECT_EQ(sts, r.string_to_sign);
  EXPECT_EQ(signer.signature(c.creds.secret_access_key, c.time, sts), r.signature);
}

TEST_P(SigV4Vector, QuerySigningEachStep) {
  Case c = load(GetParam());
  fs::path dir = kSuite / c.name;
  SigV4Signer signer(c.service, c.region, c.options);
  auto r = signer.presign(c.input, c.creds, c.time, c.expires);
  EXPECT_EQ(r.canonical_request, slurp(dir / "query-canonical-request.txt"));
  EXPECT_EQ(r.string_to_sign, slurp(dir / "query-string-to-sign.txt"));
  EXPECT_EQ(r.signature, slurp(dir / "query-signature.txt"));
  // The query sent: the same parameters (the suite orders two of them
  // differently, which does not matter to AWS).
  std::string signed_req = slurp(dir / "query-signed-request.txt");
  auto q = signed_req.find('?');
  auto sp = signed_req.find(" HTTP/1.1");
  ASSERT_NE(q, std::string::npos);
  EXPECT_EQ(query_params(r.presigned_query), query_params(signed_req.substr(q + 1, sp - q - 1)));
}

INSTANTIATE_TEST_SUITE_P(AwsSigningTestSuite, SigV4Vector, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param;
                           for (auto& ch : n) {
                             if (ch == '-') ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace ecssd::aws
