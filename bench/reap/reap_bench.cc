// The reaper benchmark's two processes (driven by bench/reap/bench.py):
//
//   bench_reap targets --tcp N --http N --refused N --silent N
//     Opens one loopback target per record and prints their ports as one JSON
//     line, then serves until stdin closes: "tcp" listeners accept and close,
//     "http" ones answer 200, "silent" ones accept and never answer (an HTTP
//     check times out), "refused" ports are bound but not listening (a
//     connect is refused at once).
//
//   bench_reap run --targets FILE [--timeout 2s --tries 3 --interval 2s
//                  --concurrency 256 --sample 100]
//     Serves one owned record per target (with its companion, as an agent
//     writes it) from a generated zone (see GeneratedZone), runs one reap pass (the reaper's
//     own code: registry, concurrent probes, thresholds, safety valve,
//     batched deletion) and times it; then runs the original Lambda's
//     algorithm on a sample with the same mix: one target at a time, the same
//     timeout and tries, one deletion call per dead record. Prints JSON.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <algorithm>
#include <fstream>
#include <map>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/clock.h"
#include "common/duration.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/open_files.h"
#include "common/time_system.h"
#include "provider/inmemory/inmemory_provider.h"
#include "health/probe.h"
#include "reaper/reaper.h"
#include "registry/registry.h"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive (GCC bug 109224)

