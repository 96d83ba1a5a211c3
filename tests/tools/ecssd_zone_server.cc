// ecssd_zone_server: serves records from a JSON file through the real
// embedded provider and responder, for conformance tests with dig/kdig and
// for the responder benchmark.
//
//   ecssd_zone_server --zone svc.test --records records.json --listen 127.0.0.1:0 [--threads N]
//
// records.json: [{"name": "web.svc.test", "type": "CNAME", "ttl": 10,
//                 "values": ["host.svc.test"], "set_identifier": "a", "weight": 1}, ...]
// (or {"records": [...]}). Prints "listening ADDRESS:PORT" on stdout once it
// serves. SIGHUP re-reads the file and replaces the records; SIGINT/SIGTERM
// stop it and print the responder's counters on stderr.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>

#include "common/log.h"
#include "common/metrics.h"
#include "common/task.h"
#include "common/time_system.h"
#include "model/record.h"
#include "provider/embedded/embedded_provider.h"

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using ecssd::common::Result;
using ecssd::model::Record;

Result<std::vector<Record>> load(const std::string& path) {
  auto fail = [&](std::string why) {
    return ecssd::common::make_error(ecssd::common::ErrorCode::kInvalidArgument, path + ": " + why);
  };
  std::ifstream in(path);
  if (!in) return fail("cannot read");
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value doc = json::parse(text.str(), ec);
  if (ec) return fail("not JSON: " + ec.message());
  const json::array* list = doc.if_array();
  if (list == nullptr && doc.is_object() && doc.as_object().contains("records")) list = doc.at("records").if_array();
  if (list == nullptr) return fail("expected a list of records");
  std::vector<Record> out;
  for (const auto& item : *list) {
    const json::object* o = item.if_object();
    if (o == nullptr) return fail("a record is not an object");
    Record r;
    try {
      r.name = json::value_to<std::string>(o->at("name"));
      auto type = ecssd::model::parse_record_type(json::value_to<std::string>(o->at("type")));
      if (!type) return fail("unknown type in record " + r.name);
      r.type = *type;
      r.ttl = o->contains("ttl") ? json::value_to<uint32_t>(o->at("ttl")) : 10;
      r.values = json::value_to<std::vector<std::string>>(o->at("values"));
      if (o->contains("set_identifier")) r.set_identifier = json::value_to<std::string>(o->at("set_identifier"));
      if (o->contains("weight")) r.weight = json::value_to<uint32_t>(o->at("weight"));
    } catch (const std::exception& e) {
      return fail(std::string("bad record: ") + e.what());
    }
    out.push_back(std::move(r));
  }
  return out;
}

struct Server {
  asio::io_context& io;
  ecssd::provider::EmbeddedProvider& provider;
  std::string path;
};

// Replaces every record with the file's content (one apply: deletions first).
ecssd::common::Task<void> reload(Server* s, bool initial) {
  auto records = load(s->path);
  if (!records.ok()) {
    ecssd::log::error("zone server: cannot load records", {{"error", records.error().message}});
    if (initial) std::exit(2);
    co_return;
  }
  ecssd::model::ChangeSet changes;
  auto listed = co_await s->provider.list();
  for (auto& r : listed.value()) {
    if (r.type != ecssd::model::RecordType::kSOA && r.type != ecssd::model::RecordType::kNS) {
      changes.remove.push_back(std::move(r));
    }
  }
  changes.create = std::move(records).value();
  auto report = co_await s->provider.apply(std::move(changes));
  if (!report.ok()) {
    ecssd::log::error("zone server: apply failed", {{"error", report.error().message}});
    if (initial) std::exit(2);
    co_return;
  }
  for (const auto& f : report->failed) {
    ecssd::log::error("zone server: record refused", {{"error", f.error.message}});
  }
  if (initial && !report->failed.empty()) std::exit(2);
  ecssd::log::info("zone server: records loaded", {{"records", report->applied.create.size()},
                                                    {"serial", s->provider.snapshot()->serial()}});
  if (initial) {
    std::printf("listening %s\n", s->provider.responder().endpoint().c_str());
    std::fflush(stdout);
  }
}

ecssd::common::Task<void> signals(Server* s, asio::signal_set* set) {
  for (;;) {
    int signo = co_await set->async_wait(asio::use_awaitable);
    if (signo == SIGHUP) {
      co_await reload(s, false);
      continue;
    }
    auto st = s->provider.responder().stats();
    std::fprintf(stderr,
                 "udp_queries=%llu tcp_queries=%llu dropped=%llu formerr=%llu nxdomain=%llu refused=%llu "
                 "truncated=%llu transfers=%llu\n",
                 (unsigned long long)st.udp_queries, (unsigned long long)st.tcp_queries,
                 (unsigned long long)st.dropped, (unsigned long long)st.formerr, (unsigned long long)st.nxdomain,
                 (unsigned long long)st.refused, (unsigned long long)st.truncated, (unsigned long long)st.transfers);
    s->provider.stop();
    s->io.stop();
    co_return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Serves a zone from a JSON records file with ecssd's embedded responder", "ecssd_zone_server"};
  ecssd::provider::EmbeddedOptions options;
  std::string path, level = "info";
  app.add_option("--zone", options.zone.zone, "Zone served")->required();
  app.add_option("--records", path, "JSON file of records")->required();
  app.add_option("--listen", options.responder.listen, "address:port (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--threads", options.responder.threads, "Responder threads (0: the main thread)")
      ->capture_default_str();
  app.add_option("--ns", options.zone.ns_name, "Name server name in SOA and NS");
  app.add_option("--tcp-idle-ms", options.responder.tcp_idle_timeout, "TCP idle timeout (ms)");
  app.add_option("--log-level", level, "trace, debug, info, warn, error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (!ecssd::log::configure(ecssd::log::Format::kText, level)) {
    std::fprintf(stderr, "unknown log level %s\n", level.c_str());
    return 2;
  }

  ecssd::common::RealTimeSystem time;
  ecssd::common::Metrics metrics;
  asio::io_context io;
  ecssd::provider::EmbeddedProvider provider(io, options, time, ecssd::common::Scope(metrics));
  if (auto s = provider.start(); !s.ok()) {
    std::fprintf(stderr, "ecssd_zone_server: %s\n", s.error().describe().c_str());
    return 1;
  }
  Server server{io, provider, path};
  asio::signal_set set(io, SIGINT, SIGTERM, SIGHUP);
  asio::co_spawn(io, reload(&server, true), asio::detached);
  asio::co_spawn(io, signals(&server, &set), asio::detached);
  io.run();
  return 0;
}
