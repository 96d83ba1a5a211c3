#pragma once
// The AWS Lambda Runtime API for a custom runtime (provided.al2023): fetch the
// next invocation, post its response or its error, report an initialisation
// error. `ecssd lambda` (or the binary started as `bootstrap`) runs LambdaLoop
// with a ReapHandler: each invocation, normally an EventBridge scheduled
// event, runs one reap pass and answers with the JSON report.
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
#include <chrono>
#include <cstdint>
#include <string>

#include "aws/http.h"
#include "common/result.h"
#include "common/task.h"
#include "common/time_system.h"
#include "reaper/reaper.h"

namespace ecssd::reaper {

struct Invocation {
  std::string request_id;    // Lambda-Runtime-Aws-Request-Id
  std::string event;         // the payload, as sent
  int64_t deadline_ms = 0;   // Lambda-Runtime-Deadline-Ms (unix milliseconds), 0 when absent
  std::string function_arn;  // Lambda-Runtime-Invoked-Function-Arn
  std::string trace_id;      // Lambda-Runtime-Trace-Id
};

class RuntimeApi {
 public:
  virtual ~RuntimeApi() = default;
  // Waits (long poll) for the next invocation. Errors: kUnavailable/kTimeout
  // (transient) when the API cannot be reached; kProtocol for an answer that
  // is not an invocation (status other than 200, no request id).
  virtual common::Task<common::Result<Invocation>> next() = 0;
  // Posts the invocation's result. Errors: the transport's; kProtocol when the
  // API does not accept it (e.g. 413 for a response over 6 MB).
  virtual common::Task<common::Status> respond(std::string request_id, std::string body) = 0;
  // Posts the invocation's failure as {"errorMessage", "errorType"}. Errors: as respond().
  virtual common::Task<common::Status> fail(std::string request_id, std::string error_type, std::string message) = 0;
  // Reports that the function cannot start (bad configuration); the caller
  // exits afterwards. Errors: as respond().
  virtual common::Task<common::Status> init_error(std::string error_type, std::string message) = 0;
};

// The Runtime API over HTTP at AWS_LAMBDA_RUNTIME_API ("host:port"), through
// the project's HttpClient (plain HTTP: the API is local to the sandbox).
class HttpRuntimeApi final : public RuntimeApi {
 public:
  // `http` must outlive this object.
  HttpRuntimeApi(aws::HttpClient& http, std::string endpoint);

  common::Task<common::Result<Invocation>> next() override;
  common::Task<common::Status> respond(std::string request_id, std::string body) override;
  common::Task<common::Status> fail(std::string request_id, std::string error_type, std::string message) override;
  common::Task<common::Status> init_error(std::string error_type, std::string message) override;

 private:
  common::Task<common::Status> post(std::string path, std::string body, std::string error_type);

  aws::HttpClient& http_;
  std::string base_;  // "http://host:port/2018-06-01/runtime"
};

// The body Lambda expects for an error: {"errorMessage", "errorType", "stackTrace": []}.
std::string error_body(std::string_view error_type, std::string_view message);

struct InvocationResult {
  bool ok = true;
  std::string body;  // the response (ok)
  std::string error_type;
  std::string error_message;
};

class InvocationHandler {
 public:
  virtual ~InvocationHandler() = default;
  // Handles one invocation. Never throws: failures are results (ok = false).
  virtual common::Task<InvocationResult> handle(Invocation invocation) = 0;
};

// One reap pass per invocation. An event that is not a JSON object is an
// "InvalidEvent" error; a failed pass (listing, safety valve, deletion, AWS
// errors) is a "ReapFailed" error whose message names what failed; otherwise
// the JSON report (only the records not kept when the whole would exceed
// Lambda's 6 MB response limit).
class ReapHandler final : public InvocationHandler {
 public:
  // `reaper` must outlive the handler. `provider` names the provider in reports.
  ReapHandler(Reaper& reaper, std::string provider) : reaper_(reaper), provider_(std::move(provider)) {}
  common::Task<InvocationResult> handle(Invocation invocation) override;

 private:
  Reaper& reaper_;
  std::string provider_;
};

struct LambdaLoopOptions {
  // Stop after this many invocations (0: never; tests use it).
  size_t max_invocations = 0;
  // Consecutive failures of next() before the loop gives up (Lambda then
  // restarts the runtime).
  int max_next_failures = 5;
  std::chrono::milliseconds retry_delay{500};
};

class LambdaLoop {
 public:
  // All three must outlive the loop. The retry delay is waited on `time`.
  LambdaLoop(RuntimeApi& api, InvocationHandler& handler, common::TimeSystem& time, LambdaLoopOptions options = {});

  // next -> handle -> respond or fail, until max_invocations or next() keeps
  // failing. A failed respond() is reported as the invocation's error (e.g. a
  // response the API refused). Errors: next()'s last error.
  common::Task<common::Status> run();

  size_t invocations() const { return invocations_; }

 private:
  RuntimeApi& api_;
  InvocationHandler& handler_;
  common::TimeSystem& time_;
  LambdaLoopOptions options_;
  size_t invocations_ = 0;
};

// Lambda's synchronous response limit is 6 MB; stay below it.
inline constexpr size_t kMaxLambdaResponse = 5'500'000;

}  // namespace ecssd::reaper
