#include "source/docker/docker_source.h"

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "common/backoff.h"
#include "common/duration.h"
#include "common/log.h"
#include "common/metrics.h"
#include "source/docker/api_version.h"
#include "source/docker/container_inspect.h"
#include "source/docker/engine_client.h"
#include "source/docker/event_decoder.h"

namespace ecssd::source {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using common::ErrorCode;

constexpr std::string_view kEventFilter = R"({"type":["container"]})";

std::string short_id(std::string_view id) { return std::string(id.substr(0, 12)); }

// Engine ids are hex; anything else is not put into a request path.
bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-' || c == '.'; });
}

// Actions that say nothing about whether a container serves: a health check's
// exec_* events alone arrive every interval.
bool is_noise(std::string_view action) {
  static const std::set<std::string_view> kNoise = {"attach",         "detach", "resize",  "top",
                                                    "export",         "commit", "copy",    "archive-path",
                                                    "extract-to-dir", "mount",  "unmount", "checkpoint"};
  return action.starts_with("exec") || kNoise.contains(action);  // Podman: "exec", "exec_died"
}

// Signals whose default action ends the process and that are not commonly
// used to ask for a reload (SIGHUP, SIGUSR1/2 keep the container published).
bool terminating_signal(std::string_view sig) {
  if (sig.starts_with("SIG")) sig.remove_prefix(3);
  return sig.empty() || sig == "15" || sig == "9" || sig == "2" || sig == "3" || sig == "TERM" || sig == "KILL" ||
         sig == "INT" || sig == "QUIT";
}

std::string describe(const std::vector<model::Service>& services) {
  std::string out;
  for (const auto& s : services) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}={}/{}", s.name, s.container_port, s.protocol);
    if (s.host_port) out += fmt::format(":{}", s.host_port);
  }
  return out;
}

struct Container {
  std::string name;
  uint64_t gen = 0;             // bumped by every event: older inspect results are stale
  uint64_t last_event_seq = 0;  // the newest event seen for it (orders it against a listing)
  bool inflight = false;
  bool queued = false;
  bool inspected = false;
  bool running = false;
  std::string health;
  std::string started_at;
  // Set by a terminating kill: the run (StartedAt) it withdrew, "" until known.
  // That run stays unpublished even while its process drains.
  std::optional<std::string> withdrawn_run;
  std::vector<model::Service> services;  // as declared by the last inspect
  std::set<std::string> logged;          // rejections and notes already logged
};

enum class Link { kStarting, kUp, kDown };

// Process-wide series (one engine per agent), next to the counters of status().
struct SourceMetrics {
  static common::Counter& counter(const char* name, const char* help) {
    return common::Metrics::global().counter(name, help);
  }
  common::Gauge& connected =
      common::Metrics::global().gauge("ecssd_docker_connected", "1 while the container engine's event stream is open");
  common::Counter& events = counter("ecssd_docker_events_total", "Container engine events decoded");
  common::Counter& malformed =
      counter("ecssd_docker_malformed_events_total", "Container engine events skipped as malformed or oversized");
  common::Counter& reconnects =
      counter("ecssd_docker_reconnects_total", "Connections to the container engine after the first");
  common::Counter& resyncs = counter("ecssd_docker_resyncs_total", "Full container listings completed");
  common::Counter& inspects = counter("ecssd_docker_inspects_total", "Container inspect requests sent");
  common::Counter& stale_inspects =
      counter("ecssd_docker_stale_inspects_total", "Inspect answers dropped because a newer event had arrived");
  common::Counter& rejections =
      counter("ecssd_docker_rejected_variables_total", "SERVICE_ variables rejected (logged once per container)");
};

// ecssd_docker_engine_info{api_version, engine} = 1 for the engine in use.
void set_engine_info(const std::string& api_version, const std::string& engine, bool on) {
  common::Metrics::global()
      .gauge("ecssd_docker_engine_info", "The container engine in use and the API version spoken with it",
             {{"api_version", api_version}, {"engine", engine}})
      .set(on ? 1 : 0);
}

}  // namespace

