// Credential documents: the JSON the ECS credentials endpoint and IMDS answer
// (aws/credential_sources.h), IMDS itself (aws/instance_metadata.h: its
// settings from the environment, the IMDSv2 token and item answers), the
// instance-role path through it (the role list, then the role's document),
// the shared credentials/config files (aws/config_file.h) and the
// timestamps in them (aws/iso8601.h).
// Invariants: accepted credentials have both keys; an error never repeats a
// secret of the document or the session token; IMDS gives an item only with
// a token and HTTP 200; the role asked for is the first line of the list,
// trimmed, and never empty; a parsed file, written back out, parses to the
// same profiles without warnings; a timestamp's canonical spelling parses
// back to the same second.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include "aws/config_file.h"
#include "aws/credential_sources.h"
#include "aws/instance_metadata.h"
#include "aws/iso8601.h"
#include "common/environment.h"
#include "common/time_system.h"
#include "fuzz_run.h"
#include "fuzz_util.h"

namespace ecssd::fuzz {
namespace {

// IMDS answering the role list, then the role's document, from the input.
class ScriptedImds final : public aws::InstanceMetadata {
 public:
  ScriptedImds(std::string roles, std::string document) : roles_(std::move(roles)), document_(std::move(document)) {}
  boost::asio::awaitable<common::Result<std::string>> get(std::string path) override {
    paths.push_back(path);
    co_return paths.size() == 1 ? roles_ : document_;
  }
  bool enabled() const override { return true; }
  std::vector<std::string> paths;

 private:
  std::string roles_, document_;
};

// IMDS over HTTP: the token answer, then the item's, from the input.
class ScriptedImdsServer final : public aws::HttpClient {
 public:
  ScriptedImdsServer(aws::HttpResponse token, aws::HttpResponse item) : token_(std::move(token)), item_(std::move(item)) {}
  boost::asio::awaitable<common::Result<aws::HttpResponse>> send(aws::HttpRequest req) override {
    // Two rounds (a 401 asks for a new token once), each a token and the
    // item, each tried up to 3 times.
    FUZZ_CHECK(++calls <= 12, "IMDS asked more than 12 times for one item");
    co_return req.method == "PUT" ? token_ : item_;
  }
  int calls = 0;

 private:
  aws::HttpResponse token_, item_;
};

// The secrets of a credentials document, as a careless error message could repeat them.
std::vector<std::string> secrets_of(std::string_view body) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return out;
  std::string quoted_elsewhere;
  for (const char* key : {"Code", "Expiration"}) {
    if (auto* s = v.as_object().if_contains(key); s && s->is_string()) quoted_elsewhere += s->as_string().c_str();
  }
  for (const char* key : {"SecretAccessKey", "Token"}) {
    auto* s = v.as_object().if_contains(key);
    // Shorter values, or values with blanks, are no AWS secret and can be a
    // piece of the error's own wording ("answered an unreadable").
    if (!s || !s->is_string() || s->as_string().size() < 12) continue;
    std::string secret(s->as_string());
    if (secret.find_first_of(" \t\n") != std::string::npos) continue;
    if (quoted_elsewhere.find(secret) == std::string::npos) out.push_back(std::move(secret));
  }
  return out;
}

// `named`: text the message may quote (the role's name, which is no secret).
void check_credentials(const common::Result<aws::Credentials>& c, std::string_view body, std::string_view named = {}) {
  if (c.ok()) {
    FUZZ_CHECK(!c->access_key_id.empty() && !c->secret_access_key.empty(), "credentials without a key");
    return;
  }
  FUZZ_CHECK(c.error().code == common::ErrorCode::kProtocol, c.error().describe());
  for (const auto& secret : secrets_of(body)) {
    if (named.find(secret) != std::string_view::npos || written_elsewhere(body, secret)) continue;
    FUZZ_CHECK(c.error().message.find(secret) == std::string::npos, "an error repeats a secret: " + c.error().message);
  }
}

void check_timestamp(std::string_view text) {
  auto t = aws::parse_iso8601(text);
  if (!t) return;
  auto seconds = std::chrono::floor<std::chrono::seconds>(*t);
  auto ymd = std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(seconds));
  if (ymd.year() < std::chrono::year(1970) || ymd.year() > std::chrono::year(9999)) return;
  std::string canonical = aws::format_iso8601(*t);
  auto back = aws::parse_iso8601(canonical);
  FUZZ_CHECK(back && *back == seconds, fmt::format("\"{}\" -> \"{}\" does not parse back", text, canonical));
}

