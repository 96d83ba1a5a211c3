// route53_pipe: runs Route53Provider (with registry and plan, as the agent
// does) against a real Route 53 API while the HTTP side stays in the test.
// Until the project's signed HTTP transport is wired into the agent, the
// integration test (tests/integration/test_route53_provider.py) plays the
// transport: this tool writes each request as one JSON line on stdout and reads
// the response as one JSON line on stdin. Test-only; never part of ecssd.
//
//   route53_pipe <base_url> <ops.json>
//
// ops.json: {"options": {"zone", "zone_id", "zone_type", "page_size",
// "max_records", "max_value_chars", "max_attempts"}, "ops": [op...]} where op is
//   {"op": "init"} | {"op": "list"} |
//   {"op": "publish", "owner": "host-a", "desired": [record...]} |
//   {"op": "apply", "create": [record...], "remove": [record...]}
// and a record is {"name", "type", "ttl", "values", "set_identifier",
// "weight", "labels"}. Each op prints {"type": "result", "op": ..., ...}.
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "aws/transport.h"
#include "common/environment.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/time_system.h"
#include "plan/plan.h"
#include "provider/cached_provider.h"
#include "provider/route53/route53_provider.h"
#include "registry/registry.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC PR 109224, as in route53_provider.cc
#endif

