// ecssd_watch: runs source::DockerSource against an engine and prints, on
// stdout, one JSON line with the whole service snapshot each time it changes:
//   {"synced":true,"services":[{...}, ...]}
// Logs go to stderr. SIGHUP asks for a full relisting; SIGTERM/SIGINT stop.
// A test tool: the agent itself wires the source in src/cli.
#include <cstdio>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>

#include "common/time_system.h"
#include "common/duration.h"
#include "common/environment.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/time_system.h"
#include "source/docker/docker_source.h"

namespace {

namespace json = boost::json;
using namespace ecssd;

const char* kind_name(model::HealthCheck::Kind k) {
  switch (k) {
    case model::HealthCheck::Kind::kTcp: return "tcp";
    case model::HealthCheck::Kind::kHttp: return "http";
    case model::HealthCheck::Kind::kNone: return "none";
  }
  return "?";
}

json::object to_json(const model::Service& s) {
  json::array tags;
  for (const auto& t : s.tags) tags.emplace_back(t);
  return json::object{
      {"container_id", s.container_id},
      {"container_name", s.container_name},
      {"started_unix", s.started_unix},
      {"name", s.name},
      {"container_port", s.container_port},
      {"protocol", s.protocol},
      {"host_port", s.host_port},
      {"host_ip", s.host_ip},
      {"container_ip", s.container_ip},
      {"container_ip6", s.container_ip6},
      {"check", json::object{{"kind", kind_name(s.check.kind)},
                             {"http_path", s.check.http_path},
                             {"http_status", s.check.http_status},
                             {"timeout", s.check.timeout}}},
      {"task_arn", s.task_arn},
      {"cluster", s.cluster},
      {"tags", std::move(tags)},
  };
}

std::chrono::milliseconds duration_or_die(const std::string& flag, const std::string& text) {
  auto d = common::parse_duration(text);
  if (!d.ok()) {
    std::cerr << "ecssd_watch: " << flag << ": " << d.error().message << "\n";
    std::exit(2);
  }
  return *d;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Prints the Docker source's service snapshot on every change", "ecssd_watch"};
  source::DockerSourceOptions o;
  std::string log_level = "info", log_format = "json";
  std::string request_timeout = "10s", backoff_base = "250ms", backoff_cap = "30s";
  app.add_option("--docker-host", o.docker_host, "unix:///path (default: $DOCKER_HOST, else /var/run/docker.sock)");
  app.add_option("--network", o.network, "network whose address containers get");
  app.add_flag("--ignore-health", o.ignore_health, "publish containers whatever their HEALTHCHECK says");
  app.add_option("--request-timeout", request_timeout, "deadline of each engine request");
  app.add_option("--backoff-base", backoff_base, "first reconnect delay ceiling");
  app.add_option("--backoff-cap", backoff_cap, "largest reconnect delay");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  app.add_option("--log-format", log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
  CLI11_PARSE(app, argc, argv);

  if (!log::configure(log_format == "json" ? log::Format::kJson : log::Format::kText, log_level)) {
    std::cerr << "ecssd_watch: unknown log level " << log_level << "\n";
    return 2;
  }
  if (o.docker_host.empty()) o.docker_host = source::default_docker_host(common::Environment::snapshot());
  o.request_timeout = duration_or_die("--request-timeout", request_timeout);
  o.backoff_base = duration_or_die("--backoff-base", backoff_base);
  o.backoff_cap = duration_or_die("--backoff-cap", backoff_cap);
  if (auto s = source::validate(o); !s.ok()) {
    std::cerr << "ecssd_watch: " << s.error().message << "\n";
    return 2;
  }

  common::RealTimeSystem time;
  common::Metrics metrics;
  boost::asio::io_context io;
  source::DockerSource docker(io, o, time, common::Scope(metrics));
  std::string last;
  docker.start([&] {
    if (!docker.synced()) return;
    json::array services;
    for (const auto& s : docker.services()) services.push_back(to_json(s));
    json::object line{{"synced", true}, {"services", std::move(services)}};
    std::string text = json::serialize(line);
    if (text == last) return;
    last = text;
    std::fputs((text + "\n").c_str(), stdout);
    std::fflush(stdout);
  });

  boost::asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  boost::asio::signal_set hup(io, SIGHUP);
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      log::info("SIGHUP: relisting containers");
      docker.resync();
      wait_hup();
    });
  };
  wait_hup();
  stop_signals.async_wait([&](const boost::system::error_code&, int) {
    docker.stop();
    io.stop();
  });
  io.run();
  return 0;
}
