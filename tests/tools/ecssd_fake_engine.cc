// ecssd_fake_engine: the unit tests' fake Docker engine (tests/fakes) as a
// process, driven by commands on stdin, for measuring a real agent against an
// engine that would be slow to script with a real dockerd (bench/abuse).
// Prints the socket path (DOCKER_HOST=unix://...) first, then "ok" after
// each command:
//   containers N    N more running host-network containers, each declaring
//                   SERVICE_<port>_NAME=svc<i>
//   burst N         N events at once: containers that start, die and are
//                   destroyed (3 events each, 87 %), and repeated events
//                   (update, kill -HUP, healthy, rename) for the running ones
//   garbage N       N malformed event lines
//   quit
#include <unistd.h>

#include <iostream>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "fakes/fake_docker_engine.h"

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using ecssd::fakes::FakeDockerEngine;

std::string id_of(int n) { return fmt::format("{:064x}", n); }

json::object inspect(int n, const std::string& service, int port) {
  return ecssd::fakes::host_network_inspect(id_of(n), fmt::format("c{}", n), service, port,
                                            "2026-11-25T08:12:35.876965245Z");
}

struct Script {
  FakeDockerEngine& engine;
  int running = 0;        // containers 1..running exist and run
  int next_short = 1'000'000;

  void containers(int n) {
    for (int i = 0; i < n; ++i, ++running) {
      engine.put(inspect(running + 1, fmt::format("svc{}", running + 1), 10'000 + (running % 50'000)));
    }
  }

  void burst(int n) {
    const int shorts = n * 87 / 100 / 3;
    const int repeats = n - 3 * shorts;
    const char* actions[] = {"update", "health_status: healthy", "kill", "rename"};
    constexpr int kRound = 100;
    int done_repeats = 0;
    const int rounds = std::max(1, (shorts + kRound - 1) / kRound);
    for (int round = 0; round < rounds; ++round) {
      const int first = next_short;
      const int count = std::min(kRound, shorts - round * kRound);
      for (int i = 0; i < count; ++i) {
        engine.put(inspect(first + i, fmt::format("short{}", first + i), 60'000 + i));
        engine.emit_container_event(id_of(first + i), "start");
      }
      for (const int until = repeats * (round + 1) / rounds; done_repeats < until && running > 0; ++done_repeats) {
        std::string action = actions[done_repeats % 4];
        std::string id = id_of(1 + done_repeats % running);
        if (action == "kill") {
          engine.emit_container_event(id, action, {{"signal", "1"}});
        } else {
          engine.emit_container_event(id, action);
        }
      }
      for (int i = 0; i < count; ++i) {
        engine.set_state(id_of(first + i), "exited");
        engine.emit_container_event(id_of(first + i), "die", {{"exitCode", "0"}});
        engine.remove(id_of(first + i));
        engine.emit_container_event(id_of(first + i), "destroy");
      }
      next_short += count;
    }
  }

  void garbage(int n) {
    for (int i = 0; i < n; ++i) engine.emit_bytes(fmt::format("{{\"Type\": not json {}}}\n", i));
  }
};

}  // namespace

int main() {
  asio::io_context io;
  FakeDockerEngine engine(io);
  engine.start();
  Script script{engine};
  std::cout << engine.socket_path() << std::endl;

  asio::posix::stream_descriptor in(io, ::dup(STDIN_FILENO));
  asio::streambuf buffer;
  std::function<void()> next = [&] {
    asio::async_read_until(in, buffer, '\n', [&](boost::system::error_code ec, size_t) {
      if (ec) {
        io.stop();
        return;
      }
      std::istream lines(&buffer);
      std::string command;
      int n = 0;
      lines >> command >> n;
      lines.ignore(1 << 20, '\n');
      if (command == "quit") {
        io.stop();
        return;
      }
      if (command == "containers") script.containers(n);
      else if (command == "burst") script.burst(n);
      else if (command == "garbage") script.garbage(n);
      std::cout << (command == "containers" || command == "burst" || command == "garbage" ? "ok" : "unknown command")
                << std::endl;
      next();
    });
  };
  next();
  io.run();
  return 0;
}
