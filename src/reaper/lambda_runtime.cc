#include "reaper/lambda_runtime.h"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/log.h"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive (GCC bug 109224)

namespace ecssd::reaper {
namespace {

using common::ErrorCode;
using common::make_error;

// The next invocation may be hours away: the long poll has no useful deadline.
constexpr std::chrono::milliseconds kNextTimeout{std::chrono::hours(24)};
constexpr std::chrono::milliseconds kPostTimeout{30'000};

// Request ids go into URL paths: letters, digits and '-' only.
bool safe_request_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 &&
         std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

std::string excerpt(std::string_view body) {
  std::string s(body.substr(0, 200));
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < ' ') c = ' ';
  }
  return s;
}

}  // namespace

std::string error_body(std::string_view error_type, std::string_view message) {
  boost::json::object o{{"errorMessage", message}, {"errorType", error_type}, {"stackTrace", boost::json::array()}};
  return boost::json::serialize(o);
}

HttpRuntimeApi::HttpRuntimeApi(aws::HttpClient& http, std::string endpoint)
    : http_(http), base_("http://" + endpoint + "/2018-06-01/runtime") {}

common::Task<common::Result<Invocation>> HttpRuntimeApi::next() {
  aws::HttpRequest req;
  req.method = "GET";
  req.url = base_ + "/invocation/next";
  req.timeout = kNextTimeout;
  auto res = co_await http_.send(std::move(req));
  if (!res.ok()) co_return res.error();
  if (res->status != 200) {
    co_return make_error(ErrorCode::kProtocol, fmt::format("Lambda Runtime API: GET invocation/next answered HTTP {}: {}",
                                                           res->status, excerpt(res->body)));
  }
  Invocation inv;
  inv.request_id = res->header("Lambda-Runtime-Aws-Request-Id");
  if (!safe_request_id(inv.request_id)) {
    co_return make_error(ErrorCode::kProtocol,
                         "Lambda Runtime API: invocation without a usable Lambda-Runtime-Aws-Request-Id");
  }
  std::string deadline = res->header("Lambda-Runtime-Deadline-Ms");
  if (!deadline.empty()) {
    try {
      inv.deadline_ms = std::stoll(deadline);
    } catch (const std::exception&) {
      inv.deadline_ms = 0;
    }
  }
  inv.function_arn = res->header("Lambda-Runtime-Invoked-Function-Arn");
  inv.trace_id = res->header("Lambda-Runtime-Trace-Id");
  inv.event = std::move(res->body);
  co_return inv;
}

common::Task<common::Status> HttpRuntimeApi::post(std::string path, std::string body, std::string error_type) {
  aws::HttpRequest req;
  req.method = "POST";
  req.url = base_ + path;
  req.timeout = kPostTimeout;
  req.headers.emplace_back("Content-Type", "application/json");
  if (!error_type.empty()) req.headers.emplace_back("Lambda-Runtime-Function-Error-Type", error_type);
  req.body = std::move(body);
  auto res = co_await http_.send(std::move(req));
  if (!res.ok()) co_return res.error();
  if (res->status != 202) {
    co_return make_error(ErrorCode::kProtocol, fmt::format("Lambda Runtime API: POST {} answered HTTP {}: {}", path,
                                                           res->status, excerpt(res->body)));
  }
  co_return common::Status{};
}

common::Task<common::Status> HttpRuntimeApi::respond(std::string request_id, std::string body) {
  if (!safe_request_id(request_id)) co_return make_error(ErrorCode::kInvalidArgument, "bad request id");
  co_return co_await post("/invocation/" + request_id + "/response", std::move(body), "");
}

common::Task<common::Status> HttpRuntimeApi::fail(std::string request_id, std::string error_type, std::string message) {
  if (!safe_request_id(request_id)) co_return make_error(ErrorCode::kInvalidArgument, "bad request id");
  std::string body = error_body(error_type, message);
  co_return co_await post("/invocation/" + request_id + "/error", std::move(body), std::move(error_type));
}

common::Task<common::Status> HttpRuntimeApi::init_error(std::string error_type, std::string message) {
  std::string body = error_body(error_type, message);
  co_return co_await post("/init/error", std::move(body), std::move(error_type));
}

common::Task<InvocationResult> ReapHandler::handle(Invocation invocation) {
  InvocationResult out;
  boost::system::error_code ec;
  boost::json::value event = boost::json::parse(invocation.event, ec);
  if (ec || !event.is_object()) {
    out.ok = false;
    out.error_type = "InvalidEvent";
    out.error_message = "the event is not a JSON object (expected an EventBridge scheduled event or {})";
    log::error("invalid Lambda event", {{"request_id", invocation.request_id}, {"bytes", invocation.event.size()}});
    co_return out;
  }
  const auto& o = event.as_object();
  std::string source = o.contains("source") && o.at("source").is_string() ? std::string(o.at("source").as_string())
                                                                          : std::string("-");
  log::info("lambda invocation", {{"request_id", invocation.request_id}, {"event_source", source}});
  Report report = co_await reaper_.run_pass();
  report.provider = provider_;
  if (!report.ok) {
    out.ok = false;
    out.error_type = "ReapFailed";
    std::string errors;
    for (const auto& e : report.errors) errors += (errors.empty() ? "" : "; ") + e;
    out.error_message = fmt::format("{} ({})", errors, summary(report));
    co_return out;
  }
  out.body = to_json_text(report, kMaxLambdaResponse);
  co_return out;
}

LambdaLoop::LambdaLoop(RuntimeApi& api, InvocationHandler& handler, common::TimeSystem& time,
                       LambdaLoopOptions options)
    : api_(api), handler_(handler), time_(time), options_(options) {}

common::Task<common::Status> LambdaLoop::run() {
  int failures = 0;
  while (options_.max_invocations == 0 || invocations_ < options_.max_invocations) {
    auto inv = co_await api_.next();
    if (!inv.ok()) {
      ++failures;
      log::error("Lambda Runtime API: cannot get the next invocation",
                 {{"error", inv.error().describe()}, {"failures", failures}});
      if (failures >= options_.max_next_failures) co_return inv.error();
      co_await time_.sleep_for(options_.retry_delay);
      continue;
    }
    failures = 0;
    ++invocations_;
    std::string id = inv->request_id;
    InvocationResult result = co_await handler_.handle(std::move(inv.value()));
    if (result.ok) {
      auto s = co_await api_.respond(id, std::move(result.body));
      if (s.ok()) continue;
      log::error("Lambda Runtime API: the response was not accepted", {{"request_id", id},
                                                                        {"error", s.error().describe()}});
      result.ok = false;
      result.error_type = "ResponseRejected";
      result.error_message = s.error().describe();
    }
    log::error("invocation failed", {{"request_id", id}, {"error_type", result.error_type},
                                     {"error", result.error_message}});
    auto s = co_await api_.fail(id, result.error_type, result.error_message);
    if (!s.ok()) {
      log::error("Lambda Runtime API: cannot report the invocation's error",
                 {{"request_id", id}, {"error", s.error().describe()}});
    }
  }
  co_return common::Status{};
}

}  // namespace ecssd::reaper
