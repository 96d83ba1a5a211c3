#include "aws/instance_metadata.h"

#include <charconv>
#include <strings.h>

#include "common/log.h"

namespace ecssd::aws {
namespace {

using common::ErrorCode;

std::optional<long> parse_number(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  long v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || p != s->data() + s->size() || v <= 0) return std::nullopt;
  return v;
}

bool network_failure(const common::Error& e) {
  return e.code == ErrorCode::kTimeout || e.code == ErrorCode::kUnavailable;
}

}  // namespace

ImdsOptions ImdsOptions::from_env(const common::Environment& env) {
  ImdsOptions o;
  o.disabled = env.flag("AWS_EC2_METADATA_DISABLED");
  if (auto e = env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
    o.endpoint = *e;
    while (!o.endpoint.empty() && o.endpoint.back() == '/') o.endpoint.pop_back();
  } else if (auto m = env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"); m && strcasecmp(m->c_str(), "ipv6") == 0) {
    o.endpoint = "http://[fd00:ec2::254]";
  }
  // Seconds the millisecond count cannot hold would overflow it: as unparseable.
  if (auto t = parse_number(env.get("AWS_METADATA_SERVICE_TIMEOUT")); t && *t <= o.timeout.max().count() / 1000) {
    o.timeout = std::chrono::seconds(*t);
  }
  if (auto n = parse_number(env.get("AWS_METADATA_SERVICE_NUM_ATTEMPTS"))) o.attempts = static_cast<int>(*n);
  return o;
}

Imdsv2Client::Imdsv2Client(HttpClient& http, common::TimeSource& time, ImdsOptions options)
    : http_(http), time_(time), options_(std::move(options)) {}

common::Error Imdsv2Client::unreachable_error(const common::Error& cause) const {
  return common::transient_error(cause.code == ErrorCode::kTimeout ? ErrorCode::kTimeout : ErrorCode::kUnavailable,
                                 "EC2 instance metadata service at " + options_.endpoint +
                                     " is not reachable (not running on EC2?): " + cause.message);
}

// One request with the configured timeout and attempts. Retries network
// failures and 5xx answers; anything else is the answer.
common::Task<common::Result<HttpResponse>> Imdsv2Client::send(HttpRequest req) {
  req.timeout = options_.timeout;
  std::optional<common::Result<HttpResponse>> last;
  for (int attempt = 0; attempt < std::max(1, options_.attempts); ++attempt) {
    auto r = co_await http_.send(req);
    if (r.ok() && r->status < 500) co_return r;
    last.emplace(std::move(r));
    if (last->ok()) continue;  // 5xx: retry
    if (!network_failure(last->error())) co_return std::move(*last);
  }
  if (last->ok()) {
    co_return common::transient_error(ErrorCode::kUnavailable, "EC2 instance metadata service answered HTTP " +
                                                                    std::to_string((*last)->status));
  }
  co_return std::move(*last);
}

common::Task<common::Result<std::string>> Imdsv2Client::fetch_token() {
  HttpRequest req;
  req.method = "PUT";
  req.url = options_.endpoint + "/latest/api/token";
  req.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", std::to_string(options_.token_ttl.count()));
  auto start = time_.steady_now();
  auto r = co_await send(std::move(req));
  if (!r) {
    if (network_failure(r.error())) {
      unreachable_until_ = time_.steady_now() + options_.unreachable_backoff;
      last_unreachable_reason_ = r.error().message;
      log::debug("instance metadata service not reachable", {{"endpoint", options_.endpoint},
                                                              {"error", r.error().message}});
      co_return unreachable_error(r.error());
    }
    co_return r.error();
  }
  if (r->status == 403) {
    co_return common::make_error(ErrorCode::kUnavailable,
                                 "EC2 instance metadata service refused a session token (HTTP 403): IMDS is "
                                 "disabled for this instance");
  }
  if (r->status != 200 || r->body.empty()) {
    co_return common::make_error(ErrorCode::kProtocol, "EC2 instance metadata token request answered HTTP " +
                                                           std::to_string(r->status) +
                                                           " (IMDSv2 is required; IMDSv1 is not used)");
  }
  // Refresh one minute early, never later than the TTL allows.
  auto ttl = std::chrono::duration_cast<common::Duration>(options_.token_ttl);
  auto margin = std::min<common::Duration>(std::chrono::minutes(1), ttl / 2);
  token_ = Token{r->body, start + ttl - margin};
  co_return r->body;
}

common::Task<common::Result<std::string>> Imdsv2Client::token() {
  if (token_ && time_.steady_now() < token_->refresh_at) co_return token_->value;
  co_return co_await token_flight_.run([this] { return fetch_token(); });
}

common::Task<common::Result<std::string>> Imdsv2Client::get(std::string path) {
  if (options_.disabled) {
    co_return common::make_error(ErrorCode::kUnavailable,
                                 "EC2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED=true)");
  }
  if (unreachable_until_) {
    if (time_.steady_now() < *unreachable_until_) {
      co_return common::transient_error(ErrorCode::kUnavailable, "EC2 instance metadata service at " +
                                                                     options_.endpoint +
                                                                     " is not reachable (not running on EC2?): " +
                                                                     last_unreachable_reason_);
    }
    unreachable_until_.reset();
  }
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  for (int round = 0; round < 2; ++round) {
    auto tok = co_await token();
    if (!tok) co_return tok.error();
    HttpRequest req;
    req.url = options_.endpoint + "/latest/meta-data/" + path;
    req.headers.emplace_back("X-aws-ec2-metadata-token", *tok);
    auto r = co_await send(std::move(req));
    if (!r) {
      if (network_failure(r.error())) co_return unreachable_error(r.error());
      co_return r.error();
    }
    switch (r->status) {
      case 200:
        co_return std::move(r->body);
      case 401:
        // The token expired or the service restarted: fetch a new one once.
        token_.reset();
        continue;
      case 404:
        co_return common::make_error(ErrorCode::kNotFound, "EC2 instance metadata has no item \"" + path + "\"");
      case 403:
        co_return common::make_error(ErrorCode::kUnavailable,
                                     "EC2 instance metadata refused \"" + path + "\" (HTTP 403)");
      default:
        co_return common::make_error(ErrorCode::kProtocol, "EC2 instance metadata answered HTTP " +
                                                               std::to_string(r->status) + " for \"" + path + "\"");
    }
  }
  co_return common::make_error(ErrorCode::kPermissionDenied,
                               "EC2 instance metadata rejected a fresh session token (HTTP 401)");
}

}  // namespace ecssd::aws