common::Status validate(const DockerSourceOptions& o) {
  auto path = socket_path_from_docker_host(o.docker_host.empty() ? default_docker_host() : o.docker_host);
  if (!path.ok()) return path.error();
  auto bad = [](std::string what) { return common::make_error(ErrorCode::kInvalidArgument, std::move(what)); };
  if (o.request_timeout.count() <= 0) return bad("the Docker request timeout must be positive");
  if (o.max_response_bytes < 1024) return bad("the Docker response bound must be at least 1024 bytes");
  if (o.max_event_bytes < 256) return bad("the Docker event bound must be at least 256 bytes");
  if (o.backoff_base.count() <= 0 || o.backoff_cap < o.backoff_base) {
    return bad("the Docker reconnect backoff needs 0 < base <= cap");
  }
  if (o.max_concurrent_inspects == 0) return bad("at least one concurrent inspect is needed");
  return {};
}

struct DockerSource::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io_context, DockerSourceOptions o, common::TimeSource& t, std::string path)
      : io_(io_context),
        options_(std::move(o)),
        time_(t),
        socket_path_(std::move(path)),
        client_(io_context.get_executor(), socket_path_,
                EngineLimits{options_.request_timeout, options_.max_response_bytes}),
        backoff_(options_.backoff_base, options_.backoff_cap),
        retry_timer_(io_context) {}

  asio::io_context& io_;
  DockerSourceOptions options_;
  common::TimeSource& time_;
  std::string socket_path_;
  EngineClient client_;
  common::Backoff backoff_;
  asio::steady_timer retry_timer_;
  std::function<void()> on_change_;
  bool started_ = false;
  bool stopped_ = false;

  // Connection.
  Link link_ = Link::kStarting;
  std::optional<ErrorCode> logged_error_;  // the failure last logged while down
  common::SteadyTime down_since_{};
  std::string prefix_;  // "/v1.41"
  std::shared_ptr<EngineStream> stream_;
  std::optional<common::Error> session_failure_;
  uint64_t session_ = 0;
  int64_t last_event_nano_ = 0;    // engine clock
  int64_t replay_floor_ = 0;       // last_event_nano when this session began: older events are replays
  int64_t last_connect_unix_ = 0;  // our clock, when the last stream opened

  // Containers.
  std::map<std::string, Container> containers_;
  uint64_t event_seq_ = 0;
  std::deque<std::string> queue_;
  size_t active_ = 0;

  // Full listing.
  bool resync_running_ = false;
  bool listing_applied_ = false;
  bool resync_again_ = false;
  std::set<std::string> resync_waiting_;  // running containers whose inspect the listing waits for
  bool synced_ = false;
  bool notify_pending_ = false;
  DockerSourceStatus stats_;
  SourceMetrics metrics_;

  // --- snapshot

  std::vector<model::Service> published(const Container& c) const {
    if (!c.inspected || !c.running) return {};
    if (c.withdrawn_run && *c.withdrawn_run == c.started_at) return {};
    if (!options_.ignore_health && !c.health.empty() && c.health != "healthy") return {};
    return c.services;
  }

  void notify() {
    if (!synced_ || !on_change_ || stopped_ || notify_pending_) return;
    notify_pending_ = true;
    asio::post(io_, [self = shared_from_this()] {
      self->notify_pending_ = false;
      if (!self->stopped_ && self->on_change_) self->on_change_();
    });
  }

  void log_transition(const std::string& id, const Container& c, const std::vector<model::Service>& before,
                      const std::vector<model::Service>& after, std::string_view reason) {
    if (before == after) return;
    if (after.empty()) {
      log::info("container withdrawn",
                {{"container", short_id(id)}, {"name", c.name}, {"services", describe(before)}, {"reason", reason}});
    } else if (before.empty()) {
      log::info("container published", {{"container", short_id(id)}, {"name", c.name}, {"services", describe(after)}});
    } else {
      log::info("container services changed",
                {{"container", short_id(id)}, {"name", c.name}, {"services", describe(after)}});
    }
    notify();
  }

  // --- connection lifecycle

  std::string events_target() const {
    std::string target =
        prefix_ + "/events?filters=" + boost::urls::encode(kEventFilter, boost::urls::unreserved_chars);
    if (last_event_nano_ > 0) {
      target += fmt::format("&since={}.{:09}", last_event_nano_ / 1'000'000'000, last_event_nano_ % 1'000'000'000);
    } else if (last_connect_unix_ > 0) {
      target += fmt::format("&since={}", last_connect_unix_ - 1);
    }
    return target;
  }

  void begin_session(std::shared_ptr<EngineStream> s, const std::string& api_version, const std::string& engine) {
    ++session_;
    replay_floor_ = last_event_nano_;
    stream_ = std::move(s);
    session_failure_.reset();
    queue_.clear();
    for (auto& [id, c] : containers_) {
      c.inflight = false;
      c.queued = false;
      ++c.gen;  // results of the old session's requests may predate missed events
    }
    resync_waiting_.clear();
    resync_running_ = false;
    listing_applied_ = false;
    resync_again_ = false;
    if (link_ == Link::kDown) {
      ++stats_.reconnects;
      metrics_.reconnects.inc();
      auto down = std::chrono::duration_cast<std::chrono::milliseconds>(time_.steady_now() - down_since_);
      log::info("Docker engine reconnected", {{"socket", socket_path_},
                                              {"api_version", api_version},
                                              {"engine", engine},
                                              {"down_for", common::format_duration(down)}});
    } else {
      log::info("Docker engine connected",
                {{"socket", socket_path_}, {"api_version", api_version}, {"engine", engine}});
    }
    link_ = Link::kUp;
    logged_error_.reset();
    stats_.connected = true;
    metrics_.connected.set(1);
    if (stats_.api_version != api_version || stats_.engine != engine) {
      if (!stats_.api_version.empty()) set_engine_info(stats_.api_version, stats_.engine, false);
      set_engine_info(api_version, engine, true);
    }
    stats_.api_version = api_version;
    stats_.engine = engine;
    backoff_.reset();
    last_connect_unix_ =
        std::chrono::duration_cast<std::chrono::seconds>(time_.system_now().time_since_epoch()).count();
  }

  void end_session(const common::Error& error) {
    stats_.connected = false;
    metrics_.connected.set(0);
    stats_.last_error = error.message;
    stream_.reset();
    if (link_ != Link::kDown) {
      log::warn(link_ == Link::kUp ? "lost the Docker engine; reconnecting with backoff"
                                   : "cannot reach the Docker engine; retrying with backoff",
                {{"socket", socket_path_}, {"error", error.message}});
      down_since_ = time_.steady_now();
      link_ = Link::kDown;
      logged_error_ = error.code;
    } else if (logged_error_ != error.code) {
      log::warn("the Docker engine is still unreachable", {{"socket", socket_path_}, {"error", error.message}});
      logged_error_ = error.code;
    } else {
      log::debug("the Docker engine is still unreachable",
                 {{"error", error.message}, {"attempt", backoff_.attempts()}});
    }
  }

  // Ends the current session from outside its reader (a failed list or inspect).
  void fail_session(common::Error error) {
    if (!stream_) return;
    if (!session_failure_) session_failure_ = std::move(error);
    stream_->close();
  }

  // --- inspects

  void schedule_inspect(const std::string& id) {
    auto it = containers_.find(id);
    if (it == containers_.end()) return;
    Container& c = it->second;
    // In flight: its completion sees the generation moved and asks again.
    if (c.inflight || c.queued) return;
    c.queued = true;
    queue_.push_back(id);
    pump();
  }

  void pump() {
    while (active_ < options_.max_concurrent_inspects && !queue_.empty() && !stopped_) {
      std::string id = std::move(queue_.front());
      queue_.pop_front();
      auto it = containers_.find(id);
      if (it == containers_.end()) continue;
      Container& c = it->second;
      c.queued = false;
      c.inflight = true;
      ++active_;
      ++stats_.inspects;
      metrics_.inspects.inc();
      spawn(inspect_task(shared_from_this(), id, c.gen, session_));
    }
  }

  void done_waiting(const std::string& id) {
    resync_waiting_.erase(id);
    if (resync_running_ && listing_applied_ && resync_waiting_.empty()) finish_resync();
  }

  void apply_inspect(const std::string& id, Container& c, InspectedContainer info) {
    auto before = published(c);
    c.name = info.name;
    c.running = info.running;
    c.health = info.health;
    if (c.withdrawn_run && c.withdrawn_run->empty()) c.withdrawn_run = info.started_at;
    if (c.withdrawn_run && *c.withdrawn_run != info.started_at) c.withdrawn_run.reset();
    c.started_at = info.started_at;
    c.services = std::move(info.extraction.services);
    c.inspected = true;
    for (const auto& r : info.extraction.rejections) {
      if (!c.logged.insert(r.field + '\n' + r.reason).second) continue;
      ++stats_.rejections_logged;
      metrics_.rejections.inc();
      log::warn("ignoring service variable",
                {{"container", short_id(id)}, {"name", c.name}, {"variable", r.field}, {"reason", r.reason}});
    }
    for (const auto& note : info.extraction.notes) {
      if (!c.logged.insert(note).second) continue;
      log::info("container address", {{"container", short_id(id)}, {"name", c.name}, {"note", note}});
    }
    auto after = published(c);
    std::string reason = !c.running ? info.status : c.withdrawn_run ? "stopping" : "health " + c.health;
    log_transition(id, c, before, after, reason);
  }

  static Task<void> inspect_task(std::shared_ptr<Impl> self, std::string id, uint64_t gen, uint64_t session_id) {
    auto r = co_await self->client_.get(self->prefix_ + "/containers/" + id + "/json");
    --self->active_;
    if (self->stopped_) co_return;
    if (session_id != self->session_) {
      self->pump();
      co_return;
    }
    auto it = self->containers_.find(id);
    if (it == self->containers_.end()) {  // destroyed meanwhile
      self->done_waiting(id);
      self->pump();
      co_return;
    }
    Container& c = it->second;
    c.inflight = false;
    if (c.gen != gen) {
      ++self->stats_.stale_inspects;
      self->metrics_.stale_inspects.inc();
      log::debug("dropping an inspect older than the last event", {{"container", short_id(id)}});
      self->schedule_inspect(id);
      self->pump();
      co_return;
    }
    if (!r.ok()) {
      if (r.error().transient || r.error().code == ErrorCode::kCancelled) {
        self->fail_session(r.error());
        co_return;
      }
      log::warn("cannot inspect container; keeping its last known state",
                {{"container", short_id(id)}, {"error", r.error().message}});
    } else if (r->status == 404) {
      auto before = self->published(c);
      std::string name = c.name;
      self->containers_.erase(it);
      if (!before.empty()) {
        log::info("container withdrawn",
                  {{"container", short_id(id)}, {"name", name}, {"services", describe(before)}, {"reason", "gone"}});
        self->notify();
      }
    } else if (r->status != 200) {
      std::string message = fmt::format("GET /containers/{}/json: the Docker engine answered {}: {}", short_id(id),
                                        r->status, r->error_message());
      if (r->status >= 500) {
        self->fail_session(common::transient_error(ErrorCode::kUnavailable, message));
        co_return;
      }
      log::warn("cannot inspect container; keeping its last known state",
                {{"container", short_id(id)}, {"error", message}});
    } else {
      auto info = parse_inspect(r->body, ExtractOptions{self->options_.network});
      if (!info.ok()) {
        log::warn("cannot read container inspect; keeping its last known state",
                  {{"container", short_id(id)}, {"error", info.error().message}});
      } else {
        self->apply_inspect(id, c, std::move(*info));
      }
    }
    self->done_waiting(id);
    self->pump();
  }

  // --- full listing

  void start_resync() {
    if (resync_running_) {
      resync_again_ = true;
      return;
    }
    resync_running_ = true;
    listing_applied_ = false;
    spawn(resync_task(shared_from_this(), session_));
  }

  static Task<void> resync_task(std::shared_ptr<Impl> self, uint64_t session_id) {
    uint64_t seq0 = self->event_seq_;
    auto r = co_await self->client_.get(self->prefix_ + "/containers/json?all=1");
    if (self->stopped_ || session_id != self->session_) co_return;
    if (!r.ok()) {
      self->fail_session(r.error());
      co_return;
    }
    if (r->status != 200) {
      std::string message =
          fmt::format("GET /containers/json: the Docker engine answered {}: {}", r->status, r->error_message());
      self->fail_session(r->status >= 500 ? common::transient_error(ErrorCode::kUnavailable, message)
                                          : common::make_error(ErrorCode::kProtocol, message));
      co_return;
    }
    boost::system::error_code ec;
    json::value list = json::parse(r->body, ec);
    if (ec || !list.is_array()) {
      self->fail_session(
          common::make_error(ErrorCode::kProtocol, "GET /containers/json: the answer is not a JSON array"));
      co_return;
    }
    self->apply_listing(list.get_array(), seq0);
  }

  void apply_listing(const json::array& list, uint64_t seq0) {
    std::map<std::string, std::pair<std::string, std::string>> listed;  // id -> (state, name)
    for (const auto& e : list) {
      const auto* o = e.if_object();
      if (!o) continue;
      const auto* id = o->if_contains("Id");
      if (!id || !id->is_string() || !valid_id(id->get_string())) continue;
      std::string state, name;
      if (const auto* s = o->if_contains("State"); s && s->is_string()) state = std::string(s->get_string());
      if (const auto* n = o->if_contains("Names");
          n && n->is_array() && !n->get_array().empty() && n->get_array()[0].is_string()) {
        name = std::string(n->get_array()[0].get_string());
        if (!name.empty() && name.front() == '/') name.erase(0, 1);
      }
      listed.emplace(std::string(id->get_string()), std::make_pair(std::move(state), std::move(name)));
    }
    // Gone from the list and no event since the list was asked for: gone.
    for (auto it = containers_.begin(); it != containers_.end();) {
      if (listed.contains(it->first) || it->second.last_event_seq > seq0) {
        ++it;
        continue;
      }
      auto before = published(it->second);
      if (!before.empty()) {
        log::info("container withdrawn", {{"container", short_id(it->first)},
                                          {"name", it->second.name},
                                          {"services", describe(before)},
                                          {"reason", "not listed"}});
        notify();
      }
      it = containers_.erase(it);
    }
    for (auto& [id, entry] : listed) {
      auto [it, inserted] = containers_.try_emplace(id);
      Container& c = it->second;
      if (c.name.empty()) c.name = entry.second;
      if (c.last_event_seq > seq0) continue;  // a newer event already asked for an inspect
      if (entry.first == "running") {
        resync_waiting_.insert(id);
        schedule_inspect(id);
      } else {
        auto before = published(c);
        c.running = false;
        log_transition(id, c, before, published(c), entry.first);
      }
    }
    listing_applied_ = true;
    if (resync_waiting_.empty()) finish_resync();
  }

  void finish_resync() {
    resync_running_ = false;
    listing_applied_ = false;
    ++stats_.resyncs;
    metrics_.resyncs.inc();
    size_t published_count = 0;
    for (const auto& [id, c] : containers_) published_count += published(c).size();
    if (!synced_) {
      log::info("Docker containers listed", {{"containers", containers_.size()}, {"services", published_count}});
    } else {
      log::debug("Docker containers relisted", {{"containers", containers_.size()}, {"services", published_count}});
    }
    synced_ = true;
    notify();
    if (resync_again_) {
      resync_again_ = false;
      start_resync();
    }
  }

  // --- events

  void handle_event(const EngineEvent& ev) {
    ++stats_.events_seen;
    metrics_.events.inc();
    last_event_nano_ = std::max(last_event_nano_, ev.time_nano);
    if (!ev.type.empty() && ev.type != "container") return;
    if (!valid_id(ev.id)) return;
    std::string_view action = ev.base_action();
    if (is_noise(action)) return;
    uint64_t seq = ++event_seq_;
    // since= replays events already handled before the reconnect: they only
    // ask for an inspect, so a container that died and came back long ago
    // does not blink out while the replay passes its old die.
    const bool replayed = ev.time_nano != 0 && ev.time_nano <= replay_floor_;
    log::debug("Docker event", {{"container", short_id(ev.id)}, {"action", ev.action}, {"replayed", replayed}});
    if (replayed) {
      if (auto it = containers_.find(ev.id); it != containers_.end()) {
        ++it->second.gen;
        it->second.last_event_seq = seq;
        schedule_inspect(ev.id);
      }
      return;
    }
    if (action == "destroy" || action == "remove") {
      auto it = containers_.find(ev.id);
      if (it == containers_.end()) return;
      auto before = published(it->second);
      std::string name = it->second.name;
      containers_.erase(it);
      if (!before.empty()) {
        log::info(
            "container withdrawn",
            {{"container", short_id(ev.id)}, {"name", name}, {"services", describe(before)}, {"reason", ev.action}});
        notify();
      }
      done_waiting(ev.id);
      return;
    }
    auto [it, inserted] = containers_.try_emplace(ev.id);
    Container& c = it->second;
    ++c.gen;
    c.last_event_seq = seq;
    if (c.name.empty()) {
      if (auto n = ev.attributes.find("name"); n != ev.attributes.end()) c.name = n->second;
    }
    auto before = published(c);
    if (action == "die" || action == "pause" || action == "cleanup") {
      c.running = false;
    } else if (action == "stop") {
      // Podman says stop before the process ends (Docker after die): the run
      // may still look alive during its grace period.
      c.running = false;
      c.withdrawn_run = c.started_at;
    } else if (action == "kill") {
      auto sig = ev.attributes.find("signal");
      if (terminating_signal(sig == ev.attributes.end() ? std::string_view() : std::string_view(sig->second))) {
        c.withdrawn_run = c.started_at;
      }
    } else if (action == "health_status") {
      std::string_view status = ev.detail();
      if (!status.empty()) c.health = std::string(status);
    } else if (action == "start" || action == "restart") {
      c.withdrawn_run.reset();
    }
    log_transition(ev.id, c, before, published(c), ev.action);
    schedule_inspect(ev.id);
  }

  static Task<common::Status> session_task(std::shared_ptr<Impl> self) {
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
    self->begin_session(s, version->to_string(), ping->server);
    self->start_resync();

    EventDecoder decoder(self->options_.max_event_bytes);
    EventDecoder::Output out;
    while (true) {
      auto piece = co_await s->read_some();
      if (!piece.ok()) {
        if (self->session_failure_) co_return *self->session_failure_;
        co_return piece.error();
      }
      out.events.clear();
      out.errors.clear();
      decoder.feed(*piece, out);
      for (const auto& e : out.errors) {
        ++self->stats_.malformed_events;
        self->metrics_.malformed.inc();
        log::warn("skipping a malformed Docker event", {{"error", e}});
      }
      for (const auto& ev : out.events) {
        if (self->stopped_) break;
        self->handle_event(ev);
      }
    }
  }

  static Task<void> run_task(std::shared_ptr<Impl> self) {
    while (!self->stopped_) {
      common::Status st = co_await session_task(self);
      if (self->stopped_) break;
      self->end_session(st.error());
      self->retry_timer_.expires_after(self->backoff_.next());
      boost::system::error_code ec;
      co_await self->retry_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
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
      if (self) self->fail_session(common::make_error(ErrorCode::kInternal, what));
    });
  }

  void start_run() {
    asio::co_spawn(io_, run_task(shared_from_this()), [weak = weak_from_this()](std::exception_ptr e) {
      if (!e) return;
      auto self = weak.lock();
      std::string what = common::exception_message(e);
      log::error("internal error in the Docker source; restarting it", {{"error", what}});
      if (self && !self->stopped_) {
        self->stream_.reset();
        self->start_run();
      }
    });
  }
};

