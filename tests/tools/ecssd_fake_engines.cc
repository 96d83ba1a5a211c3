// ecssd_fake_engines: N of the unit tests' fake Docker engines (tests/fakes)
// in one process on one io_context, one per simulated host, driven by
// commands on stdin (bench/fleet: a fleet of real agents, each watching its
// own engine). So that `ecssd reap` can health-check what the agents
// publish, every running container also has a real TCP listener on its
// host's loopback address and port (accepting and closing connections),
// closed when the container stops or its host goes down.
//
//   ecssd_fake_engines N
// prints "engine K SOCKET_PATH" for K = 0..N-1, then "ready"; then one line
// per command, in order:
//   start K ID NAME SERVICE PORT ADDR
//          a running host-network container on host K declaring
//          SERVICE_<PORT>_NAME=SERVICE, a listener on ADDR:PORT, and its start
//          event                             -> "ok <unix time ns after the event>"
//   stop K ID
//          listener closed, then die (exit code 0) and destroy events,
//          the container removed             -> "ok <unix time ns>"
//   down K the host dies: its engine stops (socket and streams closed) and
//          every listener of its containers closes -> "ok <unix time ns>"
//   quit
// A command that fails answers "error <why>" and the process goes on.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <fmt/format.h>

#include "fakes/fake_docker_engine.h"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using ecssd::fakes::FakeDockerEngine;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() % 1'000'000'000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ns);
}

// A TCP port that accepts and closes every connection (a TCP check passes).
struct Listener {
  explicit Listener(asio::io_context& io) : acceptor(io) {}
  tcp::acceptor acceptor;

  static void accept(std::shared_ptr<Listener> self) {
    auto socket = std::make_shared<tcp::socket>(self->acceptor.get_executor());
    self->acceptor.async_accept(*socket, [self, socket](boost::system::error_code ec) {
      if (ec) return;  // closed
      boost::system::error_code ignored;
      socket->close(ignored);
      accept(self);
    });
  }

  void close() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
  }
};

struct Host {
  std::unique_ptr<FakeDockerEngine> engine;
  std::map<std::string, std::shared_ptr<Listener>> listeners;  // by container id
  bool down = false;
};

struct Fleet {
  asio::io_context& io;
  std::vector<Host> hosts;

  Host& host(int k) {
    if (k < 0 || static_cast<size_t>(k) >= hosts.size()) throw std::runtime_error(fmt::format("no host {}", k));
    if (hosts[k].down) throw std::runtime_error(fmt::format("host {} is down", k));
    return hosts[k];
  }

  void start(int k, const std::string& id, const std::string& name, const std::string& service, int port,
             const std::string& addr) {
    Host& h = host(k);
    auto l = std::make_shared<Listener>(io);
    tcp::endpoint ep(asio::ip::make_address(addr), static_cast<unsigned short>(port));
    l->acceptor.open(ep.protocol());
    l->acceptor.set_option(tcp::acceptor::reuse_address(true));
    l->acceptor.bind(ep);
    l->acceptor.listen(64);
    Listener::accept(l);
    h.listeners[id] = l;
    h.engine->put(ecssd::fakes::host_network_inspect(id, name, service, port, rfc3339_now()));
    h.engine->emit_container_event(id, "start");
  }

  void stop(int k, const std::string& id) {
    Host& h = host(k);
    auto it = h.listeners.find(id);
    if (it == h.listeners.end()) throw std::runtime_error("no container " + id);
    it->second->close();
    h.listeners.erase(it);
    h.engine->set_state(id, "exited");
    h.engine->emit_container_event(id, "die", {{"exitCode", "0"}});
    h.engine->remove(id);
    h.engine->emit_container_event(id, "destroy");
  }

  void down(int k) {
    Host& h = host(k);
    h.engine->stop();
    for (auto& [id, l] : h.listeners) l->close();
    h.listeners.clear();
    h.down = true;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: ecssd_fake_engines N\n";
    return 2;
  }
  const int n = std::stoi(argv[1]);
  asio::io_context io;
  Fleet fleet{io, {}};
  fleet.hosts.resize(n);
  for (int k = 0; k < n; ++k) {
    fleet.hosts[k].engine = std::make_unique<FakeDockerEngine>(io);
    fleet.hosts[k].engine->start();
    std::cout << "engine " << k << " " << fleet.hosts[k].engine->socket_path() << "\n";
  }
  std::cout << "ready" << std::endl;

  asio::posix::stream_descriptor in(io, ::dup(STDIN_FILENO));
  asio::streambuf buffer;
  std::function<void()> next = [&] {
    asio::async_read_until(in, buffer, '\n', [&](boost::system::error_code ec, size_t) {
      if (ec) {
        io.stop();
        return;
      }
      std::string line;
      std::istream lines(&buffer);
      std::getline(lines, line);
      std::istringstream words(line);
      std::string command;
      words >> command;
      if (command == "quit") {
        io.stop();
        return;
      }
      try {
        int k = -1;
        words >> k;
        if (command == "start") {
          std::string id, name, service, addr;
          int port = 0;
          words >> id >> name >> service >> port >> addr;
          if (!words) throw std::runtime_error("usage: start K ID NAME SERVICE PORT ADDR");
          fleet.start(k, id, name, service, port, addr);
        } else if (command == "stop") {
          std::string id;
          words >> id;
          if (!words) throw std::runtime_error("usage: stop K ID");
          fleet.stop(k, id);
        } else if (command == "down") {
          if (!words) throw std::runtime_error("usage: down K");
          fleet.down(k);
        } else {
          throw std::runtime_error("unknown command " + command);
        }
        std::cout << "ok " << now_ns() << std::endl;
      } catch (const std::exception& e) {
        std::cout << "error " << e.what() << std::endl;
      }
      next();
    });
  };
  next();
  io.run();
  return 0;
}
