#pragma once
// One Route 53 API call with its retries (retry_policy.h says which answers
// are retried): builds the request below /2013-04-01, sends it through the
// aws::Transport, and waits between attempts on a timer of the TimeSystem it
// was given, so tests drive the backoff with simulated time. Each retry is
// counted in ecssd_route53_retries_total{reason}. Every request of the client
// waits for its pacer (retry_policy.h): one client shares its pace over lists
// and changes, and its rate is ecssd_route53_pace_requests_per_second.
#include <chrono>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "aws/transport.h"
#include "common/metrics.h"
#include "common/pacer.h"
#include "common/result.h"
#include "common/task.h"
#include "common/time_system.h"
#include "provider/route53/retry_policy.h"

namespace ecssd::provider::route53 {

// A query parameter's value as the request path carries it: SigV4 wants every
// octet outside the unreserved set percent-encoded.
std::string query_encode(std::string_view s);

struct Call {
  std::string operation;  // the API action, which is also the IAM permission
  std::string method;
  std::string path;  // below the API version, with the query
  std::string body;
};

struct Outcome {
  enum class Kind {
    kOk,
    kRefused,  // Route 53 refused changes of a ChangeResourceRecordSets request
    kFailed,   // the request failed as a whole; nothing of it was applied
    kUnknown,  // a request that may have been applied failed later on
  };
  Kind kind = Kind::kOk;
  aws::HttpResponse response;
  common::Error error;
  std::vector<std::string> messages;  // kRefused: Route 53's, one per refused change if it says
};

class Client {
 public:
  // `transport`, `time` and the Metrics behind `scope` must outlive the client.
  Client(aws::Transport& transport, aws::ServiceEndpoint endpoint, RetryPolicy policy,
         std::chrono::milliseconds request_timeout, common::TimeSystem& time, common::Scope scope);

  // What messages and logs name: the zone name and a description such as
  // "hosted zone Z1 (example.com)".
  void set_target(std::string zone, std::string where);
  const std::string& where() const { return where_; }

  // Sends `call`, retrying as the policy says; `requests` counts every
  // attempt. Never an error result: the outcome says what happened. kUnknown
  // when an attempt of a change may have been applied (timeout, 5xx) and a
  // later attempt failed or was refused: the caller must list again.
  common::Task<Outcome> send(Call call, size_t* requests);

  // send() for reads: the response, or the error of a failed call.
  common::Task<common::Result<aws::HttpResponse>> read(Call call);

  // When the pacer lets the next request go (`now` when unpaced).
  common::SteadyTime ready_at(common::SteadyTime now) const { return pacer_.next_send(now); }

 private:
  aws::HttpRequest request_of(const Call& call) const;
  Outcome finish(Verdict v, bool maybe_applied, const Call& call) const;
  // Waits until the pacer lets the next request go.
  common::Task<void> pace();
  // Tells the pacer how the request was answered.
  void paced_answer(bool throttled);

  aws::Transport& transport_;
  aws::ServiceEndpoint endpoint_;
  RetryPolicy policy_;
  std::chrono::milliseconds request_timeout_;
  common::TimeSystem& time_;
  common::Scope scope_;
  std::mt19937_64 seeds_;  // one backoff seed per call
  common::Pacer pacer_;
  common::Gauge& pace_rate_;
  std::string zone_;
  std::string where_;
};

}  // namespace ecssd::provider::route53
