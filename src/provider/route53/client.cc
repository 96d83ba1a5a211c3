#include "provider/route53/client.h"

#include <algorithm>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <fmt/format.h>

#include "common/backoff.h"
#include "common/log.h"

// g++ 12 reports asio's coroutine frame allocation as mismatched new/delete
// (GCC PR 109224, a false positive): silence it for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace ecssd::provider::route53 {
namespace {

using common::ErrorCode;

constexpr std::string_view kApiPrefix = "/2013-04-01";

}  // namespace

std::string query_encode(std::string_view s) { return boost::urls::encode(s, boost::urls::unreserved_chars); }

Client::Client(aws::Transport& transport, aws::ServiceEndpoint endpoint, RetryPolicy policy,
               std::chrono::milliseconds request_timeout, common::TimeSystem& time, common::Scope scope)
    : transport_(transport),
      endpoint_(std::move(endpoint)),
      policy_(policy),
      request_timeout_(request_timeout),
      time_(time),
      scope_(std::move(scope)),
      seeds_(policy_.seed),
      pacer_(policy_.pacing, policy_.seed ^ 0x9e3779b97f4a7c15ULL),  // not from seeds_: each call's backoff seed stays as it was
      pace_rate_(scope_.gauge("ecssd_route53_pace_requests_per_second",
                              "Requests a second this client allows itself since Route 53 throttled it (0: unpaced)")) {}

void Client::set_target(std::string zone, std::string where) {
  zone_ = std::move(zone);
  where_ = std::move(where);
}

aws::HttpRequest Client::request_of(const Call& call) const {
  aws::HttpRequest req;
  req.method = call.method;
  req.url = endpoint_.base_url + std::string(kApiPrefix) + call.path;
  req.body = call.body;
  req.timeout = request_timeout_;  // the transport's own deadline for the exchange
  if (!call.body.empty()) req.headers.emplace_back("Content-Type", "application/xml");
  return req;
}

// A final answer (not retried) as the call's outcome.
Outcome Client::finish(Verdict v, bool maybe_applied, const Call& call) const {
  Outcome out;
  out.kind = v.kind == Verdict::kRefused ? Outcome::Kind::kRefused : Outcome::Kind::kFailed;
  out.error = std::move(v.error);
  out.messages = std::move(v.messages);
  if (maybe_applied) {
    // An earlier attempt may have been applied: a refusal now ("already
    // exists", "not found") says nothing about the changes themselves.
    out.kind = Outcome::Kind::kUnknown;
    out.error = common::transient_error(
        ErrorCode::kConflict, fmt::format("Route 53 {} for {}: outcome unknown after a lost answer, then {}",
                                          call.operation, where_, out.error.message));
  }
  return out;
}

common::Task<void> Client::pace() {
  const common::SteadyTime now = time_.steady_now();
  const common::SteadyTime at = pacer_.next_send(now);
  if (at > now) co_await time_.sleep_until(at);
  pacer_.sent(time_.steady_now());
}

void Client::paced_answer(bool throttled) {
  const bool was = pacer_.paced();
  const double before = pacer_.rate();
  if (throttled) {
    pacer_.throttled(time_.steady_now());
  } else {
    pacer_.answered(time_.steady_now());
  }
  pace_rate_.set(pacer_.rate());
  if (!was && pacer_.paced()) {
    log::warn("route53: throttled; pacing requests to share the account's limit",
              {{"zone", zone_}, {"requests_per_second", pacer_.rate()}});
  } else if (was && !pacer_.paced()) {
    log::info("route53: no throttling for a while; requests are no longer paced",
              {{"zone", zone_}, {"requests_per_second_before", before}});
  }
}

common::Task<Outcome> Client::send(Call call, size_t* requests) {
  const bool is_change = call.operation == "ChangeResourceRecordSets";
  common::Backoff backoff(policy_.base, policy_.cap, std::chrono::milliseconds(0), seeds_());
  // Set when an attempt may have reached Route 53 and been applied although
  // no answer came (timeout, connection lost, 5xx).
  bool maybe_applied = false;
  common::Error last;
  const uint32_t max_failures = std::max<uint32_t>(policy_.max_attempts, 1);
  const uint32_t max_throttles = std::max<uint32_t>(policy_.max_throttled_attempts, 1);
  uint32_t failures = 0, throttles = 0;
  bool returned = false;  // a throttled change handed back (return_throttled_changes)
  while (true) {
    co_await pace();
    ++*requests;
    aws::HttpRequest req = request_of(call);  // named: GCC 12 mishandles temporaries in co_await calls
    auto result = co_await transport_.call(endpoint_, std::move(req));
    Verdict v = classify(result, call.operation, is_change, where_);
    const bool throttled = v.kind == Verdict::kRetry && v.error.code == ErrorCode::kThrottled;
    paced_answer(throttled);
    if (v.kind == Verdict::kOk) {
      Outcome out;
      out.response = std::move(*result);
      co_return out;
    }
    if (v.kind != Verdict::kRetry) co_return finish(std::move(v), maybe_applied, call);
    maybe_applied = maybe_applied || (v.ambiguous && is_change);
    last = std::move(v.error);
    scope_
        .counter("ecssd_route53_retries_total", "Route 53 requests retried (throttling, 5xx, timeouts)",
                 {{"reason", common::to_string(last.code)}})
        .inc();
    ++(throttled ? throttles : failures);
    if (throttled && is_change && policy_.return_throttled_changes) {
      returned = true;
      break;
    }
    if (failures >= max_failures || throttles >= max_throttles) break;
    // A throttled attempt waits for the pacer alone: it has just slowed the
    // client down, and a backoff on top would leave the client's share of
    // the limit unused. Other failures back off.
    const bool by_pace = throttled && policy_.pacing.enabled;
    const auto delay = by_pace ? std::chrono::milliseconds(0) : backoff.next();
    const auto waits = by_pace ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                     pacer_.next_send(time_.steady_now()) - time_.steady_now())
                               : delay;
    log::warn("route53: retrying", {{"operation", call.operation},
                                    {"zone", zone_},
                                    {"attempt", failures + throttles},
                                    {"delay_ms", static_cast<int64_t>(waits.count())},
                                    {"error", last.message}});
    if (delay.count() > 0) co_await time_.sleep_for(delay);
  }
  Outcome out;
  out.kind = maybe_applied ? Outcome::Kind::kUnknown : Outcome::Kind::kFailed;
  out.error = std::move(last);
  out.error.message += returned ? std::string(" (handed back to be planned again at the pacer's next slot)")
                                : fmt::format(" (gave up after {} attempts)", failures + throttles);
  // kThrottled promises that nothing was applied (provider.h): not so when an
  // earlier attempt went unanswered.
  if (maybe_applied && out.error.code == ErrorCode::kThrottled) out.error.code = ErrorCode::kUnavailable;
  co_return out;
}

common::Task<common::Result<aws::HttpResponse>> Client::read(Call call) {
  size_t requests = 0;
  Outcome out = co_await send(std::move(call), &requests);
  if (out.kind != Outcome::Kind::kOk) co_return out.error;
  co_return std::move(out.response);
}

}  // namespace ecssd::provider::route53
