#include "source/docker/engine_session.h"

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "common/duration.h"
#include "common/log.h"
#include "source/docker/api_version.h"

namespace ecssd::source {
namespace {

namespace asio = boost::asio;
using common::ErrorCode;

constexpr std::string_view kEventFilter = R"({"type":["container"]})";

common::LogLimiter::Options by_socket() {
  common::LogLimiter::Options o;
  o.source_field = "socket";
  return o;
}

}  // namespace

EngineSession::EngineSession(asio::any_io_executor executor, SessionOptions options, common::TimeSystem& time,
                             SourceMetrics metrics, Handler handler)
    : options_(std::move(options)),
      time_(time),
      metrics_(std::move(metrics)),
      handler_(std::move(handler)),
      executor_(executor),
      client_(executor, options_.socket_path, options_.limits),
      backoff_(options_.backoff_base, options_.backoff_cap),
      retry_timer_(time.make_timer(executor)),
      malformed_log_(time, executor, "malformed Docker events", by_socket()) {}

std::shared_ptr<EngineSession> EngineSession::make(asio::any_io_executor executor, SessionOptions options,
                                                   common::TimeSystem& time, SourceMetrics metrics, Handler handler) {
  return std::make_shared<EngineSession>(std::move(executor), std::move(options), time, std::move(metrics),
                                         std::move(handler));
}

void EngineSession::start() {
  if (started_ || stopped_) return;
  started_ = true;
  spawn_run();
}

void EngineSession::stop() {
  if (stopped_) return;
  stopped_ = true;
  retry_timer_->cancel();
  malformed_log_.close();
  if (stream_) stream_->close();
  client_.cancel_all();
}

common::Task<common::Result<EngineResponse>> EngineSession::get(const std::string& path) {
  return client_.get(prefix_ + path);
}

void EngineSession::fail(common::Error error) {
  if (!stream_) return;
  if (!failure_) failure_ = std::move(error);
  stream_->close();
}

// Nothing inside is expected to throw; should something (allocation) do so,
// the loop starts again instead of the source dying silently.
void EngineSession::spawn_run() {
  asio::co_spawn(executor_, run(shared_from_this()), [weak = weak_from_this()](std::exception_ptr e) {
    if (!e) return;
    auto self = weak.lock();
    std::string what = common::exception_message(e);
    log::error("internal error in the Docker source; restarting it", {{"error", what}});
    if (self && !self->stopped_) {
      self->stream_.reset();
      self->spawn_run();
    }
  });
}

common::Task<void> EngineSession::run(std::shared_ptr<EngineSession> self) {
  while (!self->stopped_) {
    common::Status st = co_await session(self);
    if (self->stopped_) break;
    self->end(st.error());
    self->retry_timer_->expires_after(self->backoff_.next());
    co_await self->retry_timer_->wait();
  }
}

// One session; it always ends with the error that ended it.
common::Task<common::Status> EngineSession::session(std::shared_ptr<EngineSession> self) {
  auto ping = co_await self->client_.get("/_ping");
  if (!ping.ok()) co_return ping.error();
  if (ping->status != 200) {
    co_return common::transient_error(
        ErrorCode::kUnavailable,
        fmt::format("GET /_ping: the Docker engine answered {}: {}", ping->status, ping->error_message()));
  }
  auto version = negotiate_api_version(ping->api_version);
  if (!version.ok()) co_return version.error();
  if (self->stopped_) co_return common::make_error(ErrorCode::kCancelled, "stopped");
  self->prefix_ = version->prefix();
  auto opened = co_await self->client_.stream(self->events_target());
  if (!opened.ok()) co_return opened.error();
  std::shared_ptr<EngineStream> s = *opened;
  if (self->stopped_) {
    s->close();
    co_return common::make_error(ErrorCode::kCancelled, "stopped");
  }
  self->begin(s, version->to_string(), ping->server);
  if (self->handler_.began && !self->stopped_) self->handler_.began();
  co_return co_await self->read_events(std::move(s));
}

common::Task<common::Status> EngineSession::read_events(std::shared_ptr<EngineStream> s) {
  EventDecoder decoder(options_.max_event_bytes);
  EventDecoder::Output out;
  while (true) {
    auto piece = co_await s->read_some();
    if (!piece.ok()) {
      if (failure_) co_return *failure_;
      co_return piece.error();
    }
    if (stopped_) continue;  // the next read ends with kCancelled
    out.events.clear();
    out.errors.clear();
    decoder.feed(*piece, out);
    for (const auto& e : out.errors) {
      ++status_.malformed_events;
      metrics_.malformed.inc();
      malformed_log_.note(options_.socket_path, spdlog::level::warn, "skipping a malformed Docker event",
                          {{"error", e}});
    }
    for (const auto& ev : out.events) {
      if (stopped_) break;
      ++status_.events_seen;
      metrics_.events.inc();
      last_event_nano_ = std::max(last_event_nano_, ev.time_nano);
      // since= replays events already handled before the reconnect.
      const bool replayed = ev.time_nano != 0 && ev.time_nano <= replay_floor_;
      if (handler_.event) handler_.event(ev, replayed);
    }
  }
}

std::string EngineSession::events_target() const {
  std::string target = prefix_ + "/events?filters=" + boost::urls::encode(kEventFilter, boost::urls::unreserved_chars);
  if (last_event_nano_ > 0) {
    target += fmt::format("&since={}.{:09}", last_event_nano_ / 1'000'000'000, last_event_nano_ % 1'000'000'000);
  } else if (last_connect_unix_ > 0) {
    target += fmt::format("&since={}", last_connect_unix_ - 1);
  }
  return target;
}

void EngineSession::begin(std::shared_ptr<EngineStream> s, const std::string& api_version, const std::string& engine) {
  ++session_;
  replay_floor_ = last_event_nano_;
  stream_ = std::move(s);
  failure_.reset();
  if (link_ == Link::kDown) {
    ++status_.reconnects;
    metrics_.reconnects.inc();
    auto down = std::chrono::duration_cast<std::chrono::milliseconds>(time_.steady_now() - down_since_);
    log::info("Docker engine reconnected", {{"socket", options_.socket_path},
                                            {"api_version", api_version},
                                            {"engine", engine},
                                            {"down_for", common::format_duration(down)}});
  } else {
    log::info("Docker engine connected",
              {{"socket", options_.socket_path}, {"api_version", api_version}, {"engine", engine}});
  }
  link_ = Link::kUp;
  logged_error_.reset();
  status_.connected = true;
  metrics_.connected.set(1);
  if (status_.api_version != api_version || status_.engine != engine) {
    if (!status_.api_version.empty()) metrics_.set_engine_info(status_.api_version, status_.engine, false);
    metrics_.set_engine_info(api_version, engine, true);
  }
  status_.api_version = api_version;
  status_.engine = engine;
  backoff_.reset();
  last_connect_unix_ = std::chrono::duration_cast<std::chrono::seconds>(time_.system_now().time_since_epoch()).count();
}

void EngineSession::end(const common::Error& error) {
  status_.connected = false;
  metrics_.connected.set(0);
  status_.last_error = error.message;
  stream_.reset();
  if (link_ != Link::kDown) {
    log::warn(link_ == Link::kUp ? "lost the Docker engine; reconnecting with backoff"
                                 : "cannot reach the Docker engine; retrying with backoff",
              {{"socket", options_.socket_path}, {"error", error.message}});
    down_since_ = time_.steady_now();
    link_ = Link::kDown;
    logged_error_ = error.code;
  } else if (logged_error_ != error.code) {
    log::warn("the Docker engine is still unreachable", {{"socket", options_.socket_path}, {"error", error.message}});
    logged_error_ = error.code;
  } else {
    log::debug("the Docker engine is still unreachable", {{"error", error.message}, {"attempt", backoff_.attempts()}});
  }
}

}  // namespace ecssd::source
