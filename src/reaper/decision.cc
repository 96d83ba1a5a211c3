#include "reaper/decision.h"

#include <map>

#include <fmt/format.h>

#include "common/duration.h"
#include "common/log.h"

namespace ecssd::reaper {
namespace {

std::string_view result_of(Health h) {
  switch (h) {
    case Health::kUp: return "healthy";
    case Health::kDown: return "dead";
    case Health::kUnknown: return "unsettled";
  }
  return "unsettled";
}

// Why a service record ECS and EC2 left alone is dead or kept.
void judge_by_check(Entry& e, const CheckResults& checks, std::chrono::milliseconds grace) {
  Outcome& rep = e.rep;
  if (!e.spec) {
    rep.reason = "cannot check: " + e.spec_error;
    rep.detail = rep.reason;
  } else if (e.spec->kind == CheckKind::kNone) {
    rep.reason = "not checkable (check=none): kept unless ECS or EC2 says it is gone";
  } else if (e.young) {
    rep.reason = fmt::format("started {} ago, within --grace {}", e.age, common::format_duration(grace));
  } else {
    switch (checks.targets[static_cast<size_t>(e.target)].health) {
      case Health::kDown:
        rep.dead = true;
        rep.reason = fmt::format("{} consecutive failed checks, last: {}", checks.policy.fall, rep.detail);
        if (std::string agent = agent_verdict(e.record.labels); !agent.empty()) {
          rep.reason += fmt::format(" (its agent last said {})", agent);
        }
        e.http_down = e.spec->kind == CheckKind::kHttp;
        break;
      case Health::kUp: rep.reason = "healthy"; break;
      case Health::kUnknown:
        rep.reason = fmt::format("no verdict after {} checks (flapping): kept", rep.checks);
        break;
    }
  }
}

void judge_service(Entry& e, const CheckResults& checks, std::chrono::milliseconds grace) {
  Outcome& rep = e.rep;
  if (e.target >= 0) {
    const TargetResult& t = checks.targets[static_cast<size_t>(e.target)];
    rep.checks = t.checks;
    rep.detail = t.detail;
    rep.result = result_of(t.health);
  }
  if (e.cloud.ecs == Verdict::kDead) {
    rep.dead = true;
    rep.reason = "ECS task " + e.cloud.ecs_detail;
    if (rep.detail.empty()) rep.detail = "not probed: ECS says the task is gone";
  } else if (e.cloud.ec2 == Verdict::kDead) {
    rep.dead = true;
    rep.reason =
        fmt::format("EC2 instance {} is {}", e.record.label_or(model::label::kInstance), e.cloud.ec2_detail);
    if (rep.detail.empty()) rep.detail = "not probed: EC2 says the instance is gone";
  } else {
    judge_by_check(e, checks, grace);
  }
}

void valve_check(size_t dead, size_t owned, const ReaperOptions& options, Report& report) {
  report.valve.fraction = static_cast<double>(dead) / static_cast<double>(owned);
  bool too_many = dead > 0 && report.valve.fraction > options.max_delete_fraction;
  if (too_many && options.force) {
    report.valve.forced = true;
    log::warn("safety valve overridden by --force",
              {{"dead", dead}, {"owned", owned}, {"limit", fmt::format("{}", options.max_delete_fraction)}});
  } else if (too_many) {
    report.valve.tripped = true;
    report.ok = false;
    std::string why = fmt::format(
        "safety valve: {} of {} owned records ({:.0f}%) are dead, more than --max-delete-fraction {}; nothing "
        "deleted (a reaper cut off from its targets must not wipe the zone; check the network, or pass --force)",
        dead, owned, report.valve.fraction * 100, options.max_delete_fraction);
    report.errors.push_back(why);
    log::error("safety valve tripped: deleting nothing",
               {{"dead", dead}, {"owned", owned}, {"limit", fmt::format("{}", options.max_delete_fraction)}});
  }
}

// No checked target answered, yet some failed: a reaper cut off from its
// targets (a partition, a firewall) sees every one of them as dead, while
// the records it does not check (within --grace, check=none) keep the dead
// fraction low. Probes alone cannot tell that from death: nothing goes.
void reachability_check(const Entries& entries, const ReaperOptions& options, Report& report) {
  size_t failed = 0, answered = 0;
  for (const auto& e : entries) {
    if (e->kind != EntryKind::kService || e->target < 0) continue;
    if (e->rep.result == "healthy") ++answered;
    if (e->rep.result == "dead" && e->rep.dead) ++failed;
  }
  if (failed == 0 || answered > 0 || report.valve.tripped || report.valve.forced) return;
  if (options.force) {
    report.valve.forced = true;
    log::warn("safety valve overridden by --force: no checked target answered", {{"failed", failed}});
    return;
  }
  report.valve.tripped = true;
  report.ok = false;
  report.errors.push_back(fmt::format(
      "safety valve: all {} checked records failed their checks and none answered; nothing deleted (a reaper cut "
      "off from its targets cannot tell them from dead ones; check the network, or pass --force)",
      failed));
  log::error("safety valve tripped: no checked target answered, deleting nothing", {{"failed", failed}});
}

}  // namespace

void judge_services(Entries& entries, const CheckResults& checks, std::chrono::milliseconds grace) {
  for (auto& e : entries) {
    if (e->kind == EntryKind::kService) judge_service(*e, checks, grace);
  }
}

void judge_dependents(Entries& entries) {
  struct OwnerState {
    size_t kept = 0, dead = 0;
  };
  std::map<std::string, OwnerState> owners;
  for (const auto& e : entries) {
    if (e->kind != EntryKind::kService) continue;
    auto& o = owners[e->rep.owner];
    ++(e->rep.dead ? o.dead : o.kept);
  }
  for (auto& e : entries) {
    if (e->kind != EntryKind::kOrphan) continue;
    auto& o = owners[e->rep.owner];
    if (o.kept == 0 && o.dead > 0) {
      e->rep.dead = true;
      e->rep.reason = fmt::format("ownership data (companion TXT) missing, and every other record of owner {} is dead",
                                  e->rep.owner);
    } else {
      ++o.kept;
      e->rep.reason = "ownership data (companion TXT) missing: kept, its agent repairs it";
    }
  }
  for (auto& e : entries) {
    if (e->kind != EntryKind::kHost) continue;
    auto& o = owners[e->rep.owner];
    if (o.kept == 0) {
      e->rep.dead = true;
      e->rep.reason = o.dead > 0 ? fmt::format("host record: the last service record of owner {} is reaped", e->rep.owner)
                                 : fmt::format("host record: owner {} publishes no service records", e->rep.owner);
    } else {
      e->rep.reason = fmt::format("host record: owner {} still has {} record(s)", e->rep.owner, o.kept);
    }
  }
}

std::vector<Entry*> decide(Entries& entries, const ReaperOptions& options, Report& report) {
  std::vector<Entry*> doomed;
  for (auto& e : entries) {
    if (e->rep.dead) doomed.push_back(e.get());
  }
  report.dead = doomed.size();
  if (entries.empty()) return doomed;
  valve_check(doomed.size(), entries.size(), options, report);
  reachability_check(entries, options, report);
  for (Entry* e : doomed) {
    if (report.valve.tripped) {
      e->rep.decision = Decision::kHeld;
    } else if (options.dry_run) {
      e->rep.decision = Decision::kWouldDelete;
      log::info("would delete (dry run)", {{"record", model::describe(e->record)}, {"reason", e->rep.reason}});
    } else if (report.read_only) {
      e->rep.decision = Decision::kReadOnly;
    }
  }
  if (report.read_only && !doomed.empty() && !report.valve.tripped && !options.dry_run) {
    log::warn("the provider is read-only here: dead records are reported, not deleted (the agent serving the "
              "embedded zone withdraws its own records; a dead host's records vanish with its responder)",
              {{"zone", report.zone}, {"dead", doomed.size()}});
  }
  return doomed;
}

}  // namespace ecssd::reaper
