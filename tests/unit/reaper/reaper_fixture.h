#pragma once
// What the tests of the reaper's pass share: records as an agent publishes
// them, a zone in memory, a scripted probe, and a pass run on simulated time.
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/metrics.h"
#include "common/time_system.h"
#include "fakes/health/fake_probe.h"
#include "fakes/reaper/run_simulated.h"
#include "provider/inmemory/inmemory_provider.h"
#include "reaper/reaper.h"
#include "registry/registry.h"

namespace ecssd::reaper::testing {

using namespace std::chrono_literals;

inline constexpr int64_t kNow = 1'700'000'000;  // SimulatedTimeSystem's wall clock at start
inline constexpr std::string_view kZone = "sd.internal";

// A service record as an agent publishes it (cname mode) with its labels.
inline model::Record service(const std::string& owner, const std::string& name, const std::string& addr, int index,
                             model::Labels extra = {}) {
  model::Record r;
  r.name = fmt::format("{}.{}", name, kZone);
  r.type = model::RecordType::kCNAME;
  r.ttl = 10;
  r.values = {owner + ".hosts.example"};
  std::string container = fmt::format("{:012x}", index) + std::string(52, 'a');
  r.set_identifier = fmt::format("ecssd:{}:{}:80-tcp", owner, container.substr(0, 12));
  r.weight = 1;
  r.labels = {{"owner", owner},
              {"kind", "service"},
              {"container", container},
              {"container-name", name + "-" + std::to_string(index)},
              {"service", name},
              {"port", "80/tcp"},
              {"addr", addr},
              {"check", "tcp"},
              {"started", std::to_string(kNow - 3600)}};
  for (auto& [k, v] : extra) r.labels.insert_or_assign(k, v);
  return r;
}

inline model::Record host(const std::string& owner, const std::string& ip) {
  model::Record r;
  r.name = fmt::format("{}.{}", owner, kZone);
  r.type = model::RecordType::kA;
  r.ttl = 10;
  r.values = {ip};
  r.set_identifier = fmt::format("ecssd:{}:host", owner);
  r.weight = 1;
  r.labels = {{"owner", owner}, {"kind", "host"}};
  return r;
}

inline model::Record foreign(const std::string& name, model::RecordType type, const std::string& value) {
  model::Record r;
  r.name = fmt::format("{}.{}", name, kZone);
  r.type = type;
  r.ttl = 300;
  r.values = {value};
  return r;
}

// A provider that refuses to delete records of one name (Route 53 answering
// InvalidChangeBatch for that change) and passes everything else on.
class RefusingDeletes final : public provider::Provider {
 public:
  RefusingDeletes(provider::InMemoryProvider& inner, std::string name) : inner_(inner), name_(std::move(name)) {}
  const std::string& zone() const override { return inner_.zone(); }
  provider::Capabilities capabilities() const override { return inner_.capabilities(); }
  common::Task<common::Result<std::vector<model::Record>>> list() override { co_return co_await inner_.list(); }
  common::Task<common::Result<provider::ApplyReport>> apply(model::ChangeSet changes) override {
    ++calls;
    std::vector<provider::FailedChange> refused;
    std::erase_if(changes.remove, [&](const model::Record& r) {
      if (r.name != name_) return false;
      refused.push_back({model::ChangeSet{.remove = {r}},
                         common::make_error(common::ErrorCode::kConflict, "InvalidChangeBatch: " + r.name)});
      return true;
    });
    auto report = co_await inner_.apply(std::move(changes));
    if (report.ok()) {
      for (auto& f : refused) report->failed.push_back(std::move(f));
    }
    co_return report;
  }
  int calls = 0;

 private:
  provider::InMemoryProvider& inner_;
  std::string name_;
};

class ReaperTest : public ::testing::Test {
 protected:
  ReaperTest() : mem_(std::string(kZone)), reg_(mem_, ""), probe_(time_) {
    options_.health = {.fall = 3, .rise = 1, .interval = 2s};
    options_.check_timeout = 2s;
    options_.grace = 60s;
  }

  void seed_owned(const std::vector<model::Record>& records) {
    mem_.seed(registry::expand(model::ChangeSet{.create = records}).create);
  }

  Report pass(CloudChecker* cloud = nullptr) { return pass_on(reg_, cloud); }
  Report pass_on(registry::Registry& reg, CloudChecker* cloud = nullptr) {
    Reaper reaper(reg, probe_, time_, options_, common::Scope(metrics_), cloud);
    return run_simulated(io_, time_, reaper.run_pass());
  }

  bool exists(const std::string& name, model::RecordType type = model::RecordType::kCNAME) const {
    std::string fqdn = fmt::format("{}.{}", name, kZone);
    for (const auto& r : mem_.records()) {
      if (r.name == fqdn && r.type == type) return true;
    }
    return false;
  }
  bool companion_exists(const std::string& name, model::RecordType type = model::RecordType::kCNAME) const {
    std::string fqdn = fmt::format("{}._ecssd.{}.{}", type == model::RecordType::kA ? "a" : "cname", name, kZone);
    for (const auto& r : mem_.records()) {
      if (r.name == fqdn) return true;
    }
    return false;
  }

  static const RecordReport& find(const Report& report, const std::string& name) {
    std::string fqdn = fmt::format("{}.{}", name, kZone);
    for (const auto& r : report.records) {
      if (r.name == fqdn) return r;
    }
    ADD_FAILURE() << "no report for " << fqdn;
    static RecordReport none;
    return none;
  }

  // Declared before the io_context: the pass's timers must not outlive it.
  common::SimulatedTimeSystem time_;
  boost::asio::io_context io_;
  common::Metrics metrics_;
  provider::InMemoryProvider mem_;
  registry::Registry reg_;
  health::testing::FakeProbe probe_;
  ReaperOptions options_;
};

}  // namespace ecssd::reaper::testing
