#pragma once
// A Docker Engine API server for unit tests: Beast on a unix socket in a temp
// folder, on the test's own io_context. It serves /_ping, the container list,
// inspect documents and a chunked /events stream from state the test sets, and
// can hold answers back, hang, answer oversized bodies, drop the stream, and go
// down and come back (an engine restart).
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

namespace ecssd::fakes {

class FakeDockerEngine {
 public:
  explicit FakeDockerEngine(boost::asio::io_context& io);
  ~FakeDockerEngine();
  FakeDockerEngine(const FakeDockerEngine&) = delete;
  FakeDockerEngine& operator=(const FakeDockerEngine&) = delete;

  const std::string& socket_path() const;
  std::string docker_host() const { return "unix://" + socket_path(); }

  // Listens (again). The engine starts stopped.
  void start();
  // The engine goes down: the listener and every connection close, the socket
  // file disappears. Containers stay (a restart keeps them).
  void stop();

  // --- what the engine says about itself
  void set_api_version(std::string version);  // "" sends no Api-Version header
  void set_server(std::string server);
  void set_events_content_type(std::string content_type);
  void set_json_seq(bool on);  // precede each emitted event with RS (0x1E)

  // --- containers, keyed by the inspect document's Id; the list derives from them
  void put(boost::json::object inspect);
  void put_json(std::string_view inspect_json);
  // Sets State.Status (and Running/Paused); entering "running" starts a new run
  // (a new StartedAt).
  void set_state(const std::string& id, const std::string& status);
  void set_health(const std::string& id, const std::string& status);
  void set_env(const std::string& id, std::vector<std::string> env);
  void remove(const std::string& id);

  // --- the event stream
  // One event line to every open stream, as one chunk (RS-prefixed in json-seq mode).
  void emit(std::string_view event_json);
  // Raw body bytes to every open stream, as one chunk.
  void emit_bytes(std::string bytes);
  // A container event in the current API format, time from an internal clock.
  void emit_container_event(const std::string& id, const std::string& action,
                            std::vector<std::pair<std::string, std::string>> attributes = {});
  // Closes every open event stream abruptly.
  void drop_streams();
  size_t open_streams() const;
  // The timeNano of the last emit_container_event.
  int64_t last_event_nano() const;

  // --- faults (path prefixes exclude the version, e.g. "/containers/abc")
  // Answers to matching requests are computed on arrival and sent only at release().
  void hold(std::string path_prefix);
  void release(std::string path_prefix);
  size_t held() const;
  // Matching requests get this status and body instead.
  void override_response(std::string path_prefix, unsigned status, std::string body);
  void clear_overrides();

  // --- what was asked
  struct Request {
    std::string method;
    std::string target;  // as sent
    std::string path;    // without version prefix and query
    std::string query;
  };
  const std::vector<Request>& requests() const;
  size_t count(std::string_view path_prefix) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// What the source reads of GET /containers/{id}/json for a running
// host-network container declaring SERVICE_<port>_NAME=<service>, as the
// tools that script the fake engine (tests/tools) put it.
boost::json::object host_network_inspect(const std::string& id, const std::string& name, const std::string& service,
                                         int port, const std::string& started_at);

// Runs `io` until nothing is ready to run: every handler that could run has
// run, and every byte the fake engine and its clients exchanged over their
// unix sockets has been read (both sides live on `io`, and the kernel moves
// the bytes at once). Timers, held answers and a quiet event stream stay
// pending. No clock is involved.
void run_until_idle(boost::asio::io_context& io);

// Runs `io` until `done()` holds: whatever is ready (run_until_idle), then
// small real slices while only a real timer (a request deadline) can make
// progress. `limit` only guards against a hang; false when it passed.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds limit = std::chrono::milliseconds(5000));

}  // namespace ecssd::fakes
