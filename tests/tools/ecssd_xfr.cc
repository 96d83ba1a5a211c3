// ecssd_xfr: drives ecssd's TSIG-signed transfer and UPDATE clients (src/dns
// xfr_client, update_client) from stdin, one command a line, keeping one
// zone copy between commands, so that integration tests and the zone-read
// benchmark can check them against BIND, Knot and PowerDNS.
//
//   ecssd_xfr --server 127.0.0.1:53 --zone svc.test [--key-file F] [--key-name N]
//             [--algorithm A] [--timeout-ms 5000]
//
// Commands (each answered by one JSON line on stdout):
//   refresh   -> {"ok", "kind": "full"|"incremental"|"uptodate", "serial", "bytes_sent",
//                 "bytes_received", "messages", "rrs", "fallback"} or {"ok": false, "error"}
//                 or {"ok": false, "rcode", "tsig_error", "signature"}
//   records   -> {"serial", "records": [{"name", "type", "ttl", "values"}]}
//   update J  -> J is {"prerequisites": [{"kind": equals|exists|absent|name_in_use|
//                 name_not_in_use, "name", "type", "values"}], "updates": [{"kind": add|delete|
//                 delete_rrset|delete_name, "name", "type", "ttl", "value"}]};
//                 answers {"ok", "rcode", "tsig_error", "signature"} or {"ok": false, "error"}
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "common/log.h"
#include "dns/tsig_key.h"
#include "dns/update_client.h"
#include "dns/xfr_client.h"

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace ecssd;

template <typename T>
T run(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> out;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr, T v) { out.emplace(std::move(v)); });
  io.restart();
  io.run();
  return std::move(*out);
}

json::object answer_json(const dns::ServerAnswer& a) {
  return {{"ok", a.ok()},
          {"rcode", dns::rcode_name(a.rcode)},
          {"tsig_error", a.tsig.error},
          {"skew", a.tsig.server_clock_ahead ? json::value(*a.tsig.server_clock_ahead) : json::value(nullptr)},
          {"signature", a.signature.ok() ? std::string() : a.signature.error().message}};
}

json::object refresh(asio::io_context& io, const dns::ServerOptions& o, dns::ZoneCopy& copy) {
  auto r = run(io, dns::refresh(o, copy, dns::XfrLimits{}));
  if (!r.ok()) return {{"ok", false}, {"error", r.error().describe()}};
  if (!r->answer.ok()) return answer_json(r->answer);
  const char* kind = r->kind == dns::Refresh::Kind::kFull          ? "full"
                     : r->kind == dns::Refresh::Kind::kIncremental ? "incremental"
                                                                   : "uptodate";
  return {{"ok", true},
          {"kind", kind},
          {"serial", r->serial},
          {"bytes_sent", r->wire.bytes_sent},
          {"bytes_received", r->wire.bytes_received},
          {"messages", r->wire.messages},
          {"rrs", copy.rr_count()},
          {"fallback", r->ixfr_fallback.value_or("")}};
}

json::object records(const dns::ZoneCopy& copy) {
  json::array out;
  for (const auto& rec : copy.records()) {
    json::array values;
    for (const auto& v : rec.values) values.emplace_back(v);
    out.emplace_back(json::object{{"name", rec.name},
                                  {"type", std::string(model::to_string(rec.type))},
                                  {"ttl", rec.ttl},
                                  {"values", std::move(values)}});
  }
  return {{"serial", copy.serial()}, {"records", std::move(out)}};
}

std::optional<dns::UpdateRequest> parse_request(const std::string& text, std::string* why) {
  try {
    json::object o = json::parse(text).as_object();
    dns::UpdateRequest r;
    using PK = dns::Prerequisite::Kind;
    using UK = dns::UpdateOp::Kind;
    const std::map<std::string, PK> pk = {{"equals", PK::kRrsetEquals},   {"exists", PK::kRrsetExists},
                                          {"absent", PK::kRrsetAbsent},   {"name_in_use", PK::kNameInUse},
                                          {"name_not_in_use", PK::kNameNotInUse}};
    const std::map<std::string, UK> uk = {{"add", UK::kAdd},
                                          {"delete", UK::kDelete},
                                          {"delete_rrset", UK::kDeleteRrset},
                                          {"delete_name", UK::kDeleteName}};
    auto type_of = [](const json::object& x) {
      return model::parse_record_type(x.contains("type") ? std::string(x.at("type").as_string()) : "A")
          .value_or(model::RecordType::kA);
    };
    if (o.contains("prerequisites")) {
      for (const auto& v : o.at("prerequisites").as_array()) {
        const auto& x = v.as_object();
        dns::Prerequisite p{pk.at(std::string(x.at("kind").as_string())), std::string(x.at("name").as_string()),
                            type_of(x), {}};
        if (x.contains("values")) {
          for (const auto& s : x.at("values").as_array()) p.values.emplace_back(s.as_string());
        }
        r.prerequisites.push_back(std::move(p));
      }
    }
    if (o.contains("updates")) {
      for (const auto& v : o.at("updates").as_array()) {
        const auto& x = v.as_object();
        dns::UpdateOp u{uk.at(std::string(x.at("kind").as_string())), std::string(x.at("name").as_string()),
                        type_of(x), x.contains("ttl") ? static_cast<uint32_t>(x.at("ttl").to_number<int64_t>()) : 0,
                        x.contains("value") ? std::string(x.at("value").as_string()) : std::string()};
        r.updates.push_back(std::move(u));
      }
    }
    return r;
  } catch (const std::exception& e) {
    *why = e.what();
    return std::nullopt;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Drives ecssd's transfer and UPDATE clients", "ecssd_xfr"};
  std::string server, zone, key_file, key_name, algorithm;
  long timeout_ms = 5000;
  app.add_option("--server", server, "address:port")->required();
  app.add_option("--zone", zone, "zone")->required();
  app.add_option("--key-file", key_file, "TSIG key file");
  app.add_option("--key-name", key_name, "TSIG key name override");
  app.add_option("--algorithm", algorithm, "TSIG algorithm override");
  app.add_option("--timeout-ms", timeout_ms, "per exchange")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  log::configure(log::Format::kText, "warn");

  common::RealTimeSystem time;
  dns::ServerOptions o;
  o.server = server;
  o.timeout = std::chrono::milliseconds(timeout_ms);
  o.time = &time;
  if (!key_file.empty()) {
    auto key = dns::load_tsig_key(key_file, "--key-file", key_name, algorithm);
    if (!key.ok()) {
      std::cerr << "ecssd_xfr: " << key.error().describe() << "\n";
      return 2;
    }
    o.key = dns::TsigSigner::make(key->key).value();
  }
  asio::io_context io;
  dns::ZoneCopy copy(zone);
  for (std::string line; std::getline(std::cin, line);) {
    json::object out;
    if (line == "refresh") {
      out = refresh(io, o, copy);
    } else if (line == "records") {
      out = records(copy);
    } else if (line.starts_with("update ")) {
      std::string why;
      auto request = parse_request(line.substr(7), &why);
      if (!request) {
        out = {{"ok", false}, {"error", "bad request: " + why}};
      } else {
        auto a = run(io, dns::send_update(o, zone, *request));
        out = a.ok() ? answer_json(a->answer) : json::object{{"ok", false}, {"error", a.error().describe()}};
      }
    } else {
      out = {{"ok", false}, {"error", "unknown command"}};
    }
    std::cout << json::serialize(out) << std::endl;
  }
  return 0;
}
