#pragma once
// HTTP/1.1 client of the Docker Engine API on its unix socket (Beast over
// asio::local::stream_protocol). GET only: the agent never changes the engine.
// One connection per request: a unix-socket connect costs microseconds, and no
// pooled connection can go stale across an engine restart. The event stream
// has its own long-lived connection.
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "common/result.h"
#include "common/task.h"

namespace ecssd::source {

struct EngineLimits {
  // Deadline of one request: connect, send, and read the whole response (for a
  // stream: up to its headers). A socket I/O deadline, kept by Beast's own
  // stream timer on the real clock (not a common::TimeSystem wait).
  std::chrono::milliseconds timeout{10'000};
  // Bound on a response body (list, inspect, ping).
  size_t max_response_bytes = size_t{16} << 20;
};

struct EngineResponse {
  unsigned status = 0;
  std::string content_type;
  std::string api_version;  // the Api-Version header, when sent
  std::string server;       // the Server header ("Docker/20.10.24 (linux)", "Libpod/4.3.1")
  std::string body;
  // The engine's error text: {"message": "..."}, else the body itself (shortened).
  std::string error_message() const;
};

struct EngineConnection;

// A streamed response body (GET /events), de-chunked, read piece by piece.
// Owned by one reader; close() may be called from anywhere on the same executor.
class EngineStream {
 public:
  struct State;
  explicit EngineStream(std::shared_ptr<State> state);
  ~EngineStream();

  const std::string& content_type() const;

  // Waits for the next piece of the body (never empty). There is no idle
  // timeout: the engine sends nothing while nothing happens. Errors:
  // kUnavailable (transient) when the engine ends the stream or the connection
  // breaks; kCancelled after close(); kProtocol for a malformed chunked body.
  common::Task<common::Result<std::string>> read_some();

  // Closes the connection; a pending read_some() ends with kCancelled. Idempotent.
  void close();

 private:
  std::shared_ptr<State> state_;
};

class EngineClient {
 public:
  EngineClient(boost::asio::any_io_executor executor, std::string socket_path, EngineLimits limits);
  ~EngineClient();
  EngineClient(const EngineClient&) = delete;
  EngineClient& operator=(const EngineClient&) = delete;

  // GET `target` (path and query, e.g. "/v1.41/containers/json?all=1") and reads
  // the whole response. HTTP error statuses are responses, not errors. Errors:
  // kUnavailable (transient) when the socket cannot be reached or the engine
  // closes the connection early; kPermissionDenied when the socket refuses us;
  // kTimeout (transient) when limits.timeout passes; kTooLarge when the body
  // exceeds limits.max_response_bytes; kProtocol for a malformed HTTP response;
  // kCancelled after cancel_all().
  common::Task<common::Result<EngineResponse>> get(std::string target);

  // Opens a streamed GET and returns once the response headers arrived with
  // status 200 and an event-stream content type. Errors: as get(), plus
  // kProtocol (kUnavailable, transient, for 5xx) when the engine answers
  // another status, naming the engine's message; kProtocol for an unexpected
  // content type.
  common::Task<common::Result<std::shared_ptr<EngineStream>>> stream(std::string target);

  // Closes every open connection (requests end with kCancelled). For shutdown.
  void cancel_all();

  const std::string& socket_path() const { return socket_path_; }

 private:
  std::shared_ptr<EngineConnection> open_connection();

  boost::asio::any_io_executor executor_;
  std::string socket_path_;
  EngineLimits limits_;
  std::list<std::weak_ptr<EngineConnection>> live_;
};

}  // namespace ecssd::source
