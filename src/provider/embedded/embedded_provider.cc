#include "provider/embedded/embedded_provider.h"

#include <chrono>

#include <fmt/format.h>

#include "common/log.h"
#include "model/names.h"

namespace ecssd::provider {

using common::ErrorCode;
using common::make_error;

namespace {

// The responder takes its time system and metrics explicitly (issue 8, dns
// room): the provider's own, unless the options name them.
dns::ResponderOptions with_time(dns::ResponderOptions o, common::TimeSystem& time, const common::Scope& metrics) {
  if (o.time == nullptr) o.time = &time;
  if (!o.metrics) o.metrics = metrics;
  return o;
}

}  // namespace

EmbeddedProvider::EmbeddedProvider(boost::asio::io_context& io, EmbeddedOptions options, common::TimeSystem& time,
                                   common::Scope metrics)
    : options_(std::move(options)),
      zone_(model::normalize_name(options_.zone.zone)),
      time_(time),
      metrics_(std::move(metrics)),
      store_(zone_),
      responder_(std::make_shared<dns::Responder>(io, with_time(options_.responder, time, metrics_))) {}

EmbeddedProvider::EmbeddedProvider(EmbeddedProvider& primary, dns::ZoneOptions zone, common::Scope metrics)
    : options_{.zone = std::move(zone), .responder = primary.options_.responder},
      zone_(model::normalize_name(options_.zone.zone)),
      time_(primary.time_),
      metrics_(std::move(metrics)),
      store_(zone_),
      responder_(primary.responder_),
      owns_responder_(false) {}

EmbeddedProvider::~EmbeddedProvider() { stop(); }

common::Status EmbeddedProvider::start() {
  if (started_) return {};
  if (auto s = dns::validate(options_.zone); !s.ok()) return s;
  if (auto s = publish(); !s.ok()) return s;
  if (owns_responder_) {
    if (auto s = responder_->start(); !s.ok()) return s;
  }
  started_ = true;
  log::info("embedded provider serving", {{"zone", zone_}, {"listen", responder_->endpoint()}});
  return {};
}

void EmbeddedProvider::stop() {
  if (responder_ && owns_responder_) responder_->stop();
}

uint32_t EmbeddedProvider::next_serial() {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(time_.system_now().time_since_epoch()).count();
  serial_ = std::max<uint32_t>(serial_ + 1, static_cast<uint32_t>(now));
  return serial_;
}

common::Status EmbeddedProvider::publish() {
  auto snapshot = dns::build_zone(options_.zone, store_.records(), next_serial());
  if (!snapshot.ok()) return snapshot.error();
  snapshot_ = std::move(snapshot).value();
  responder_->publish(snapshot_);
  return {};
}

common::Task<common::Result<std::vector<model::Record>>> EmbeddedProvider::list() {
  std::vector<model::Record> out = snapshot_ ? snapshot_->apex_records() : std::vector<model::Record>{};
  auto stored = store_.records();
  out.insert(out.end(), std::make_move_iterator(stored.begin()), std::make_move_iterator(stored.end()));
  co_return out;
}

model::Record EmbeddedProvider::canonicalize(model::Record r) const {
  auto c = dns::canonical_record(r);
  if (!c.ok()) {
    r.name = model::normalize_name(r.name);
    return r;
  }
  return std::move(c).value();
}

void EmbeddedProvider::index(const model::Record& r, int delta) {
  auto& [cnames, others] = kinds_[r.name];
  (r.type == model::RecordType::kCNAME ? cnames : others) += delta;
  if (cnames == 0 && others == 0) kinds_.erase(r.name);
}

// The zone rules InMemoryProvider does not know: what the snapshot can serve.
common::Status EmbeddedProvider::check(const model::ChangeSet& one) const {
  for (const auto* r : {one.create.empty() ? nullptr : &one.create.front(),
                        one.update.empty() ? nullptr : &one.update.front().new_record}) {
    if (r == nullptr) continue;
    if (auto s = dns::check_record(*r, zone_); !s.ok()) return s;
    int cnames = 0, others = 0;
    if (auto it = kinds_.find(r->name); it != kinds_.end()) std::tie(cnames, others) = it->second;
    if (!one.update.empty()) {
      const auto& old = one.update.front().old_record;  // replaced, so it does not count
      if (old.name == r->name) (old.type == model::RecordType::kCNAME ? cnames : others) -= 1;
    }
    bool is_cname = r->type == model::RecordType::kCNAME;
    if ((is_cname && others > 0) || (!is_cname && cnames > 0)) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("record {}: a CNAME cannot share its name with other data", model::describe(*r)));
    }
  }
  return {};
}

common::Task<common::Result<ApplyReport>> EmbeddedProvider::apply(model::ChangeSet changes) {
  if (!started_) co_return make_error(ErrorCode::kUnavailable, "the embedded DNS responder is not running");
  ApplyReport report;
  report.requests = 1;
  auto one = [&](model::ChangeSet cs) {
    for (auto& r : cs.create) r = canonicalize(std::move(r));
    for (auto& r : cs.remove) r = canonicalize(std::move(r));
    for (auto& u : cs.update) {
      u.old_record = canonicalize(std::move(u.old_record));
      u.new_record = canonicalize(std::move(u.new_record));
    }
    if (auto s = check(cs); !s.ok()) {
      report.failed.push_back({std::move(cs), s.error()});
      return;
    }
    ApplyReport part = store_.apply_now(cs);
    for (auto& f : part.failed) report.failed.push_back(std::move(f));
    for (auto& r : part.applied.remove) {
      index(r, -1);
      report.applied.remove.push_back(std::move(r));
    }
    for (auto& u : part.applied.update) {
      index(u.old_record, -1);
      index(u.new_record, +1);
      report.applied.update.push_back(std::move(u));
    }
    for (auto& r : part.applied.create) {
      index(r, +1);
      report.applied.create.push_back(std::move(r));
    }
  };
  // The order InMemoryProvider uses: deletions first, so a delete and a create
  // of the same name in one set work.
  for (auto& r : changes.remove) one(model::ChangeSet{.remove = {std::move(r)}});
  for (auto& u : changes.update) one(model::ChangeSet{.update = {std::move(u)}});
  for (auto& r : changes.create) one(model::ChangeSet{.create = {std::move(r)}});

  if (!report.applied.empty()) {
    if (auto s = publish(); !s.ok()) {
      // check() keeps the store servable; reaching this is a bug. The old
      // snapshot stays in service and the next change tries again.
      log::error("embedded provider: cannot build the zone", {{"zone", zone_}, {"error", s.error().message}});
    } else {
      log::debug("embedded provider: zone published", {{"zone", zone_},
                                                        {"serial", snapshot_->serial()},
                                                        {"names", snapshot_->name_count()},
                                                        {"rrs", snapshot_->rr_count()}});
    }
  }
  co_return report;
}

}  // namespace ecssd::provider
