#include "provider/rfc2136/rfc2136_provider.h"

// g++ 12 with -O2 reports a false -Wmismatched-new-delete on Asio 1.81's
// awaitable frame allocator (see dns/axfr_client.cc): silenced for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <set>

#include <fmt/format.h>

#include "common/backoff.h"
#include "common/log.h"
#include "dns/zone.h"
#include "model/names.h"

namespace ecssd::provider::rfc2136 {
namespace {

using common::ErrorCode;
using common::make_error;

std::chrono::duration<double> seconds_between(common::SteadyTime a, common::SteadyTime b) { return b - a; }

}  // namespace

struct Rfc2136Provider::Metrics {
  explicit Metrics(const common::Scope& s)
      : scope(s),
        transfers_uptodate(s.counter("ecssd_rfc2136_zone_reads_total", "Zone reads, by what they needed",
                                     {{"kind", "uptodate"}})),
        transfers_incremental(s.counter("ecssd_rfc2136_zone_reads_total", "Zone reads, by what they needed",
                                        {{"kind", "incremental"}})),
        transfers_full(s.counter("ecssd_rfc2136_zone_reads_total", "Zone reads, by what they needed",
                                 {{"kind", "full"}})),
        transfer_bytes(s.counter("ecssd_rfc2136_zone_read_bytes_total",
                                 "Octets received by zone reads (SOA queries and transfers)")),
        readback_mismatches(s.counter("ecssd_rfc2136_readback_mismatches_total",
                                      "Changes a server acknowledged that the zone read back did not show")),
        update_seconds(s.histogram("ecssd_rfc2136_update_seconds", "Round trip of one UPDATE message")) {}

  common::Counter& answers(const std::string& rcode) {
    return scope.counter("ecssd_rfc2136_updates_total", "UPDATE messages sent, by the server's answer",
                         {{"rcode", rcode}});
  }

