#include "fakes/fake_docker_engine.h"

#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <list>
#include <map>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace ecssd::fakes {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using local = asio::local::stream_protocol;

namespace {

struct Conn {
  explicit Conn(asio::io_context& io) : socket(io), hold_timer(io) {}
  void close() {
    if (closed) return;
    closed = true;
    boost::system::error_code ec;
    socket.shutdown(local::socket::shutdown_both, ec);
    socket.close(ec);
    hold_timer.cancel();
  }
  local::socket socket;
  asio::steady_timer hold_timer;
  beast::flat_buffer buffer;
  std::deque<std::string> outbox;
  bool writing = false;
  bool closed = false;
  std::string held_for;  // the hold prefix this connection waits on
};

struct Answer {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

std::pair<std::string, std::string> split_target(std::string_view target) {
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  // Strip "/v1.41".
  if (path.starts_with("/v")) {
    size_t slash = path.find('/', 1);
    std::string_view v = path.substr(2, slash == std::string_view::npos ? std::string_view::npos : slash - 2);
    if (!v.empty() && v.find_first_not_of("0123456789.") == std::string_view::npos) {
      path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
    }
  }
  return {std::string(path), std::string(query)};
}

}  // namespace

struct FakeDockerEngine::Impl : std::enable_shared_from_this<Impl> {
  explicit Impl(asio::io_context& io_context) : io(io_context) {
    char tmpl[] = "/tmp/ecssd-fake-engine-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    path = dir + "/docker.sock";
  }

  asio::io_context& io;
  std::string dir, path;
  std::optional<local::acceptor> acceptor;
  std::list<std::weak_ptr<Conn>> conns;
  std::vector<std::shared_ptr<Conn>> streams;
  std::vector<std::shared_ptr<Conn>> held_conns;
  std::vector<std::string> holds;
  std::vector<std::pair<std::string, Answer>> overrides;
  std::map<std::string, json::object> containers;
  std::vector<Request> requests;
  std::string api_version = "1.41";
  std::string server = "Docker/20.10.24+dfsg1 (linux)";
  std::string events_content_type = "application/json";
  bool json_seq = false;
  int run_counter = 0;
  int64_t clock_nano = 1'795'594'400'000'000'000;
  int64_t last_event_nano = 0;

  void track(const std::shared_ptr<Conn>& c) {
    conns.remove_if([](const auto& w) { return w.expired(); });
    conns.push_back(c);
  }

  Answer route(const Request& r) {
    for (const auto& [prefix, a] : overrides) {
      if (r.path.starts_with(prefix)) return a;
    }
    if (r.method != "GET") return {405, "application/json", R"({"message":"fake engine: GET only"})"};
    if (r.path == "/_ping") return {200, "text/plain; charset=utf-8", "OK"};
    if (r.path == "/containers/json") {
      bool all = r.query.find("all=1") != std::string::npos || r.query.find("all=true") != std::string::npos;
      json::array list;
      for (const auto& [id, c] : containers) {
        std::string status(c.at("State").at("Status").as_string());
        if (!all && status != "running") continue;
        json::object e;
        e["Id"] = id;
        e["Names"] = json::array{c.at("Name")};
        e["State"] = status;
        e["Status"] = status == "running" ? "Up 1 second" : "Exited (0) 1 second ago";
        list.push_back(std::move(e));
      }
      return {200, "application/json", json::serialize(list) + "\n"};
    }
    if (r.path.starts_with("/containers/") && r.path.ends_with("/json")) {
      std::string id = r.path.substr(12, r.path.size() - 12 - 5);
      auto it = containers.find(id);
      if (it == containers.end()) {
        return {404, "application/json", fmt::format(R"({{"message":"No such container: {}"}})", id) + "\n"};
      }
      return {200, "application/json", json::serialize(it->second) + "\n"};
    }
    return {404, "application/json", R"({"message":"page not found"})"};
  }

  void enqueue(const std::shared_ptr<Conn>& c, std::string bytes) {
    if (c->closed) return;
    c->outbox.push_back(std::move(bytes));
    if (!c->writing) {
      c->writing = true;
      asio::co_spawn(io, writer(shared_from_this(), c), asio::detached);
    }
  }

  static asio::awaitable<void> writer(std::shared_ptr<Impl> self, std::shared_ptr<Conn> c) {
    while (!c->outbox.empty() && !c->closed) {
      std::string data = std::move(c->outbox.front());
      c->outbox.pop_front();
      boost::system::error_code ec;
      co_await asio::async_write(c->socket, asio::buffer(data), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        c->close();
        break;
      }
    }
    c->writing = false;
    (void)self;
  }

