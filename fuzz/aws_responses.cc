// AWS answers other than Route 53's: EC2 DescribeInstances (query protocol,
// XML), ECS and EventBridge (JSON 1.1) through their clients on a transport
// that answers with the input, and the error bodies of every protocol
// (aws/errors.h). Each page of a paginated call gets the same answer, so
// pagination ends or is refused. Invariants: an error answer maps to an
// error as errors.h documents (429 and throttling codes kThrottled, 5xx
// kUnavailable, both transient and nothing else is; the message names the
// call and the status); codes read from JSON or headers are bare (no
// namespace, no URI); PutEvents lists one result per entry sent.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "aws/ec2.h"
#include "aws/ecs.h"
#include "aws/errors.h"
#include "aws/eventbridge.h"
#include "fuzz_run.h"
#include "fuzz_util.h"

namespace ecssd::fuzz {
namespace {

class ScriptedTransport final : public aws::Transport {
 public:
  explicit ScriptedTransport(aws::HttpResponse r) : response_(std::move(r)) {}
  boost::asio::awaitable<common::Result<aws::HttpResponse>> call(const aws::ServiceEndpoint&,
                                                                 aws::HttpRequest) override {
    ++calls;
    FUZZ_CHECK(calls <= 20, "more than 20 calls for one answer: a loop that does not end");
    co_return response_;
  }
  int calls = 0;

 private:
  aws::HttpResponse response_;
};

// An error of `operation` for a non-2xx answer, as errors.h says.
template <typename T>
void check_error(const common::Result<T>& r, const aws::HttpResponse& resp, std::string_view operation) {
  if (resp.status >= 200 && resp.status < 300) return;
  FUZZ_CHECK(!r.ok(), fmt::format("{}: HTTP {} accepted", operation, resp.status));
  const common::Error& e = r.error();
  FUZZ_CHECK(e.message.starts_with(fmt::format("{}: HTTP {}", operation, resp.status)), "message: " + e.message);
  auto info = aws::parse_aws_error(resp);
  const bool throttled = resp.status == 429 || aws::is_throttling(info.code);
  if (throttled) {
    FUZZ_CHECK(e.code == common::ErrorCode::kThrottled, "not throttled: " + e.describe());
  } else if (resp.status >= 500) {
    FUZZ_CHECK(e.code == common::ErrorCode::kUnavailable, "not unavailable: " + e.describe());
  }
  FUZZ_CHECK(e.transient == (e.code == common::ErrorCode::kThrottled || e.code == common::ErrorCode::kUnavailable),
             "transient flag: " + e.describe());
}

void check_error_info(const aws::HttpResponse& resp) {
  auto info = aws::parse_aws_error(resp);
  size_t first = resp.body.find_first_not_of(" \t\r\n");
  bool xml = first != std::string::npos && resp.body[first] == '<';
  if (!xml) FUZZ_CHECK(info.code.find_first_of("#:") == std::string::npos, "a code that is not bare: " + info.code);
}

}  // namespace
}  // namespace ecssd::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ecssd::fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecssd;
  FuzzedDataProvider in(data, size);
  const int call = in.ConsumeIntegralInRange(0, 5);
  aws::HttpResponse resp;
  resp.status = in.PickValueInArray<unsigned>({200, 200, 200, 200, 400, 403, 404, 409, 429, 500, 503, 302});
  if (in.ConsumeBool()) resp.headers.emplace_back("x-amzn-ErrorType", in.ConsumeRandomLengthString(60));
  if (in.ConsumeBool()) resp.headers.emplace_back("x-amzn-RequestId", in.ConsumeRandomLengthString(40));
  resp.body = in.ConsumeRemainingBytesAsString();
  fuzz::check_error_info(resp);

  fuzz::ScriptedTransport transport(resp);
  aws::ServiceEndpoint endpoint{"ecs", "us-east-1", "http://127.0.0.1:1"};
  switch (call) {
    case 0: {
      std::string next;
      auto r = aws::parse_describe_instances(resp.body, &next);
      if (!r.ok()) FUZZ_CHECK(r.error().code == common::ErrorCode::kProtocol, r.error().describe());
      aws::Ec2Client ec2(transport, endpoint);
      auto all = fuzz::run(ec2.describe_instances({"i-1", "i-2"}, {{"instance-state-name", {"running"}}}));
      fuzz::check_error(all, resp, "EC2 DescribeInstances");
      break;
    }
    case 1: {
      aws::EcsClient ecs(transport, endpoint);
      fuzz::check_error(fuzz::run(ecs.list_clusters()), resp, "ECS ListClusters");
      break;
    }
    case 2: {
      aws::EcsClient ecs(transport, endpoint);
      fuzz::check_error(fuzz::run(ecs.list_tasks("c", {.service_name = "web"})), resp, "ECS ListTasks");
      break;
    }
    case 3: {
      aws::EcsClient ecs(transport, endpoint);
      auto r = fuzz::run(ecs.describe_tasks("c", {"arn:aws:ecs:us-east-1:1:task/c/1"}));
      fuzz::check_error(r, resp, "ECS DescribeTasks");
      break;
    }
    case 4: {
      aws::EcsClient ecs(transport, endpoint);
      fuzz::check_error(fuzz::run(ecs.stop_task("c", "t", "dead")), resp, "ECS StopTask");
      break;
    }
    default: {
      aws::EventBridgeClient events(transport, endpoint);
      std::vector<aws::EventEntry> entries(3, aws::EventEntry{"ecssd", "Service Record Changed", "{}"});
      auto r = fuzz::run(events.put_events(entries));
      fuzz::check_error(r, resp, "EventBridge PutEvents");
      if (r.ok()) FUZZ_CHECK(r->entries.size() == entries.size(), "PutEvents results do not match the entries");
      break;
    }
  }
  return 0;
}
