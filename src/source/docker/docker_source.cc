#include "source/docker/docker_source.h"

#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include "common/log.h"
#include "common/log_limiter.h"
#include "source/docker/container_table.h"
#include "source/docker/engine_session.h"
#include "source/docker/event_meaning.h"
#include "source/docker/inspect_queue.h"
#include "source/docker/reconcile.h"
#include "source/docker/source_metrics.h"

namespace ecssd::source {

namespace asio = boost::asio;
using common::ErrorCode;
using common::Task;

common::Status validate(const DockerSourceOptions& o) {
  auto bad = [](std::string what) { return common::make_error(ErrorCode::kInvalidArgument, std::move(what)); };
  if (o.docker_host.empty()) return bad("no docker host given");
  auto path = socket_path_from_docker_host(o.docker_host);
  if (!path.ok()) return path.error();
  if (o.request_timeout.count() <= 0) return bad("the Docker request timeout must be positive");
  if (o.max_response_bytes < 1024) return bad("the Docker response bound must be at least 1024 bytes");
  if (o.max_event_bytes < 256) return bad("the Docker event bound must be at least 256 bytes");
  if (o.backoff_base.count() <= 0 || o.backoff_cap < o.backoff_base) {
    return bad("the Docker reconnect backoff needs 0 < base <= cap");
  }
  if (o.max_concurrent_inspects == 0) return bad("at least one concurrent inspect is needed");
  return {};
}

// The stages wired together: the session's events and relistings feed the
// container table through the event meanings, the inspect queue and the
// reconciliation of listings; the table's changes wake the caller.
struct DockerSource::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io_context, DockerSourceOptions o, common::TimeSystem& t, const common::Scope& scope)
      : io_(io_context),
        options_(std::move(o)),
        time_(t),
        metrics_(scope),
        table_(options_.ignore_health, metrics_, [this] { notify(); }),
        queue_(options_.max_concurrent_inspects),
        inspect_errors_(t, io_context.get_executor(), "unusable inspect answers", by_container()) {}

  static common::LogLimiter::Options by_container() {
    common::LogLimiter::Options o;
    o.source_field = "container";
    return o;
  }

  // Second phase of construction: the session's handler holds a weak_ptr to this.
  void connect(std::string socket_path) {
    SessionOptions so{std::move(socket_path), EngineLimits{options_.request_timeout, options_.max_response_bytes},
                      options_.max_event_bytes, options_.backoff_base, options_.backoff_cap};
    EngineSession::Handler handler;
    handler.began = [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->session_began();
    };
    handler.event = [weak = weak_from_this()](const EngineEvent& ev, bool replayed) {
      if (auto self = weak.lock()) self->on_event(ev, replayed);
    };
    session_ = EngineSession::make(io_.get_executor(), std::move(so), time_, metrics_, std::move(handler));
  }

  asio::io_context& io_;
  DockerSourceOptions options_;
  common::TimeSystem& time_;
  SourceMetrics metrics_;
  ContainerTable table_;
  InspectQueue queue_;
  Resync resync_;
  std::shared_ptr<EngineSession> session_;
  std::function<void()> on_change_;
  bool started_ = false;
  bool stopped_ = false;
  bool notify_pending_ = false;
  uint64_t inspects_ = 0;
  uint64_t stale_inspects_ = 0;
  // An engine answering garbage for a container is logged once, then counted:
  // the same container may be inspected again at every event.
  common::LogLimiter inspect_errors_;

  // Wakes the caller once per turn of the io_context, never before the first
  // full listing (never withdraw on ignorance).
  void notify() {
    if (!resync_.synced() || !on_change_ || stopped_ || notify_pending_) return;
    notify_pending_ = true;
    asio::post(io_, [self = shared_from_this()] {
      self->notify_pending_ = false;
      if (!self->stopped_ && self->on_change_) self->on_change_();
    });
  }

  // A new event stream: answers to the old session's requests may predate
  // missed events, so they are not used; everything is relisted.
  void session_began() {
    queue_.clear();
    for (auto& [id, c] : table_.all()) ++c.gen;
    resync_.reset();
    start_resync();
  }

  void on_event(const EngineEvent& ev, bool replayed) {
    EventMeaning m = meaning_of(ev, replayed);
    if (m.kind == EventKind::kIgnore) return;
    uint64_t seq = table_.next_event_seq();
    log::debug("Docker event", {{"container", short_id(ev.id)}, {"action", ev.action}, {"replayed", replayed}});
    switch (m.kind) {
      case EventKind::kIgnore:
        return;
      case EventKind::kReplay:
        // Only an inspect: a container that died and came back long ago does
        // not blink out while the replay passes its old die.
        if (Container* c = table_.find(ev.id)) {
          ++c->gen;
          c->last_event_seq = seq;
          schedule_inspect(ev.id);
        }
        return;
      case EventKind::kForget:
        queue_.erase(ev.id);  // the queue follows the table: a burst of short-lived containers leaves nothing
        if (table_.forget(ev.id, ev.action)) answered(ev.id);
        return;
      case EventKind::kChange: {
        Container& c = table_.get(ev.id);
        ++c.gen;
        c.last_event_seq = seq;
        auto before = table_.published(c);
        apply_at_once(m, c);
        table_.announce(ev.id, c.name, before, table_.published(c), ev.action);
        schedule_inspect(ev.id);
        return;
      }
    }
  }

  // --- inspects

  void schedule_inspect(const std::string& id) {
    if (table_.find(id) == nullptr) return;
    if (queue_.push(id)) pump();
  }

  void pump() {
    auto known = [this](const std::string& id) { return table_.find(id) != nullptr; };
    while (!stopped_) {
      auto ticket = queue_.pop(known);
      if (!ticket) break;
      uint64_t gen = table_.find(ticket->id)->gen;
      ++inspects_;
      metrics_.inspects.inc();
      spawn(inspect_task(shared_from_this(), std::move(*ticket), gen, session_->id()));
    }
  }

  static Task<void> inspect_task(std::shared_ptr<Impl> self, InspectQueue::Ticket ticket, uint64_t gen,
                                 uint64_t session_id) {
    auto r = co_await self->session_->get("/containers/" + ticket.id + "/json");
    self->queue_.finish(ticket);
    if (self->stopped_) co_return;
    if (session_id != self->session_->id()) {
      self->pump();
      co_return;
    }
    self->take_inspect(ticket.id, gen, std::move(r));
  }

  void take_inspect(const std::string& id, uint64_t gen, common::Result<EngineResponse> r) {
    Container* c = table_.find(id);
    if (c == nullptr) {  // destroyed meanwhile
      answered(id);
      pump();
      return;
    }
    if (c->gen != gen) {
      ++stale_inspects_;
      metrics_.stale_inspects.inc();
      log::debug("dropping an inspect older than the last event", {{"container", short_id(id)}});
      schedule_inspect(id);
      pump();
      return;
    }
    InspectAnswer a = read_inspect(std::move(r), id, ExtractOptions{options_.network});
    switch (a.kind) {
      case InspectAnswer::Kind::kFailSession:
        session_->fail(std::move(a.error));
        return;
      case InspectAnswer::Kind::kKeep:
        inspect_errors_.note(short_id(id), spdlog::level::warn,
                             "cannot inspect container; keeping its last known state", {{"error", a.error.message}});
        break;
      case InspectAnswer::Kind::kUnreadable:
        inspect_errors_.note(short_id(id), spdlog::level::warn,
                             "cannot read container inspect; keeping its last known state",
                             {{"error", a.error.message}});
        break;
      case InspectAnswer::Kind::kGone:
        table_.forget(id, "gone");
        break;
      case InspectAnswer::Kind::kApply:
        table_.apply_inspect(id, *c, std::move(a.info));
        break;
    }
    answered(id);
    pump();
  }

  // --- full listings

  void start_resync() {
    if (resync_.request()) spawn(resync_task(shared_from_this(), session_->id()));
  }

  static Task<void> resync_task(std::shared_ptr<Impl> self, uint64_t session_id) {
    uint64_t seq0 = self->table_.event_seq();
    auto r = co_await self->session_->get("/containers/json?all=1");
    if (self->stopped_ || session_id != self->session_->id()) co_return;
    if (!r.ok()) {
      self->session_->fail(r.error());
      co_return;
    }
    auto listing = read_listing(*r);
    if (!listing.ok()) {
      self->session_->fail(listing.error());
      co_return;
    }
    auto running = reconcile(self->table_, *listing, seq0);
    self->queue_.retain([&self](const std::string& id) { return self->table_.find(id) != nullptr; });
    bool complete = self->resync_.applied(running);
    for (const auto& id : running) self->schedule_inspect(id);
    if (complete) self->finish_resync();
  }

  // The inspect of `id` answered (or its container went): it may complete the listing.
  void answered(const std::string& id) {
    if (resync_.answered(id)) finish_resync();
  }

  void finish_resync() {
    const bool first = !resync_.synced();
    const bool again = resync_.complete();
    metrics_.resyncs.inc();
    if (first) {
      log::info("Docker containers listed", {{"containers", table_.size()}, {"services", table_.published_count()}});
    } else {
      log::debug("Docker containers relisted",
                 {{"containers", table_.size()}, {"services", table_.published_count()}});
    }
    notify();
    if (again) start_resync();
  }

  // Runs a coroutine on the io_context. Nothing inside is expected to throw;
  // should something (allocation) do so, the session restarts instead of the
  // source dying silently.
  void spawn(Task<void> task) {
    asio::co_spawn(io_, std::move(task), [weak = weak_from_this()](std::exception_ptr e) {
      if (!e) return;
      auto self = weak.lock();
      std::string what = common::exception_message(e);
      log::error("internal error in the Docker source; reconnecting", {{"error", what}});
      if (self) self->session_->fail(common::make_error(ErrorCode::kInternal, what));
    });
  }
};

