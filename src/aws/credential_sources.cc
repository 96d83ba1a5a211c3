#include "aws/credential_sources.h"

#include <fstream>
#include <sstream>

#include <boost/asio/ip/address.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "aws/config_file.h"
#include "aws/iso8601.h"
#include "aws/url.h"
#include "common/log.h"

// g++ 12 pairs Asio's coroutine-frame operator new with the wrong delete in
// two of the coroutines below (a false positive, GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace ecssd::aws {
namespace {

using common::ErrorCode;
using common::make_error;

std::optional<std::string> json_string(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

// ECS and EKS Pod Identity serve plain http only on these addresses; anything
// else must be loopback or https, so credentials never cross a network in clear.
bool allowed_plain_http_host(const std::string& host) {
  if (host == "localhost" || host == "169.254.170.2" || host == "169.254.170.23" || host == "fd00:ec2::23") {
    return true;
  }
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

std::string summarize_body(const std::string& body) {
  // Error answers carry a message, never credentials; keep it short anyway.
  std::string s = body.substr(0, 200);
  for (auto& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

}  // namespace

common::Result<Credentials> parse_credentials_json(std::string_view body, std::string source) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) {
    return make_error(ErrorCode::kProtocol, source + " answered with something that is not a JSON object");
  }
  const auto& o = v.as_object();
  if (auto code = json_string(o, "Code"); code && *code != "Success") {
    return make_error(ErrorCode::kProtocol, source + " answered Code=" + *code);
  }
  Credentials c;
  c.source = std::move(source);
  auto id = json_string(o, "AccessKeyId");
  auto secret = json_string(o, "SecretAccessKey");
  if (!id || id->empty() || !secret || secret->empty()) {
    return make_error(ErrorCode::kProtocol, c.source + " answered without AccessKeyId or SecretAccessKey");
  }
  c.access_key_id = *id;
  c.secret_access_key = *secret;
  c.session_token = json_string(o, "Token").value_or("");
  if (auto exp = json_string(o, "Expiration")) {
    c.expiration = parse_iso8601(*exp);
    if (!c.expiration) {
      return make_error(ErrorCode::kProtocol, c.source + " answered an unreadable Expiration \"" + *exp + "\"");
    }
  }
  return c;
}

common::Task<common::Result<Credentials>> EnvironmentCredentials::credentials() {
  auto id = env_.get("AWS_ACCESS_KEY_ID");
  auto secret = env_.get("AWS_SECRET_ACCESS_KEY");
  if (!id && !secret) {
    co_return make_error(ErrorCode::kNotFound, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
  }
  if (!id || !secret) {
    std::string why = id ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                         : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not";
    why += "; set both, or neither to use another source";
    co_return make_error(ErrorCode::kInvalidArgument, std::move(why));
  }
  Credentials c;
  c.access_key_id = *id;
  c.secret_access_key = *secret;
  c.session_token = env_.get("AWS_SESSION_TOKEN").value_or("");
  c.source = "environment variables";
  co_return c;
}

common::Task<common::Result<Credentials>> ProfileCredentials::credentials() {
  auto cfg = load_shared_config(env_);
  if (!cfg) co_return cfg.error();
  for (const auto* file : {&cfg->credentials, &cfg->config}) {
    for (const auto& w : file->warnings) log::warn("AWS shared config: line skipped", {{"where", w}});
  }
  const Profile* in_creds = cfg->credentials_profile();
  const Profile* in_config = cfg->config_profile();
  std::string files = (cfg->credentials_path.empty() ? std::string("(no HOME)") : cfg->credentials_path) + " and " +
                      (cfg->config_path.empty() ? std::string("(no HOME)") : cfg->config_path);
  if (!in_creds && !in_config) {
    std::string why = "profile \"" + cfg->profile + "\" not found in " + files;
    if (cfg->profile_explicit) {
      co_return make_error(ErrorCode::kInvalidArgument,
                           why + " (selected by " + (env_.get("AWS_PROFILE") ? "AWS_PROFILE" : "AWS_DEFAULT_PROFILE") +
                               ")");
    }
    co_return make_error(ErrorCode::kNotFound, why);
  }
  // The credentials file wins over the config file for the same profile.
  for (const auto& file : {std::pair{in_creds, cfg->credentials_path}, std::pair{in_config, cfg->config_path}}) {
    // Not a structured binding: clang 14 cannot capture one in a lambda.
    const Profile* profile = file.first;
    const std::string& path = file.second;
    if (!profile) continue;
    auto get = [&](std::string_view k) -> std::optional<std::string> {
      auto it = profile->find(k);
      if (it == profile->end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
    auto id = get("aws_access_key_id");
    auto secret = get("aws_secret_access_key");
    if (id && secret) {
      Credentials c;
      c.access_key_id = *id;
      c.secret_access_key = *secret;
      c.session_token = get("aws_session_token").value_or("");
      c.source = "profile \"" + cfg->profile + "\" in " + path;
      co_return c;
    }
    if (id || secret) {
      co_return make_error(ErrorCode::kInvalidArgument, "profile \"" + cfg->profile + "\" in " + path + " has " +
                                                            (id ? "aws_access_key_id" : "aws_secret_access_key") +
                                                            " but not " +
                                                            (id ? "aws_secret_access_key" : "aws_access_key_id"));
    }
  }
  for (const char* unsupported : {"role_arn", "credential_process", "sso_session", "sso_start_url",
                                  "web_identity_token_file", "credential_source"}) {
    if (cfg->get(unsupported)) {
      co_return make_error(ErrorCode::kInvalidArgument,
                           "profile \"" + cfg->profile + "\" uses " + unsupported +
                               ", which ecssd does not support; give the profile aws_access_key_id and "
                               "aws_secret_access_key, or run ecssd with an ECS task role or EC2 instance role");
    }
  }
  if (cfg->profile_explicit) {
    co_return make_error(ErrorCode::kInvalidArgument,
                         "profile \"" + cfg->profile + "\" has no aws_access_key_id/aws_secret_access_key in " + files);
  }
  co_return make_error(ErrorCode::kNotFound, "profile \"default\" has no keys in " + files);
}

ContainerCredentials::ContainerCredentials(common::Environment env, HttpClient& http, Options options)
    : env_(std::move(env)), http_(http), options_(std::move(options)) {}

common::Task<common::Result<Credentials>> ContainerCredentials::credentials() {
  std::string url;
  if (auto rel = env_.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    url = options_.relative_base + (rel->front() == '/' ? "" : "/") + *rel;
  } else if (auto full = env_.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    auto parsed = parse_url(*full);
    if (!parsed) {
      co_return make_error(ErrorCode::kInvalidArgument,
                           "AWS_CONTAINER_CREDENTIALS_FULL_URI: " + parsed.error().message);
    }
    if (!parsed->tls() && !allowed_plain_http_host(parsed->host)) {
      co_return make_error(ErrorCode::kInvalidArgument,
                           "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https, or http to a loopback address "
                           "or the ECS/EKS credentials address; got host " + parsed->host);
    }
    url = *full;
  } else {
    co_return make_error(ErrorCode::kNotFound,
                         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set");
  }

  HttpRequest req;
  req.url = url;
  req.timeout = options_.timeout;
  req.headers.emplace_back("Accept", "application/json");
  if (auto file = env_.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    std::ifstream in(*file);
    if (!in) {
      co_return make_error(ErrorCode::kInvalidArgument, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file);
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::string token = ss.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    req.headers.emplace_back("Authorization", token);
  } else if (auto token = env_.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
    req.headers.emplace_back("Authorization", *token);
  }

  std::optional<common::Result<HttpResponse>> r;
  for (int attempt = 0; attempt < std::max(1, options_.attempts); ++attempt) {
    auto answer = co_await http_.send(req);
    r.emplace(std::move(answer));
    if (r->ok() ? (*r)->status < 500 : !r->error().transient) break;
  }
  if (!r->ok()) {
    const auto& e = r->error();
    co_return common::Error{e.code, "ECS container credentials endpoint " + url + ": " + e.message, e.transient};
  }
  const HttpResponse& resp = r->value();
  if (resp.status >= 500) {
    co_return common::transient_error(ErrorCode::kUnavailable, "ECS container credentials endpoint answered HTTP " +
                                                                   std::to_string(resp.status));
  }
  if (resp.status != 200) {
    co_return make_error(ErrorCode::kPermissionDenied, "ECS container credentials endpoint answered HTTP " +
                                                           std::to_string(resp.status) + ": " +
                                                           summarize_body(resp.body) +
                                                           " (check AWS_CONTAINER_AUTHORIZATION_TOKEN)");
  }
  co_return parse_credentials_json(resp.body, "ECS container credentials endpoint");
}

common::Task<common::Result<Credentials>> InstanceProfileCredentials::credentials() {
  if (!imds_.enabled()) {
    co_return make_error(ErrorCode::kNotFound, "disabled by AWS_EC2_METADATA_DISABLED");
  }
  auto roles = co_await imds_.get("iam/security-credentials/");
  if (!roles) {
    const auto& e = roles.error();
    if (e.code == ErrorCode::kNotFound) {
      co_return make_error(ErrorCode::kNotFound, "this EC2 instance has no IAM role (instance profile)");
    }
    if (e.code == ErrorCode::kUnavailable || e.code == ErrorCode::kTimeout) {
      co_return common::Error{ErrorCode::kNotFound, e.message, e.transient};
    }
    co_return e;
  }
  std::string role = *roles;
  if (auto nl = role.find('\n'); nl != std::string::npos) role.resize(nl);
  while (!role.empty() && (role.back() == '\r' || role.back() == ' ')) role.pop_back();
  if (role.empty()) co_return make_error(ErrorCode::kNotFound, "this EC2 instance has no IAM role (instance profile)");
  auto body = co_await imds_.get("iam/security-credentials/" + role);
  if (!body) co_return body.error();
  co_return parse_credentials_json(*body, "EC2 instance role " + role);
}

}  // namespace ecssd::aws