namespace {

namespace json = boost::json;
using namespace ecssd;

void emit(const json::object& o) { std::cout << json::serialize(o) << "\n" << std::flush; }

class PipeTransport final : public aws::Transport {
 public:
  common::Task<common::Result<aws::HttpResponse>> call(const aws::ServiceEndpoint& endpoint,
                                                       aws::HttpRequest req) override {
    json::array headers;
    for (const auto& [k, v] : req.headers) headers.push_back(json::array{json::string(k), json::string(v)});
    emit({{"type", "request"},
          {"signing_name", endpoint.signing_name},
          {"method", req.method},
          {"url", req.url},
          {"headers", headers},
          {"body", req.body}});
    std::string line;
    if (!std::getline(std::cin, line)) {
      co_return common::make_error(common::ErrorCode::kUnavailable, "route53_pipe: stdin closed");
    }
    json::object answer = json::parse(line).as_object();
    if (auto* e = answer.if_contains("error")) {
      co_return common::transient_error(common::ErrorCode::kTimeout, std::string(e->as_string()));
    }
    aws::HttpResponse resp;
    resp.status = static_cast<unsigned>(answer.at("status").to_number<int64_t>());
    resp.body = std::string(answer.at("body").as_string());
    co_return resp;
  }
};

model::Record to_record(const json::value& v) {
  const json::object& o = v.as_object();
  model::Record r;
  r.name = std::string(o.at("name").as_string());
  r.type = *model::parse_record_type(std::string(o.at("type").as_string()));
  r.ttl = static_cast<uint32_t>(o.at("ttl").to_number<int64_t>());
  for (const auto& x : o.at("values").as_array()) r.values.emplace_back(x.as_string());
  if (auto* s = o.if_contains("set_identifier")) r.set_identifier = std::string(s->as_string());
  if (auto* w = o.if_contains("weight"); w && !w->is_null()) r.weight = static_cast<uint32_t>(w->to_number<int64_t>());
  if (auto* l = o.if_contains("labels")) {
    for (const auto& [k, x] : l->as_object()) r.labels.emplace(std::string(k), std::string(x.as_string()));
  }
  return r;
}

json::object from_record(const model::Record& r) {
  json::array values;
  for (const auto& v : r.values) values.emplace_back(v);
  json::object labels;
  for (const auto& [k, v] : r.labels) labels[k] = v;
  return {{"name", r.name},
          {"type", std::string(model::to_string(r.type))},
          {"ttl", r.ttl},
          {"values", values},
          {"set_identifier", r.set_identifier},
          {"weight", r.weight ? json::value(*r.weight) : json::value(nullptr)},
          {"labels", labels}};
}

json::object from_report(const provider::ApplyReport& rep) {
  json::array failed;
  for (const auto& f : rep.failed) {
    const auto& c = f.change;
    const model::Record& r = !c.create.empty() ? c.create[0] : !c.update.empty() ? c.update[0].new_record : c.remove[0];
    failed.push_back(json::object{{"record", model::describe(r)},
                                  {"code", common::to_string(f.error.code)},
                                  {"error", f.error.message}});
  }
  return {{"created", rep.applied.create.size()},
          {"updated", rep.applied.update.size()},
          {"removed", rep.applied.remove.size()},
          {"failed", failed},
          {"requests", rep.requests}};
}

boost::asio::awaitable<void> run_ops(std::string base_url, json::object spec, int* exit_code) {
  const json::object& opt = spec.at("options").as_object();
  provider::Route53Options options;
  auto str = [&](const char* k) { return opt.contains(k) ? std::string(opt.at(k).as_string()) : std::string(); };
  auto num = [&](const char* k, int64_t fallback) { return opt.contains(k) ? opt.at(k).to_number<int64_t>() : fallback; };
  options.zone = str("zone");
  options.zone_id = str("zone_id");
  options.zone_type = provider::parse_zone_type(opt.contains("zone_type") ? str("zone_type") : "any").value();
  options.page_size = static_cast<uint32_t>(num("page_size", 300));
  options.limits.max_records = static_cast<size_t>(num("max_records", 1000));
  options.limits.max_value_chars = static_cast<size_t>(num("max_value_chars", 32000));
  options.retry.max_attempts = static_cast<uint32_t>(num("max_attempts", 6));
  options.retry.base = std::chrono::milliseconds(num("retry_base_ms", 20));

  PipeTransport transport;
  common::RealTimeSystem time;
  common::Metrics metrics;
  auto owned = std::make_unique<provider::Route53Provider>(
      transport, aws::ServiceEndpoint{"route53", "us-east-1", base_url}, options, time, common::Scope(metrics));
  provider::Route53Provider* route53 = owned.get();
  provider::CachedProvider cached(std::move(owned));
  std::unique_ptr<registry::Registry> reg;

  for (const auto& op_value : spec.at("ops").as_array()) {
    const json::object& op = op_value.as_object();
    const std::string name(op.at("op").as_string());
    json::object out{{"type", "result"}, {"op", name}};
    if (name == "init") {
      auto s = co_await route53->init();
      out["ok"] = s.ok();
      if (!s.ok()) out["error"] = s.error().describe();
      out["zone"] = route53->zone();
      out["zone_id"] = route53->zone_id();
    } else if (name == "list") {
      cached.invalidate();
      auto listed = co_await cached.list();
      out["ok"] = listed.ok();
      if (listed.ok()) {
        json::array records;
        for (const auto& r : *listed) records.push_back(from_record(r));
        out["records"] = records;
      } else {
        out["error"] = listed.error().describe();
      }
    } else if (name == "publish") {
      std::string owner(op.at("owner").as_string());
      if (!reg || reg->owner() != owner) reg = std::make_unique<registry::Registry>(cached, owner);
      std::vector<model::Record> desired;
      for (const auto& r : op.at("desired").as_array()) desired.push_back(cached.canonicalize(to_record(r)));
      auto current = co_await reg->records();
      if (!current.ok()) {
        out["ok"] = false;
        out["error"] = current.error().describe();
      } else {
        plan::Output planned = plan::compute({.current = *current, .desired = desired, .owner = owner});
        auto report = co_await reg->apply(planned.changes);
        out["ok"] = report.ok();
        out["conflicts"] = planned.conflicts.size();
        if (report.ok()) out["report"] = from_report(*report);
        else out["error"] = report.error().describe();
      }
    } else if (name == "apply") {
      model::ChangeSet cs;
      if (auto* c = op.if_contains("create")) for (const auto& r : c->as_array()) cs.create.push_back(to_record(r));
      if (auto* c = op.if_contains("remove")) for (const auto& r : c->as_array()) cs.remove.push_back(to_record(r));
      auto report = co_await cached.apply(std::move(cs));
      out["ok"] = report.ok();
      if (report.ok()) out["report"] = from_report(*report);
      else out["error"] = report.error().describe();
    } else {
      out["ok"] = false;
      out["error"] = "unknown op " + name;
      *exit_code = 2;
    }
    emit(out);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: route53_pipe <base_url> <ops.json>\n";
    return 2;
  }
  const auto env = ecssd::common::Environment::snapshot();
  ecssd::log::configure(ecssd::log::Format::kText, env.get_or("ECSSD_LOG_LEVEL", "info"));
  std::ifstream in(argv[2]);
  std::stringstream text;
  text << in.rdbuf();
  json::object spec = json::parse(text.str()).as_object();
  int exit_code = 0;
  boost::asio::io_context io;
  boost::asio::co_spawn(io, run_ops(argv[1], std::move(spec), &exit_code), [&](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::cerr << "route53_pipe: " << ex.what() << "\n";
      exit_code = 1;
    }
  });
  io.run();
  return exit_code;
}