DockerSource::DockerSource(asio::io_context& io, DockerSourceOptions options, common::TimeSystem& time,
                           common::Scope scope) {
  if (auto s = validate(options); !s.ok()) throw std::invalid_argument(s.error().message);
  auto path = socket_path_from_docker_host(options.docker_host);
  impl_ = std::make_shared<Impl>(io, std::move(options), time, scope);
  impl_->connect(std::move(*path));
}

DockerSource::~DockerSource() { stop(); }

void DockerSource::start(std::function<void()> on_change) {
  if (impl_->started_ || impl_->stopped_) return;
  impl_->started_ = true;
  impl_->on_change_ = std::move(on_change);
  impl_->session_->start();
}

void DockerSource::stop() {
  if (impl_->stopped_) return;
  impl_->stopped_ = true;
  impl_->session_->stop();
  impl_->queue_.clear();
  impl_->inspect_errors_.close();
  impl_->on_change_ = nullptr;
}

std::vector<model::Service> DockerSource::services() const { return impl_->table_.services(); }

bool DockerSource::synced() const { return impl_->resync_.synced(); }

void DockerSource::resync() {
  if (!impl_->started_ || impl_->stopped_ || !impl_->session_->open()) return;  // a reconnect relists anyway
  impl_->start_resync();
}

DockerSourceStatus DockerSource::status() const {
  const SessionStatus& link = impl_->session_->status();
  DockerSourceStatus s;
  s.connected = link.connected;
  s.synced = impl_->resync_.synced();
  s.api_version = link.api_version;
  s.engine = link.engine;
  s.events_seen = link.events_seen;
  s.malformed_events = link.malformed_events;
  s.reconnects = link.reconnects;
  s.resyncs = impl_->resync_.completed();
  s.inspects = impl_->inspects_;
  s.stale_inspects = impl_->stale_inspects_;
  s.rejections_logged = impl_->table_.rejections_logged();
  s.containers = impl_->table_.size();
  s.inspects_queued = impl_->queue_.queued();
  s.inspects_in_flight = impl_->queue_.in_flight();
  s.last_error = link.last_error;
  return s;
}

}  // namespace ecssd::source