// A file written back out from what was parsed: one "key = value" per line.
std::string write_out(const aws::ConfigFile& f, aws::ConfigFileKind kind) {
  std::string out;
  for (const auto& [name, profile] : f.profiles) {
    if (kind == aws::ConfigFileKind::kCredentials || name == "default") {
      out += "[" + name + "]\n";
    } else {
      out += "[profile " + name + "]\n";
    }
    for (const auto& [k, v] : profile) out += k + " = " + v + "\n";
  }
  return out;
}

void check_config(std::string_view text, aws::ConfigFileKind kind) {
  aws::ConfigFile f = aws::parse_config_file(text, kind, "f");
  for (const auto& [name, profile] : f.profiles) {
    for (const auto& [k, v] : profile) {
      FUZZ_CHECK(!k.empty() && k.find('\n') == std::string::npos && v.find('\n') == std::string::npos,
                 "a key or value across lines in profile " + name);
    }
  }
  std::string again = write_out(f, kind);
  aws::ConfigFile g = aws::parse_config_file(again, kind, "g");
  FUZZ_CHECK(g.warnings.empty(), "writing back gives warnings: " + (g.warnings.empty() ? "" : g.warnings[0]));
  FUZZ_CHECK(g.profiles == f.profiles, "profiles differ once written back:\n" + again);
}

}  // namespace
}  // namespace ecssd::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ecssd::fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecssd;
  std::string_view text = fuzz::as_text(data, size);
  fuzz::check_credentials(aws::parse_credentials_json(text, "the endpoint"), text);
  fuzz::check_timestamp(text);
  fuzz::check_config(text, aws::ConfigFileKind::kCredentials);
  fuzz::check_config(text, aws::ConfigFileKind::kConfig);

  // IMDS itself: its settings from the environment, then one item through
  // the IMDSv2 client. The session token is a secret too.
  {
    FuzzedDataProvider env_in(data, size);
    std::map<std::string, std::string, std::less<>> vars;
    for (const char* name : {"AWS_METADATA_SERVICE_TIMEOUT", "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
                             "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"}) {
      if (env_in.ConsumeBool()) vars[name] = env_in.ConsumeRandomLengthString(24);
    }
    auto options = aws::ImdsOptions::from_env(common::Environment::from_map(vars));
    FUZZ_CHECK(options.timeout.count() > 0 && !options.endpoint.ends_with('/'), "IMDS settings from the environment");
    options.disabled = false;
    options.attempts = std::min(options.attempts, 3);  // as many as configured, but a run must stay short
    aws::HttpResponse token, item;
    token.status = env_in.PickValueInArray<unsigned>({200, 200, 403, 404, 500});
    // Marked, so that no message can quote it by chance.
    const std::string marker = "\x01token\x02";
    token.body = env_in.ConsumeBool() ? "" : marker + env_in.ConsumeRandomLengthString(64);
    item.status = env_in.PickValueInArray<unsigned>({200, 200, 401, 403, 404, 500, 302});
    item.body = env_in.ConsumeRemainingBytesAsString();
    fuzz::ScriptedImdsServer server(token, item);
    common::SimulatedTimeSystem time;
    aws::Imdsv2Client imds(server, time, options);
    auto got = fuzz::run(imds.get("instance-id"));
    if (got.ok()) {
      FUZZ_CHECK(token.status == 200 && !token.body.empty() && item.status == 200 && *got == item.body,
                 "an item IMDS did not give");
    } else if (options.endpoint.find(marker) == std::string::npos) {  // messages name the endpoint
      FUZZ_CHECK(got.error().message.find(marker) == std::string::npos,
                 "an error repeats the session token: " + got.error().message);
    }
  }

  // The instance role: the role list, then the document, cut from the input.
  FuzzedDataProvider in(data, size);
  std::string roles = in.ConsumeRandomLengthString(200);
  std::string document = in.ConsumeRemainingBytesAsString();
  fuzz::ScriptedImds imds(roles, document);
  aws::InstanceProfileCredentials source(imds);
  auto c = fuzz::run(source.credentials());
  FUZZ_CHECK(!imds.paths.empty() && imds.paths[0] == "iam/security-credentials/", "the role list was not asked first");
  if (imds.paths.size() == 2) {
    std::string role = imds.paths[1].substr(std::string_view("iam/security-credentials/").size());
    FUZZ_CHECK(!role.empty() && roles.starts_with(role) && role.find('\n') == std::string::npos &&
                   role.back() != '\r' && role.back() != ' ',
               "asked for role \"" + role + "\"");
    fuzz::check_credentials(c, document, role);
  } else {
    FUZZ_CHECK(!c.ok() && c.error().code == common::ErrorCode::kNotFound, "credentials without a role");
  }
  return 0;
}