namespace {

namespace net = boost::asio;
namespace json = boost::json;
using tcp = net::ip::tcp;
using namespace ecssd;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr const char* kZone = "bench.internal";

// ---------------------------------------------------------------- targets

net::awaitable<void> close_after_accept(tcp::acceptor* a) {
  while (true) {
    std::tuple<boost::system::error_code, tcp::socket> r = co_await a->async_accept(kTuple);
    if (std::get<0>(r) == net::error::operation_aborted) co_return;
    if (!std::get<0>(r)) std::get<1>(r).close();
  }
}

net::awaitable<void> answer_200(tcp::socket s) {
  std::string buf;
  std::tuple<boost::system::error_code, std::size_t> r =
      co_await net::async_read_until(s, net::dynamic_buffer(buf), "\r\n\r\n", kTuple);
  if (std::get<0>(r)) co_return;
  static const std::string kAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
  std::tuple<boost::system::error_code, std::size_t> w = co_await net::async_write(s, net::buffer(kAnswer), kTuple);
  (void)w;
}

// Reads until the client gives up, answering nothing.
net::awaitable<void> hold(tcp::socket s) {
  char buf[512];
  while (true) {
    std::tuple<boost::system::error_code, std::size_t> r = co_await s.async_read_some(net::buffer(buf), kTuple);
    if (std::get<0>(r)) co_return;
  }
}

net::awaitable<void> serve(tcp::acceptor* a, bool http) {
  auto ex = a->get_executor();
  while (true) {
    std::tuple<boost::system::error_code, tcp::socket> r = co_await a->async_accept(kTuple);
    if (std::get<0>(r) == net::error::operation_aborted) co_return;
    if (std::get<0>(r)) continue;
    if (http) net::co_spawn(ex, answer_200(std::move(std::get<1>(r))), net::detached);
    else net::co_spawn(ex, hold(std::move(std::get<1>(r))), net::detached);
  }
}

int run_targets(int tcp_n, int http_n, int refused_n, int silent_n) {
  net::io_context io;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  auto open = [&](bool listen) {
    auto a = std::make_unique<tcp::acceptor>(io);
    a->open(tcp::v4());
    a->bind(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    if (listen) a->listen(1024);
    uint16_t port = a->local_endpoint().port();
    acceptors.push_back(std::move(a));
    return port;
  };
  json::object ports;
  json::array tcp_ports, http_ports, refused_ports, silent_ports;
  for (int i = 0; i < tcp_n; ++i) {
    tcp_ports.push_back(open(true));
    net::co_spawn(io, close_after_accept(acceptors.back().get()), net::detached);
  }
  for (int i = 0; i < http_n; ++i) {
    http_ports.push_back(open(true));
    net::co_spawn(io, serve(acceptors.back().get(), true), net::detached);
  }
  for (int i = 0; i < silent_n; ++i) {
    silent_ports.push_back(open(true));
    net::co_spawn(io, serve(acceptors.back().get(), false), net::detached);
  }
  for (int i = 0; i < refused_n; ++i) refused_ports.push_back(open(false));
  ports["tcp"] = std::move(tcp_ports);
  ports["http"] = std::move(http_ports);
  ports["refused"] = std::move(refused_ports);
  ports["silent"] = std::move(silent_ports);
  std::cout << json::serialize(ports) << std::endl;

  // Serve until the driver closes our stdin.
  net::posix::stream_descriptor in(io, ::dup(STDIN_FILENO));
  char byte;
  in.async_read_some(net::buffer(&byte, 1), [&io](boost::system::error_code, std::size_t) { io.stop(); });
  io.run();
  return 0;
}

// ---------------------------------------------------------------- records

struct Target {
  std::string kind;  // tcp, http, refused, silent
  uint16_t port;
};

model::Record make_record(const Target& t, size_t i, int64_t started) {
  std::string owner = fmt::format("h{:03}", i % 100);
  std::string container = fmt::format("{:012x}{}", i + 1, std::string(52, 'c'));
  model::Record r;
  r.name = fmt::format("svc-{}.{}", i, kZone);
  r.type = model::RecordType::kCNAME;
  r.ttl = 10;
  r.values = {owner + ".hosts.example"};
  r.set_identifier = fmt::format("ecssd:{}:{}:80-tcp", owner, container.substr(0, 12));
  r.weight = 1;
  bool http = t.kind == "http" || t.kind == "silent";
  r.labels = {{"owner", owner},
              {"kind", "service"},
              {"container", container},
              {"container-name", fmt::format("svc-{}", i)},
              {"service", fmt::format("svc-{}", i)},
              {"port", "80/tcp"},
              {"addr", fmt::format("127.0.0.1:{}", t.port)},
              {"check", http ? "http" : "tcp"},
              {"started", std::to_string(started)}};
  if (http) r.labels.emplace("check-http", "/health");
  return r;
}

// The zone as a remote provider holds it: the process keeps only the target
// list, and every list() builds the raw records (record + companion TXT) the
// way a provider parses them from the wire, so the process's memory is the
// reaper's, not the zone's. apply() deletes exactly what was listed.
class GeneratedZone final : public provider::Provider {
 public:
  GeneratedZone(const std::vector<Target>* targets, int64_t started)
      : zone_(kZone),
        targets_(targets),
        started_(started),
        deleted_(targets->size(), false),
        companion_deleted_(targets->size(), false) {}
  const std::string& zone() const override { return zone_; }
  provider::Capabilities capabilities() const override { return {.set_identifiers = true, .writable = true}; }

  common::Task<common::Result<std::vector<model::Record>>> list() override {
    std::vector<model::Record> out;
    out.reserve(2 * targets_->size());
    for (size_t i = 0; i < targets_->size(); ++i) {
      if (deleted_[i]) continue;
      model::Record r = make_record((*targets_)[i], i, started_);
      out.push_back(registry::companion_of(r));
      r.labels.clear();
      out.push_back(std::move(r));
    }
    co_return out;
  }

  common::Task<common::Result<provider::ApplyReport>> apply(model::ChangeSet changes) override {
    ++apply_calls;
    provider::ApplyReport report;
    report.requests = 1;
    for (auto& r : changes.remove) {
      // "svc-<i>.zone" or "cname._ecssd.svc-<i>.zone"
      auto dash = r.name.find("svc-");
      size_t i = std::stoul(r.name.substr(dash + 4));
      model::Record expected = make_record((*targets_)[i], i, started_);
      if (r.type == model::RecordType::kTXT) expected = registry::companion_of(expected);
      expected.labels.clear();
      bool companion = r.type == model::RecordType::kTXT;
      if ((companion ? companion_deleted_[i] : deleted_[i]) || r.values != expected.values || r.ttl != expected.ttl) {
        report.failed.push_back({model::ChangeSet{.remove = {r}},
                                 common::make_error(common::ErrorCode::kConflict, "not as listed: " + r.name)});
        continue;
      }
      (companion ? companion_deleted_ : deleted_)[i] = true;
      report.applied.remove.push_back(std::move(r));
    }
    co_return report;
  }

  size_t remaining() const { return static_cast<size_t>(std::count(deleted_.begin(), deleted_.end(), false)); }
  size_t apply_calls = 0;

 private:
  std::string zone_;
  const std::vector<Target>* targets_;
  int64_t started_;
  std::vector<bool> deleted_;
  std::vector<bool> companion_deleted_;
};

double rss_mb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}
double peak_rss_mb() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

// The original Lambda's algorithm: one target at a time, `tries` checks each
// with the same timeout, one deletion request per dead record.
net::awaitable<json::object> sequential(registry::Registry* reg, health::Probe* probe, int tries,
                                        std::chrono::milliseconds timeout) {
  auto listed = co_await reg->records();
  json::object out;
  size_t dead = 0, probes = 0, deleted = 0;
  for (const auto& r : *listed) {
    if (r.owner().empty()) continue;
    auto spec = reaper::check_from_labels(r.labels, timeout);
    bool healthy = false;
    for (int t = 0; t < tries && !healthy; ++t) {
      ++probes;
      health::ProbeResult res = co_await probe->check(*spec);
      healthy = res.healthy;
    }
    if (healthy) continue;
    ++dead;
    model::ChangeSet one;
    one.remove.push_back(r);
    auto applied = co_await reg->apply(std::move(one));
    if (applied.ok()) deleted += applied->applied.remove.size();
  }
  out["dead"] = dead;
  out["probes"] = probes;
  out["deleted"] = deleted;
  co_return out;
}

int run_bench(const std::string& targets_file, std::chrono::milliseconds timeout, int tries,
              std::chrono::milliseconds interval, int concurrency, size_t sample_per_100) {
  std::ifstream f(targets_file);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  json::object ports = json::parse(text).as_object();
  std::vector<Target> all;
  std::map<std::string, std::vector<Target>> by_kind;
  for (const char* kind : {"tcp", "http", "refused", "silent"}) {
    for (const auto& p : ports.at(kind).as_array()) {
      Target t{kind, static_cast<uint16_t>(p.as_int64())};
      by_kind[kind].push_back(t);
    }
  }
  // Interleave the kinds, as a real zone mixes them.
  size_t longest = 0;
  for (auto& [k, v] : by_kind) longest = std::max(longest, v.size());
  for (size_t i = 0; i < longest; ++i) {
    for (const char* kind : {"tcp", "http", "refused", "silent"}) {
      if (i < by_kind[kind].size()) all.push_back(by_kind[kind][i]);
    }
  }
  const int64_t started = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count() - 3600;

  // As `ecssd reap` does when --concurrency is not given (0): the soft
  // open-file limit raised to the hard one; the Reaper follows it.
  if (concurrency == 0) common::raise_open_file_limit();
  const size_t open_files = common::open_file_limit();
  size_t in_flight = 0;  // as the Reaper resolved it

  json::object out;
  out["records"] = all.size();
  out["rss_mb_start"] = rss_mb();  // the process with its libraries, before any record

  common::RealTimeSystem time;
  common::Metrics metrics;
  net::io_context io;
  health::NetworkProbe probe;
  json::object pass;
  {
    GeneratedZone zone(&all, started);
    registry::Registry reg(zone, "");
    reaper::ReaperOptions options;
    options.health.fall = tries;
    options.health.interval = interval;
    options.check_timeout = timeout;
    options.concurrency = static_cast<size_t>(concurrency);
    reaper::Reaper reaper(reg, probe, time, options, common::Scope(metrics));
    in_flight = reaper.options().concurrency;
    reaper::Report report;
    auto t0 = std::chrono::steady_clock::now();
    net::co_spawn(io, reaper.run_pass(), [&](std::exception_ptr, reaper::Report r) { report = std::move(r); });
    io.run();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    pass["seconds"] = seconds;
    pass["ok"] = report.ok;
    pass["owned"] = report.owned;
    pass["dead"] = report.dead;
    pass["deleted"] = report.deleted;
    pass["probes"] = report.probes;
    pass["targets_checked"] = report.targets_checked;
    pass["apply_calls"] = zone.apply_calls;
    pass["rss_mb_peak"] = peak_rss_mb();
    pass["left_in_zone"] = zone.remaining();
  }
  out["reaper"] = std::move(pass);

  // The sequential checker on a sample with the same mix.
  json::object seq;
  {
    provider::InMemoryProvider zone(kZone);
    model::ChangeSet seed;
    size_t n = 0;
    for (const char* kind : {"tcp", "http", "refused", "silent"}) {
      size_t take = by_kind[kind].size() * sample_per_100 / 100;
      for (size_t i = 0; i < take; ++i) seed.create.push_back(make_record(by_kind[kind][i], 100'000 + n++, started));
    }
    zone.seed(registry::expand(seed).create);
    registry::Registry reg(zone, "");
    json::object r;
    auto t0 = std::chrono::steady_clock::now();
    net::co_spawn(io, sequential(&reg, &probe, tries, timeout), [&](std::exception_ptr, json::object o) {
      r = std::move(o);
    });
    io.restart();
    io.run();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    seq = std::move(r);
    seq["records"] = n;
    seq["seconds"] = seconds;
    seq["scale"] = static_cast<double>(all.size()) / static_cast<double>(n);
    seq["scaled_seconds"] = seconds * static_cast<double>(all.size()) / static_cast<double>(n);
  }
  out["sequential"] = std::move(seq);
  out["timeout_ms"] = timeout.count();
  out["tries"] = tries;
  out["interval_ms"] = interval.count();
  out["concurrency"] = in_flight;
  out["concurrency_flag"] = concurrency;
  out["open_file_limit"] = open_files;
  std::cout << json::serialize(out) << std::endl;
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: bench_reap targets --tcp N --http N --refused N --silent N\n"
               "       bench_reap run --targets FILE [--timeout 2s] [--tries 3] [--interval 2s] "
               "[--concurrency 0 (the reaper's default)] [--sample 1]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string mode = argv[1];
  std::map<std::string, std::string> opt;
  for (int i = 2; i + 1 < argc; i += 2) opt[argv[i]] = argv[i + 1];
  auto get = [&](const std::string& k, const std::string& d) { return opt.count(k) ? opt[k] : d; };
  log::configure(log::Format::kText, get("--log-level", "warn"));
  if (mode == "targets") {
    return run_targets(std::stoi(get("--tcp", "6000")), std::stoi(get("--http", "3000")),
                       std::stoi(get("--refused", "500")), std::stoi(get("--silent", "500")));
  }
  if (mode == "run") {
    auto dur = [&](const std::string& k, const std::string& d) { return *common::parse_duration(get(k, d)); };
    return run_bench(get("--targets", ""), dur("--timeout", "2s"), std::stoi(get("--tries", "3")),
                     dur("--interval", "2s"), std::stoi(get("--concurrency", "0")),
                     static_cast<size_t>(std::stoi(get("--sample", "1"))));
  }
  return usage();
}
