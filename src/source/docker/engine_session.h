#pragma once
// Internal to src/source/docker: the connection to the container engine. A
// session is: GET /_ping, negotiate the API version, open GET /events (with
// since= after the first session, so that events missed while away are
// replayed), then read events until the stream ends. Then it reconnects after
// a capped, fully jittered exponential backoff, waited on a Timer of the
// TimeSystem it was given, and the next session begins with a relisting (the
// handler's `began`). The link's state changes are logged once each
// (connected, lost, still unreachable with another error, reconnected).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "common/backoff.h"
#include "common/log_limiter.h"
#include "common/result.h"
#include "common/task.h"
#include "common/time_system.h"
#include "source/docker/engine_client.h"
#include "source/docker/event_decoder.h"
#include "source/docker/source_metrics.h"

namespace ecssd::source {

struct SessionOptions {
  std::string socket_path;
  EngineLimits limits;
  size_t max_event_bytes = size_t{1} << 20;
  std::chrono::milliseconds backoff_base{250};
  std::chrono::milliseconds backoff_cap{30'000};
};

// The link's counters, for DockerSourceStatus.
struct SessionStatus {
  bool connected = false;
  std::string api_version;
  std::string engine;
  uint64_t events_seen = 0;
  uint64_t malformed_events = 0;
  uint64_t reconnects = 0;
  std::string last_error;
};

class EngineSession : public std::enable_shared_from_this<EngineSession> {
 public:
  struct Handler {
    // A new event stream is open (the first, or after a reconnect): relist.
    std::function<void()> began;
    // One decoded event of any type; `replayed` when since= brought it back
    // from before this session began.
    std::function<void(const EngineEvent&, bool replayed)> event;
  };

  // Use make(): sessions are shared with their coroutines.
  EngineSession(boost::asio::any_io_executor executor, SessionOptions options, common::TimeSystem& time,
                SourceMetrics metrics, Handler handler);
  static std::shared_ptr<EngineSession> make(boost::asio::any_io_executor executor, SessionOptions options,
                                             common::TimeSystem& time, SourceMetrics metrics, Handler handler);

  // Connects in the background, and reconnects whenever a session ends,
  // until stop(). Never throws.
  void start();
  // Closes the stream, cancels every request and the backoff wait; the
  // handler is not called any more. Idempotent.
  void stop();

  // GET `path` (e.g. "/containers/json?all=1") in the API version of the
  // current session. Errors: those of EngineClient::get.
  common::Task<common::Result<EngineResponse>> get(const std::string& path);

  // Ends the current session from outside its reader (a failed list or
  // inspect): the stream closes and the session reports `error`. Nothing
  // when no stream is open.
  void fail(common::Error error);

  // Numbers sessions: an answer to a request of another session is not used.
  uint64_t id() const { return session_; }
  // The event stream is open.
  bool open() const { return stream_ != nullptr; }
  bool stopped() const { return stopped_; }
  const std::string& socket_path() const { return options_.socket_path; }
  const SessionStatus& status() const { return status_; }

 private:
  enum class Link { kStarting, kUp, kDown };

  static common::Task<void> run(std::shared_ptr<EngineSession> self);
  static common::Task<common::Status> session(std::shared_ptr<EngineSession> self);
  common::Task<common::Status> read_events(std::shared_ptr<EngineStream> stream);
  void spawn_run();
  std::string events_target() const;
  void begin(std::shared_ptr<EngineStream> stream, const std::string& api_version, const std::string& engine);
  void end(const common::Error& error);

  SessionOptions options_;
  common::TimeSystem& time_;
  SourceMetrics metrics_;
  Handler handler_;
  boost::asio::any_io_executor executor_;
  EngineClient client_;
  common::Backoff backoff_;
  std::unique_ptr<common::Timer> retry_timer_;
  // Malformed or oversized events: the first in full, then a count a minute.
  common::LogLimiter malformed_log_;
  bool started_ = false;
  bool stopped_ = false;

  Link link_ = Link::kStarting;
  std::optional<common::ErrorCode> logged_error_;  // the failure last logged while down
  common::SteadyTime down_since_{};
  std::string prefix_;  // "/v1.41"
  std::shared_ptr<EngineStream> stream_;
  std::optional<common::Error> failure_;  // set by fail()
  uint64_t session_ = 0;
  int64_t last_event_nano_ = 0;    // engine clock
  int64_t replay_floor_ = 0;       // last_event_nano_ when this session began: older events are replays
  int64_t last_connect_unix_ = 0;  // our clock, when the last stream opened
  SessionStatus status_;
};

}  // namespace ecssd::source
