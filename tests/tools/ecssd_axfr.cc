// ecssd_axfr: lists a zone with ecssd's AXFR client (dns::axfr) and prints
// the result as JSON, so that integration tests can check the client against
// independent servers (Knot) and the responder against independent clients.
//
//   ecssd_axfr --server 127.0.0.1:53 --zone svc.test [--timeout-ms 5000]
//
// Prints {"serial": N, "messages": M, "skipped": K, "records": [{"name", "type",
// "ttl", "values"}...]} on success; on failure the error on stderr and exit 1.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "common/log.h"
#include "dns/axfr_client.h"

namespace {

namespace asio = boost::asio;
using Outcome = std::optional<ecssd::common::Result<ecssd::dns::AxfrResult>>;

asio::awaitable<void> list(ecssd::dns::AxfrOptions options, Outcome* out) {
  out->emplace(co_await ecssd::dns::axfr(std::move(options)));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Lists a zone by AXFR with ecssd's client", "ecssd_axfr"};
  ecssd::dns::AxfrOptions options;
  long timeout_ms = 5000;
  app.add_option("--server", options.server, "address:port")->required();
  app.add_option("--zone", options.zone, "zone")->required();
  app.add_option("--timeout-ms", timeout_ms, "whole transfer timeout")->capture_default_str();
  app.add_option("--max-bytes", options.max_bytes, "size bound")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.timeout = std::chrono::milliseconds(timeout_ms);
  ecssd::log::configure(ecssd::log::Format::kText, "warn");

  asio::io_context io;
  Outcome out;
  asio::co_spawn(io, list(options, &out), asio::detached);
  io.run();
  if (!out || !out->ok()) {
    std::fprintf(stderr, "ecssd_axfr: %s\n", out ? out->error().describe().c_str() : "no result");
    return 1;
  }
  const auto& r = out->value();
  boost::json::array records;
  for (const auto& rec : r.records) {
    boost::json::array values;
    for (const auto& v : rec.values) values.emplace_back(v);
    records.emplace_back(boost::json::object{{"name", rec.name},
                                             {"type", std::string(ecssd::model::to_string(rec.type))},
                                             {"ttl", rec.ttl},
                                             {"values", std::move(values)}});
  }
  boost::json::object doc{{"serial", r.serial}, {"messages", r.messages}, {"skipped", r.skipped},
                          {"records", std::move(records)}};
  std::printf("%s\n", boost::json::serialize(doc).c_str());
  return 0;
}