  common::Scope scope;
  common::Counter& transfers_uptodate;
  common::Counter& transfers_incremental;
  common::Counter& transfers_full;
  common::Counter& transfer_bytes;
  common::Counter& readback_mismatches;
  common::Histogram& update_seconds;
};

// One attempt at a batch: the groups and what became of each.
struct Rfc2136Provider::Round {
  enum class State { kPending, kSent, kPrerequisiteFailed, kApplied, kFailed };
  std::vector<Group> groups;
  std::vector<State> state;
  std::vector<std::optional<common::Error>> error;
  std::set<size_t> alone;  // refused in a shared message: sent on their own
  size_t requests = 0;
  bool any_pending() const {
    return std::find(state.begin(), state.end(), State::kPending) != state.end();
  }
};

Rfc2136Provider::Rfc2136Provider(std::unique_ptr<Transport> transport, ProviderOptions options,
                                 common::TimeSystem& time, const common::Scope& metrics)
    : transport_(std::move(transport)),
      options_(std::move(options)),
      time_(time),
      metrics_(std::make_unique<Metrics>(metrics)),
      copy_(options_.zone) {}

Rfc2136Provider::~Rfc2136Provider() = default;

AnswerContext Rfc2136Provider::context(AnswerContext::Exchange exchange) const {
  const bool update = exchange == AnswerContext::Exchange::kUpdate;
  return AnswerContext{exchange, options_.zone, update ? options_.update_server : options_.transfer_server,
                       update ? options_.update_key : options_.transfer_key,
                       update ? options_.update_key_flag : options_.transfer_key_flag};
}

common::Task<common::Status> Rfc2136Provider::refresh() {
  common::Backoff backoff(options_.retry_base, options_.retry_cap);
  for (int attempt = 1;; ++attempt) {
    auto r = co_await transport_->refresh(copy_);
    std::optional<common::Error> error;
    if (!r.ok()) {
      error = r.error();
    } else if (!r->answer.ok()) {
      error = answer_error(r->answer, context(AnswerContext::Exchange::kTransfer));
    } else {
      metrics_->transfer_bytes.inc(r->wire.bytes_received);
      switch (r->kind) {
        case dns::Refresh::Kind::kUpToDate: metrics_->transfers_uptodate.inc(); break;
        case dns::Refresh::Kind::kIncremental: metrics_->transfers_incremental.inc(); break;
        case dns::Refresh::Kind::kFull: metrics_->transfers_full.inc(); break;
      }
      if (r->ixfr_fallback) {
        log::debug("rfc2136: read the whole zone instead of its changes",
                   {{"zone", options_.zone}, {"why", *r->ixfr_fallback}});
      }
      co_return common::Status{};
    }
    if (!error->transient || attempt >= options_.attempts) co_return *error;
    co_await time_.sleep_for(backoff.next());
  }
}

common::Task<common::Result<dns::UpdateAnswer>> Rfc2136Provider::send(const dns::UpdateRequest& request) {
  common::Backoff backoff(options_.retry_base, options_.retry_cap);
  for (int attempt = 1;; ++attempt) {
    const auto start = time_.steady_now();
    auto a = co_await transport_->update(request);
    metrics_->update_seconds.observe(seconds_between(start, time_.steady_now()).count());
    const bool servfail = a.ok() && a->answer.rcode == dns::kRcodeServFail;
    metrics_->answers(a.ok() ? dns::rcode_name(a->answer.rcode) : std::string("no-answer")).inc();
    const bool transient = (!a.ok() && a.error().transient) || servfail;
    if (!transient || attempt >= options_.attempts) co_return a;
    co_await time_.sleep_for(backoff.next());
  }
}

common::Task<common::Status> Rfc2136Provider::read_back(uint32_t serial_before, bool expect_change) {
  if (auto s = co_await refresh(); !s.ok()) co_return s;
  if (!expect_change || copy_.serial() != serial_before) co_return common::Status{};
  // Acknowledged, and the serial did not move: either nothing changed (a
  // policy dropped it) or the server does not move its serial on updates.
  // Only a whole read tells which.
  dns::ZoneCopy fresh(options_.zone);
  auto r = co_await transport_->refresh(fresh);
  if (r.ok() && r->answer.ok()) {
    metrics_->transfers_full.inc();
    metrics_->transfer_bytes.inc(r->wire.bytes_received);
    copy_ = std::move(fresh);
  }
  co_return common::Status{};
}

common::Task<common::Status> Rfc2136Provider::run_round(Round& round) {
  using State = Round::State;
  std::vector<size_t> which;
  for (size_t i = 0; i < round.groups.size(); ++i) {
    if (round.state[i] == State::kPending) which.push_back(i);
  }
  const uint32_t serial_before = copy_.serial();
  Plan plan = plan_updates(copy_, round.groups, which, transport_->max_update_size(), &round.alone);
  for (size_t i : plan.done) round.state[i] = State::kApplied;
  for (auto& [i, e] : plan.refused) {
    round.state[i] = State::kFailed;
    round.error[i] = std::move(e);
  }
  bool acknowledged = false, changed = false;
  for (const auto& m : plan.messages) {
    auto a = co_await send(m.request);
    ++round.requests;
    if (!a.ok()) co_return a.error();  // the server is gone: the caller re-lists
    if (a->answer.ok()) {
      for (size_t i : m.groups) round.state[i] = State::kSent;
      acknowledged = changed = true;
      continue;
    }
    common::Error e = answer_error(a->answer, context(AnswerContext::Exchange::kUpdate));
    if (prerequisite_failed(a->answer.rcode) && a->answer.tsig.error == 0) {
      for (size_t i : m.groups) {
        round.state[i] = State::kPrerequisiteFailed;
        round.error[i] = e;
      }
      changed = true;  // by someone: read it
      break;           // the rest was planned on this message's effects: re-planned after the read
    }
    if (a->answer.rcode == dns::kRcodeRefused && a->answer.tsig.error == 0 && a->answer.signature.ok()) {
      if (m.groups.size() == 1) {
        round.state[m.groups.front()] = State::kFailed;
        round.error[m.groups.front()] = e;
      } else {
        round.alone.insert(m.groups.begin(), m.groups.end());
      }
      break;
    }
    co_return e;  // a key, clock or zone problem: every message would get it
  }
  if (!changed) co_return common::Status{};
  if (auto s = co_await read_back(serial_before, acknowledged); !s.ok()) co_return s;
  judge(round, serial_before, acknowledged);
  co_return common::Status{};
}

// After the read-back: what each group sent (or refused by a prerequisite) became.
void Rfc2136Provider::judge(Round& round, uint32_t serial_before, bool acknowledged) {
  using State = Round::State;
  bool stuck_serial = acknowledged && copy_.serial() == serial_before;
  for (size_t i = 0; i < round.groups.size(); ++i) {
    if (round.state[i] != State::kSent && round.state[i] != State::kPrerequisiteFailed) continue;
    if (visible(copy_, effect_of(round.groups[i]))) {
      round.state[i] = State::kApplied;
      continue;
    }
    if (round.state[i] == State::kPrerequisiteFailed) {
      // Re-planned on the zone just read: the planner sends it again only
      // if everything it deletes (the companion with it) is still there.
      round.state[i] = State::kPending;
      continue;
    }
    if (round.state[i] == State::kSent) {
      metrics_->readback_mismatches.inc();
      round.error[i] = make_error(
          ErrorCode::kConflict,
          fmt::format("UPDATE of zone {} at {}: the server answered NOERROR, but reading the zone back (serial {} "
                      "-> {}) does not show the change: its policy dropped it silently (PowerDNS: "
                      "lua-dnsupdate-policy-script) or it ignored it (a CNAME beside other data, RFC 2136 section "
                      "3.4.2.2); retried at the next run",
                      options_.zone, options_.update_server, serial_before, copy_.serial()));
      stuck_serial = false;
    }
    round.state[i] = State::kFailed;
  }
  if (stuck_serial && !serial_warned_) {
    serial_warned_ = true;
    log::error("rfc2136: the server applied updates without moving the zone's SOA serial, so ecssd cannot tell "
               "changes from its serial (PowerDNS: set the zone's SOA-EDIT-DNSUPDATE metadata to INCREASE)",
               {{"zone", options_.zone}, {"server", options_.update_server}});
  }
}

common::Task<common::Result<std::vector<model::Record>>> Rfc2136Provider::list() {
  if (auto s = co_await refresh(); !s.ok()) co_return s.error();
  co_return copy_.records();
}

common::Task<common::Result<ApplyReport>> Rfc2136Provider::apply(model::ChangeSet changes) {
  if (changes.empty()) co_return ApplyReport{};
  if (!copy_.loaded()) {
    if (auto s = co_await refresh(); !s.ok()) co_return s.error();
  }
  const std::vector<model::Record> before = copy_.records();
  Round round;
  round.groups = group_changes(changes);
  round.state.assign(round.groups.size(), Round::State::kPending);
  round.error.resize(round.groups.size());
  // A round sends what is pending; a failed prerequisite or a refusal in a
  // shared message leaves groups for the next, planned on the zone re-read.
  for (int r = 0; r < 3 && round.any_pending(); ++r) {
    if (auto s = co_await run_round(round); !s.ok()) co_return s.error();
  }
  for (size_t i = 0; i < round.groups.size(); ++i) {
    if (round.state[i] != Round::State::kPending) continue;
    round.state[i] = Round::State::kFailed;
    if (!round.error[i]) {
      round.error[i] = common::transient_error(ErrorCode::kConflict,
                                               "not sent: the zone kept changing; retried at the next run");
    }
  }
  co_return report_of(before, round);
}

ApplyReport Rfc2136Provider::report_of(const std::vector<model::Record>& before, const Round& round) const {
  ApplyReport report;
  report.requests = round.requests;
  // The RRsets that changed, as list() shows them (both sides sorted by name, type).
  const std::vector<model::Record> after = copy_.records();
  size_t i = 0, j = 0;
  auto key = [](const model::Record& r) { return std::make_pair(std::string_view(r.name), r.type); };
  while (i < before.size() || j < after.size()) {
    if (j == after.size() || (i < before.size() && key(before[i]) < key(after[j]))) {
      report.applied.remove.push_back(before[i++]);
    } else if (i == before.size() || key(after[j]) < key(before[i])) {
      report.applied.create.push_back(after[j++]);
    } else {
      if (before[i] != after[j]) report.applied.update.push_back({before[i], after[j]});
      ++i;
      ++j;
    }
  }
  for (size_t g = 0; g < round.groups.size(); ++g) {
    if (round.state[g] != Round::State::kFailed) continue;
    const auto& c = round.groups[g].changes;
    const common::Error& e = *round.error[g];
    for (const auto& r : c.create) report.failed.push_back({model::ChangeSet{.create = {r}}, e});
    for (const auto& u : c.update) report.failed.push_back({model::ChangeSet{.update = {u}}, e});
    for (const auto& r : c.remove) report.failed.push_back({model::ChangeSet{.remove = {r}}, e});
  }
  return report;
}

model::Record Rfc2136Provider::canonicalize(model::Record r) const {
  r.weight.reset();
  auto c = dns::canonical_record(r);
  if (!c.ok()) {
    r.name = model::normalize_name(r.name);
    return r;
  }
  return std::move(c).value();
}

}  // namespace ecssd::provider::rfc2136
