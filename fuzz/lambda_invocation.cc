// What the Lambda Runtime API hands `ecssd lambda` (reaper/lambda_runtime.h):
// the answer to GET invocation/next (status, the Lambda-Runtime-* headers and
// the event), through one turn of LambdaLoop with the real ReapHandler over an
// empty zone. Invariants: an invocation is accepted only with a request id
// that is safe in a URL path, and is answered at that path exactly once
// (response or error), never elsewhere; an event that is not a JSON object is
// an InvalidEvent, any object gets the report; an error body is the JSON
// Lambda expects, with the message it was given.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/json.hpp>

#include "common/metrics.h"
#include "common/time_system.h"
#include "fuzz_util.h"
#include "provider/inmemory/inmemory_provider.h"
#include "reaper/lambda_runtime.h"
#include "registry/registry.h"

namespace ecssd::fuzz {
namespace {

constexpr std::string_view kBase = "http://127.0.0.1:9001/2018-06-01/runtime";

class RuntimeServer final : public aws::HttpClient {
 public:
  explicit RuntimeServer(aws::HttpResponse next) : next_(std::move(next)) {}
  boost::asio::awaitable<common::Result<aws::HttpResponse>> send(aws::HttpRequest req) override {
    requests.push_back(req);
    if (req.method == "GET") co_return next_;
    aws::HttpResponse accepted;
    accepted.status = 202;
    co_return accepted;
  }
  std::vector<aws::HttpRequest> requests;

 private:
  aws::HttpResponse next_;
};

class NoProbe final : public health::Probe {
 public:
  common::Task<health::ProbeResult> check(health::CheckSpec) override {
    FUZZ_CHECK(false, "an empty zone was probed");
    co_return health::ProbeResult{};
  }
};

bool safe_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_';
  });
}

bool valid_utf8(std::string_view s) {
  boost::system::error_code ec;
  boost::json::parse(boost::json::serialize(boost::json::value(boost::json::string(s))), ec);
  return !ec;
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
  aws::HttpResponse next;
  next.status = in.PickValueInArray<unsigned>({200, 200, 200, 200, 500, 403, 0});
  const bool with_id = in.ConsumeIntegralInRange(0, 7) != 0;
  std::string id = in.ConsumeBool() ? "8476a536-e9f4-11e8-9739-2dfe598c3fcd" : in.ConsumeRandomLengthString(140);
  if (with_id) next.headers.emplace_back("Lambda-Runtime-Aws-Request-Id", id);
  std::string deadline = in.ConsumeRandomLengthString(24);
  if (in.ConsumeBool()) next.headers.emplace_back("Lambda-Runtime-Deadline-Ms", deadline);
  if (in.ConsumeBool()) next.headers.emplace_back("Lambda-Runtime-Trace-Id", in.ConsumeRandomLengthString(60));
  next.body = in.ConsumeRemainingBytesAsString();

  common::SimulatedTimeSystem time;  // before the io_context: timers must not outlive it
  boost::asio::io_context io;
  common::Metrics metrics;
  provider::InMemoryProvider zone("sd.internal");
  registry::Registry registry(zone, "");
  fuzz::NoProbe probe;
  reaper::Reaper reaper(registry, probe, time, reaper::ReaperOptions{}, common::Scope(metrics));
  reaper::ReapHandler handler(reaper, "route53");
  fuzz::RuntimeServer server(next);
  reaper::HttpRuntimeApi api(server, "127.0.0.1:9001");
  reaper::LambdaLoop loop(api, handler, time, {.max_invocations = 1, .max_next_failures = 1, .retry_delay = {}});

  std::optional<common::Status> result;
  boost::asio::co_spawn(io, loop.run(), [&](std::exception_ptr e, common::Status s) {
    FUZZ_CHECK(!e, "an exception escaped the loop");
    result = std::move(s);
  });
  FUZZ_CHECK(time.run_until(io, [&] { return result.has_value(); }, std::chrono::hours(1)), "the loop did not end");

  const bool accepted = next.status == 200 && with_id && fuzz::safe_id(id);
  FUZZ_CHECK(result->ok() == accepted, fmt::format("status {}, id \"{}\": loop ok={}", next.status, id, result->ok()));
  const auto& reqs = server.requests;
  FUZZ_CHECK(!reqs.empty() && reqs[0].method == "GET" && reqs[0].url == std::string(fuzz::kBase) + "/invocation/next",
             "the first request is not GET invocation/next");
  if (!accepted) {
    FUZZ_CHECK(reqs.size() == 1, "something was posted for an invocation that was refused");
    return 0;
  }
  FUZZ_CHECK(reqs.size() == 2 && reqs[1].method == "POST", "not exactly one answer to the invocation");
  const auto& post = reqs[1];
  const std::string at = std::string(fuzz::kBase) + "/invocation/" + id;
  boost::system::error_code ec;
  auto body = boost::json::parse(post.body, ec);
  FUZZ_CHECK(!ec && body.is_object(), "the answer is not a JSON object: " + post.body.substr(0, 200));
  boost::json::value event = boost::json::parse(next.body, ec);
  if (ec || !event.is_object()) {
    FUZZ_CHECK(post.url == at + "/error", "an invalid event answered at " + post.url);
    FUZZ_CHECK(body.as_object().at("errorType") == "InvalidEvent", "not an InvalidEvent: " + post.body);
  } else {
    FUZZ_CHECK(post.url == at + "/response", "a valid event answered at " + post.url + ": " + post.body);
    FUZZ_CHECK(body.as_object().at("provider") == "route53", "not the report: " + post.body);
  }
  // The error body says what it was given.
  std::string message = next.body.substr(0, 300);
  if (fuzz::valid_utf8(message)) {
    auto e = boost::json::parse(reaper::error_body("T", message), ec);
    FUZZ_CHECK(!ec && e.is_object() && e.as_object().at("errorMessage").as_string() == std::string_view(message),
               "error_body loses the message");
  }
  return 0;
}