  static asio::awaitable<void> serve(std::shared_ptr<Impl> self, std::shared_ptr<Conn> c) {
    http::request<http::string_body> req;
    boost::system::error_code ec;
    co_await http::async_read(c->socket, c->buffer, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      c->close();
      co_return;
    }
    Request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    std::tie(r.path, r.query) = split_target(r.target);
    self->requests.push_back(r);

    if (r.path == "/events" && r.method == "GET" && !self->overridden(r.path)) {
      std::string head = "HTTP/1.1 200 OK\r\nContent-Type: " + self->events_content_type + "\r\n";
      if (!self->api_version.empty()) head += "Api-Version: " + self->api_version + "\r\n";
      head += "Server: " + self->server + "\r\nTransfer-Encoding: chunked\r\n\r\n";
      self->streams.push_back(c);
      self->enqueue(c, std::move(head));
      // The client sends nothing more: a read ends only when it hangs up.
      char byte;
      co_await c->socket.async_read_some(asio::buffer(&byte, 1), asio::redirect_error(asio::use_awaitable, ec));
      c->close();
      co_return;
    }

    Answer a = self->route(r);  // computed now: a held answer is stale by design
    for (const auto& prefix : self->holds) {
      if (!r.path.starts_with(prefix)) continue;
      c->held_for = prefix;
      self->held_conns.push_back(c);
      c->hold_timer.expires_at(asio::steady_timer::time_point::max());
      co_await c->hold_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (c->closed) co_return;
      break;
    }
    http::response<http::string_body> res{static_cast<http::status>(a.status), 11};
    res.set(http::field::content_type, a.content_type);
    res.set(http::field::server, self->server);
    if (!self->api_version.empty()) res.set("Api-Version", self->api_version);
    res.keep_alive(false);
    res.body() = std::move(a.body);
    // Like Go's net/http: small bodies get a Content-Length, larger ones are chunked.
    if (res.body().size() > 2048) {
      res.chunked(true);
    } else {
      res.prepare_payload();
    }
    co_await http::async_write(c->socket, res, asio::redirect_error(asio::use_awaitable, ec));
    c->close();
  }

  bool overridden(const std::string& p) const {
    for (const auto& [prefix, a] : overrides) {
      if (p.starts_with(prefix)) return true;
    }
    return false;
  }

  static asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
    while (self->acceptor && self->acceptor->is_open()) {
      auto c = std::make_shared<Conn>(self->io);
      boost::system::error_code ec;
      co_await self->acceptor->async_accept(c->socket, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      self->track(c);
      asio::co_spawn(self->io, serve(self, c), asio::detached);
    }
  }

  json::object& container(const std::string& id) {
    auto it = containers.find(id);
    if (it == containers.end()) throw std::runtime_error("fake engine: no container " + id);
    return it->second;
  }

  void broadcast(const std::string& bytes) {
    std::string chunk = fmt::format("{:x}\r\n{}\r\n", bytes.size(), bytes);
    std::erase_if(streams, [](const auto& c) { return c->closed; });
    for (auto& c : streams) enqueue(c, chunk);
  }
};

FakeDockerEngine::FakeDockerEngine(asio::io_context& io) : impl_(std::make_shared<Impl>(io)) {}

FakeDockerEngine::~FakeDockerEngine() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(impl_->dir, ec);
}

const std::string& FakeDockerEngine::socket_path() const { return impl_->path; }

void FakeDockerEngine::start() {
  if (impl_->acceptor && impl_->acceptor->is_open()) return;
  ::unlink(impl_->path.c_str());
  impl_->acceptor.emplace(impl_->io, local::endpoint(impl_->path));
  asio::co_spawn(impl_->io, Impl::accept_loop(impl_), asio::detached);
}

void FakeDockerEngine::stop() {
  if (impl_->acceptor) {
    boost::system::error_code ec;
    impl_->acceptor->close(ec);
    impl_->acceptor.reset();
  }
  for (auto& w : impl_->conns) {
    if (auto c = w.lock()) c->close();
  }
  impl_->conns.clear();
  impl_->streams.clear();
  impl_->held_conns.clear();
  ::unlink(impl_->path.c_str());
}

void FakeDockerEngine::set_api_version(std::string v) { impl_->api_version = std::move(v); }
void FakeDockerEngine::set_server(std::string s) { impl_->server = std::move(s); }
void FakeDockerEngine::set_events_content_type(std::string ct) { impl_->events_content_type = std::move(ct); }
void FakeDockerEngine::set_json_seq(bool on) { impl_->json_seq = on; }

void FakeDockerEngine::put(json::object inspect) {
  std::string id(inspect.at("Id").as_string());
  impl_->containers.insert_or_assign(id, std::move(inspect));
}

void FakeDockerEngine::put_json(std::string_view inspect_json) { put(json::parse(inspect_json).as_object()); }

void FakeDockerEngine::set_state(const std::string& id, const std::string& status) {
  auto& state = impl_->container(id)["State"].as_object();
  bool was_running = state["Status"].as_string() == "running";
  state["Status"] = status;
  state["Running"] = status == "running" || status == "paused";
  state["Paused"] = status == "paused";
  if (status == "running" && !was_running) {
    state["StartedAt"] =
        fmt::format("2026-11-25T09:{:02}:{:02}.000000000Z", (impl_->run_counter / 60) % 60, impl_->run_counter % 60);
    ++impl_->run_counter;
  }
}

