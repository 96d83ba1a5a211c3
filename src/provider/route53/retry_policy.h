#pragma once
// What one Route 53 answer means, and how often and how long to try again:
// throttling (HTTP 429, Throttling, PriorRequestNotComplete...), 5xx and
// transport timeouts are retried with capped, jittered exponential backoff
// (common::Backoff), and throttling also slows every later request of the
// client (common::Pacer); everything else is final. Pure, no I/O: client.h does the
// sending and the waiting.
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "aws/http.h"
#include "common/pacer.h"
#include "common/result.h"

namespace ecssd::provider::route53 {

struct RetryPolicy {
  uint32_t max_attempts = 6;  // including the first; throttled attempts are not counted here
  // Throttled attempts a call may make before it gives up. More than the
  // others: a throttle says the service is there but busy, and the pacer
  // below slows the client down until its share of the limit gets through.
  uint32_t max_throttled_attempts = 12;
  // A throttled ChangeResourceRecordSets is not retried here but returned
  // (kThrottled, nothing applied) when the caller can do better: the agent
  // plans again at the pacer's next slot, so the retry carries the changes
  // made meanwhile too, in one call instead of two. Lists are retried as
  // above (a paged listing would otherwise start over).
  bool return_throttled_changes = false;
  std::chrono::milliseconds base{200};
  std::chrono::milliseconds cap{10'000};
  uint64_t seed = std::random_device{}();
  // The client's pace (common/pacer.h): unpaced until Route 53 throttles it.
  // With it, a throttled attempt is retried when the pacer allows, with no
  // backoff on top.
  common::PacerOptions pacing;
};

// What one answer means for the request that got it.
struct Verdict {
  enum Kind { kOk, kRetry, kRefused, kFailed };
  Kind kind = kOk;
  bool ambiguous = false;  // the request may have been applied (timeout, 5xx)
  common::Error error;
  std::vector<std::string> messages;  // kRefused: one per refused change, if Route 53 says
};

// Reads the transport's answer to one request. `operation` is the API action
// (which is also the IAM permission named in errors); `is_change` says it was
// a ChangeResourceRecordSets, whose InvalidChangeBatch and InvalidInput
// answers refuse its changes rather than fail it; `where` names the zone in
// messages. kRetry: transient errors of the transport (ambiguous), throttling
// (kThrottled, not ambiguous), 5xx (kUnavailable, ambiguous). kRefused:
// kConflict (InvalidChangeBatch) or kInvalidArgument (InvalidInput) with
// Route 53's messages. kFailed: kPermissionDenied (access denied, naming the
// permission; rejected credentials), kNotFound (404, NoSuchHostedZone), the
// transport's own error, else kProtocol.
Verdict classify(const common::Result<aws::HttpResponse>& answer, std::string_view operation, bool is_change,
                 const std::string& where);

}  // namespace ecssd::provider::route53
