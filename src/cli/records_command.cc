// `ecssd records`: list the zone as ecssd sees it, with the owner of every
// record (embedded: by AXFR from the running agent's responder).
#include <cstdio>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/flags.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/time_system.h"
#include "model/names.h"
#include "registry/registry.h"

namespace ecssd::cli {
namespace {

namespace asio = boost::asio;

struct RecordsFlags {
  LogFlags log;
  ProviderFlags provider;
  std::string output = "text";
  std::string owner;
  bool owned_only = false;
};

std::string join_values(const model::Record& r) {
  std::string out;
  for (const auto& v : r.values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

void print_text(const std::vector<model::Record>& records) {
  size_t wname = 4, wvalue = 5;
  for (const auto& r : records) {
    wname = std::max(wname, r.name.size());
    wvalue = std::max(wvalue, std::min<size_t>(join_values(r).size(), 60));
  }
  std::printf("%s\n", fmt::format("{:<{}}  {:<5}  {:>6}  {:<{}}  {:<20}  {}", "NAME", wname, "TYPE", "TTL", "VALUE",
                                  wvalue, "OWNER", "CONTAINER")
                          .c_str());
  for (const auto& r : records) {
    std::string owner = r.owner().empty() ? "-" : std::string(r.owner());
    std::string container = r.label_or(model::label::kContainerName, r.label_or(model::label::kKind, "-"));
    std::printf("%s\n", fmt::format("{:<{}}  {:<5}  {:>6}  {:<{}}  {:<20}  {}", r.name, wname,
                                    model::to_string(r.type), r.ttl, join_values(r), wvalue, owner, container)
                            .c_str());
  }
}

void print_json(const std::vector<model::Record>& records) {
  boost::json::array out;
  for (const auto& r : records) {
    boost::json::object o;
    o["name"] = r.name;
    o["type"] = std::string(model::to_string(r.type));
    o["ttl"] = r.ttl;
    boost::json::array values;
    for (const auto& v : r.values) values.emplace_back(v);
    o["values"] = std::move(values);
    if (!r.set_identifier.empty()) o["set_identifier"] = r.set_identifier;
    if (r.weight) o["weight"] = *r.weight;
    o["owner"] = std::string(r.owner());
    boost::json::object labels;
    for (const auto& [k, v] : r.labels) labels[k] = v;
    o["labels"] = std::move(labels);
    out.emplace_back(std::move(o));
  }
  std::printf("%s\n", boost::json::serialize(out).c_str());
}

// What one listing runs with, alive until io.run() returns.
struct RecordsRun {
  explicit RecordsRun(const common::Environment& environment) : env(environment) {}
  const common::Environment& env;
  common::RealTimeSystem time;
  common::Metrics metrics;  // the provider's series; nobody reads them here
  asio::io_context io;
};

common::Task<void> list(RecordsRun& run, const RecordsFlags& f, int* code) {
  auto made =
      co_await start_provider(run.io, f.provider, provider::Role::kClient,
                              ProviderWiring{.env = run.env, .time = run.time, .metrics = common::Scope(run.metrics)});
  if (!made.ok()) {
    log::error("cannot reach the zone", {{"provider", f.provider.provider}, {"error", made.error().describe()}});
    *code = kExitFailure;
    co_return;
  }
  registry::Registry reg(**made, "");
  auto records = co_await reg.records();
  if (!records.ok()) {
    log::error("cannot list the zone", {{"zone", (*made)->zone()}, {"error", records.error().describe()}});
    *code = kExitFailure;
    co_return;
  }
  std::vector<model::Record> shown;
  for (auto& r : *records) {
    if (f.owned_only && r.owner().empty()) continue;
    if (!f.owner.empty() && r.owner() != f.owner) continue;
    shown.push_back(std::move(r));
  }
  std::sort(shown.begin(), shown.end(), [](const model::Record& a, const model::Record& b) {
    return std::tie(a.name, a.type, a.set_identifier) < std::tie(b.name, b.type, b.set_identifier);
  });
  if (f.output == "json") print_json(shown);
  else print_text(shown);
  *code = kExitOk;
}

int run_records(const RecordsFlags& f, const Context& context) {
  if (auto s = apply_log_flags(f.log); !s.ok()) {
    std::fprintf(stderr, "ecssd: %s\n", s.error().message.c_str());
    return kExitUsage;
  }
  if (auto zones = f.provider.served_zones(); !zones.ok()) {
    log::error("invalid configuration", {{"error", zones.error().message}});
    return kExitUsage;
  }
  RecordsRun run(context.env);
  int code = kExitFailure;
  asio::co_spawn(run.io, list(run, f, &code), asio::detached);
  run.io.run();
  return code;
}

}  // namespace

void register_records(CLI::App& app, const Context& context, std::function<int()>* run) {
  auto flags = std::make_shared<RecordsFlags>();
  auto* cmd = app.add_subcommand(
      "records",
      "List the zone's records with the owner and container of each (embedded: read by AXFR from the running "
      "agent at --dns-listen). Companion TXT ownership records are folded into the records they describe.");
  add_provider_flags(*cmd, flags->provider, provider::Role::kClient);
  cmd->add_option("--output", flags->output, "text (a table) or json (an array with every ownership label)")
      ->envname("ECSSD_OUTPUT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--owner", flags->owner, "Only records owned by this owner id")->envname("ECSSD_OWNER");
  cmd->add_flag("--owned", flags->owned_only, "Only records ecssd owns (hide foreign ones)");
  add_log_flags(*cmd, flags->log);
  cmd->callback([flags, run, &context] { *run = [flags, &context] { return run_records(*flags, context); }; });
}

}  // namespace ecssd::cli