void FakeDockerEngine::set_health(const std::string& id, const std::string& status) {
  auto& state = impl_->container(id)["State"].as_object();
  state["Health"] = json::object{{"Status", status}, {"FailingStreak", 0}, {"Log", json::array{}}};
}

void FakeDockerEngine::set_env(const std::string& id, std::vector<std::string> env) {
  json::array a;
  for (auto& e : env) a.emplace_back(e);
  impl_->container(id)["Config"].as_object()["Env"] = std::move(a);
}

void FakeDockerEngine::remove(const std::string& id) { impl_->containers.erase(id); }

void FakeDockerEngine::emit(std::string_view event_json) {
  std::string line = (impl_->json_seq ? "\x1e" : "") + std::string(event_json) + "\n";
  impl_->broadcast(line);
}

void FakeDockerEngine::emit_bytes(std::string bytes) { impl_->broadcast(bytes); }

void FakeDockerEngine::emit_container_event(const std::string& id, const std::string& action,
                                            std::vector<std::pair<std::string, std::string>> attributes) {
  impl_->clock_nano += 1'000'000;
  impl_->last_event_nano = impl_->clock_nano;
  json::object attrs;
  for (auto& [k, v] : attributes) attrs[k] = v;
  if (!attrs.contains("name")) {
    auto it = impl_->containers.find(id);
    if (it != impl_->containers.end()) {
      std::string_view name = it->second.at("Name").as_string();
      if (name.starts_with('/')) name.remove_prefix(1);
      attrs["name"] = name;
    }
  }
  json::object e{{"Type", "container"},
                 {"Action", action},
                 {"Actor", json::object{{"ID", id}, {"Attributes", std::move(attrs)}}},
                 {"scope", "local"},
                 {"time", impl_->clock_nano / 1'000'000'000},
                 {"timeNano", impl_->clock_nano}};
  emit(json::serialize(e));
}

void FakeDockerEngine::drop_streams() {
  for (auto& c : impl_->streams) c->close();
  impl_->streams.clear();
}

size_t FakeDockerEngine::open_streams() const {
  size_t n = 0;
  for (const auto& c : impl_->streams) n += c->closed ? 0 : 1;
  return n;
}

int64_t FakeDockerEngine::last_event_nano() const { return impl_->last_event_nano; }

void FakeDockerEngine::hold(std::string prefix) { impl_->holds.push_back(std::move(prefix)); }

void FakeDockerEngine::release(std::string prefix) {
  std::erase(impl_->holds, prefix);
  for (auto& c : impl_->held_conns) {
    if (c->held_for == prefix) c->hold_timer.cancel();
  }
  std::erase_if(impl_->held_conns, [&](const auto& c) { return c->held_for == prefix; });
}

size_t FakeDockerEngine::held() const {
  size_t n = 0;
  for (const auto& c : impl_->held_conns) n += c->closed ? 0 : 1;
  return n;
}

void FakeDockerEngine::override_response(std::string prefix, unsigned status, std::string body) {
  impl_->overrides.emplace_back(std::move(prefix), Answer{status, "application/json", std::move(body)});
}

void FakeDockerEngine::clear_overrides() { impl_->overrides.clear(); }

const std::vector<FakeDockerEngine::Request>& FakeDockerEngine::requests() const { return impl_->requests; }

size_t FakeDockerEngine::count(std::string_view prefix) const {
  size_t n = 0;
  for (const auto& r : impl_->requests) n += r.path.starts_with(prefix) ? 1 : 0;
  return n;
}

boost::json::object host_network_inspect(const std::string& id, const std::string& name, const std::string& service,
                                         int port, const std::string& started_at) {
  namespace json = boost::json;
  return json::object{
      {"Id", id},
      {"Name", "/" + name},
      {"State", json::object{{"Status", "running"}, {"Running", true}, {"Paused", false}, {"StartedAt", started_at}}},
      {"HostConfig", json::object{{"NetworkMode", "host"}, {"PortBindings", json::object{}}}},
      {"Config", json::object{{"Env", json::array{json::string(fmt::format("SERVICE_{}_NAME={}", port, service))}},
                              {"Labels", json::object{}}}},
      {"NetworkSettings",
       json::object{{"Ports", json::object{}}, {"Networks", json::object{{"host", json::object{}}}}}},
  };
}

void run_until_idle(asio::io_context& io) {
  // poll() ends once a non-blocking look at the sockets finds nothing more.
  do {
    io.restart();
  } while (io.poll() > 0);
}

bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto give_up = std::chrono::steady_clock::now() + limit;
  while (true) {
    run_until_idle(io);
    if (done()) return true;
    if (std::chrono::steady_clock::now() > give_up) return false;
    io.restart();
    io.run_one_for(std::chrono::milliseconds(2));
  }
}

}  // namespace ecssd::fakes