DockerSource::DockerSource(asio::io_context& io, DockerSourceOptions options, common::TimeSource& time) {
  if (auto s = validate(options); !s.ok()) throw std::invalid_argument(s.error().message);
  auto path = socket_path_from_docker_host(options.docker_host.empty() ? default_docker_host() : options.docker_host);
  impl_ = std::make_shared<Impl>(io, std::move(options), time, std::move(*path));
}

DockerSource::~DockerSource() { stop(); }

void DockerSource::start(std::function<void()> on_change) {
  if (impl_->started_ || impl_->stopped_) return;
  impl_->started_ = true;
  impl_->on_change_ = std::move(on_change);
  impl_->start_run();
}

void DockerSource::stop() {
  if (impl_->stopped_) return;
  impl_->stopped_ = true;
  impl_->retry_timer_.cancel();
  if (impl_->stream_) impl_->stream_->close();
  impl_->client_.cancel_all();
  impl_->queue_.clear();
  impl_->on_change_ = nullptr;
}

std::vector<model::Service> DockerSource::services() const {
  std::vector<model::Service> out;
  for (const auto& [id, c] : impl_->containers_) {
    auto p = impl_->published(c);
    out.insert(out.end(), std::make_move_iterator(p.begin()), std::make_move_iterator(p.end()));
  }
  return out;
}

bool DockerSource::synced() const { return impl_->synced_; }

void DockerSource::resync() {
  if (!impl_->started_ || impl_->stopped_ || !impl_->stream_) return;  // a reconnect relists anyway
  impl_->start_resync();
}

DockerSourceStatus DockerSource::status() const {
  DockerSourceStatus s = impl_->stats_;
  s.synced = impl_->synced_;
  s.containers = impl_->containers_.size();
  return s;
}

}  // namespace ecssd::source
