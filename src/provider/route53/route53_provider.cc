#include "provider/route53/route53_provider.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "common/log.h"
#include "model/names.h"
#include "provider/route53/isolate.h"

// g++ 12 reports asio's coroutine frame allocation as mismatched new/delete
// (GCC PR 109224, a false positive): silence it for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace ecssd::provider {
namespace {

using common::ErrorCode;
using common::make_error;
namespace r53 = route53;

constexpr uint32_t kMaxPageSize = 300;
// A zone of a million record sets is 3334 pages; more means a server that
// never ends its listing.
constexpr size_t kMaxPages = 10'000;

// The applied items' changes, in item order, as the report's applied set.
void collect_applied(r53::Batch& batch) {
  auto& a = batch.report.applied;
  for (auto& it : batch.items) {
    if (it.state != r53::Batch::State::kApplied) continue;
    for (auto& r : it.change.create) a.create.push_back(std::move(r));
    for (auto& u : it.change.update) a.update.push_back(std::move(u));
    for (auto& r : it.change.remove) a.remove.push_back(std::move(r));
  }
}

}  // namespace

Route53Provider::Route53Provider(aws::Transport& transport, aws::ServiceEndpoint endpoint, Route53Options options,
                                 common::TimeSystem& time, common::Scope scope)
    : options_(std::move(options)),
      client_(transport, std::move(endpoint), options_.retry, options_.request_timeout, time, std::move(scope)),
      zone_(model::normalize_name(options_.zone)) {
  retarget();
}

void Route53Provider::retarget() {
  const std::string& id = zone_id_.empty() ? requested_id_ : zone_id_;
  std::string where = id.empty()      ? fmt::format("zone {}", zone_)
                      : zone_.empty() ? fmt::format("hosted zone {}", id)
                                      : fmt::format("hosted zone {} ({})", id, zone_);
  client_.set_target(zone_, std::move(where));
}

common::Task<common::Status> Route53Provider::init() {
  requested_id_ = r53::bare_zone_id(options_.zone_id);
  retarget();
  // Arguments of co_await calls are named: GCC 12 mishandles temporaries there.
  r53::ZoneQuery query{.zone = options_.zone, .zone_id = options_.zone_id, .type = options_.zone_type};
  auto found = co_await r53::find_zone(client_, std::move(query));
  if (!found.ok()) co_return found.error();
  zone_id_ = std::move(found->id);
  zone_ = std::move(found->name);
  retarget();
  log::info("route53: using hosted zone", {{"zone", zone_}, {"zone_id", zone_id_}, {"private", found->private_zone}});
  co_return common::Status{};
}

common::Task<common::Result<std::vector<model::Record>>> Route53Provider::list() {
  if (zone_id_.empty()) co_return make_error(ErrorCode::kInternal, "Route 53 provider used before init()");
  const uint32_t page_size = std::clamp<uint32_t>(options_.page_size, 1, kMaxPageSize);
  const std::string base = fmt::format("/hostedzone/{}/rrset?maxitems={}", zone_id_, page_size);
  std::map<r53::Key, r53::RecordSet> known;
  std::vector<model::Record> out;
  size_t skipped = 0, pages = 0;
  std::string path = base;
  std::tuple<std::string, std::string, std::string> at;  // where this page starts
  while (true) {
    r53::Call call{"ListResourceRecordSets", "GET", path, {}};
    auto resp = co_await client_.read(std::move(call));
    if (!resp.ok()) co_return resp.error();
    auto page = r53::parse_record_sets(resp->body);
    if (!page.ok()) co_return page.error();
    ++pages;
    for (auto& rs : page->record_sets) {
      auto key = r53::key_of(rs);
      if (!key) {
        ++skipped;  // a type the model does not know (MX, CAA...): never ecssd's
        continue;
      }
      // A server that cannot resume inside a weighted group (moto) repeats
      // record sets; the first copy wins.
      if (known.contains(*key)) continue;
      out.push_back(*r53::to_record(rs));
      known.emplace(std::move(*key), std::move(rs));
    }
    if (!page->truncated) break;
    std::tuple<std::string, std::string, std::string> next{page->next_name, page->next_type, page->next_identifier};
    if (next == at || pages >= kMaxPages) {
      co_return make_error(ErrorCode::kProtocol,
                           fmt::format("ListResourceRecordSets of {} does not advance (page {} starts again at {} {})",
                                       client_.where(), pages + 1, page->next_name, page->next_type));
    }
    at = std::move(next);
    path = base + "&name=" + r53::query_encode(page->next_name) + "&type=" + r53::query_encode(page->next_type);
    if (!page->next_identifier.empty()) path += "&identifier=" + r53::query_encode(page->next_identifier);
  }
  known_.replace(std::move(known));
  log::debug("route53: listed zone",
             {{"zone", zone_}, {"records", out.size()}, {"pages", pages}, {"skipped_other_types", skipped}});
  co_return out;
}

common::Task<common::Result<ApplyReport>> Route53Provider::apply(model::ChangeSet changes) {
  if (zone_id_.empty()) co_return make_error(ErrorCode::kInternal, "Route 53 provider used before init()");
  // One batch at a time, so that requests for the zone go one after another.
  if (applying_) co_return make_error(ErrorCode::kInternal, "Route 53 apply() called while another is running");
  applying_ = true;
  struct Done {
    bool* flag;
    ~Done() { *flag = false; }
  } done{&applying_};

  r53::Batch batch = r53::make_batch(std::move(changes), known_, zone_, options_.limits);
  for (auto& request : r53::requests_of(batch, options_.limits)) {
    auto sent = co_await send_isolating(std::move(request), &batch);
    if (sent.ok()) continue;
    bool any_applied = std::any_of(batch.items.begin(), batch.items.end(),
                                   [](const r53::Batch::Item& it) { return it.state == r53::Batch::State::kApplied; });
    if (batch.unknown || !any_applied) co_return sent.error();
    for (size_t i = 0; i < batch.items.size(); ++i) {
      if (batch.items[i].state == r53::Batch::State::kPending) batch.fail(i, sent.error());
    }
    break;
  }

  collect_applied(batch);
  for (const auto& f : batch.report.failed) {
    log::debug("route53: change not applied", {{"zone", zone_}, {"error", f.error.describe()}});
  }
  log::debug("route53: applied changes", {{"zone", zone_},
                                          {"applied", batch.report.applied.size()},
                                          {"failed", batch.report.failed.size()},
                                          {"requests", batch.report.requests}});
  co_return std::move(batch.report);
}

common::Task<common::Status> Route53Provider::send_isolating(std::vector<r53::Part> parts, r53::Batch* batch) {
  if (parts.empty()) co_return common::Status{};
  std::vector<r53::Change> changes = r53::wire_of(parts, *batch);
  const r53::Cost cost = r53::cost_of(changes);
  log::debug("route53: sending changes",
             {{"zone", zone_}, {"changes", changes.size()}, {"records", cost.records}, {"chars", cost.chars}});
  r53::Call call{"ChangeResourceRecordSets", "POST", fmt::format("/hostedzone/{}/rrset", zone_id_),
                 r53::build_change_batch(changes, options_.comment)};
  r53::Outcome out = co_await client_.send(std::move(call), &batch->report.requests);
  switch (out.kind) {
    case r53::Outcome::Kind::kOk:
      for (const auto& part : parts) {
        for (size_t i : part) {
          batch->items[i].state = r53::Batch::State::kApplied;
          known_.remember(batch->items[i].wire);
        }
      }
      co_return common::Status{};
    case r53::Outcome::Kind::kUnknown: batch->unknown = true; co_return out.error;
    case r53::Outcome::Kind::kFailed: co_return out.error;
    case r53::Outcome::Kind::kRefused: break;
  }

  r53::Isolation next = r53::isolate(std::move(parts), *batch, out.error, out.messages);
  if (!next.refused.empty()) {
    for (auto& [i, e] : next.refused) batch->fail(i, std::move(e));
    co_return common::Status{};
  }
  log::debug("route53: Route 53 refused a change batch; isolating the refused changes",
             {{"zone", zone_}, {"error", out.error.message}});
  auto first = co_await send_isolating(std::move(next.first), batch);
  if (!first.ok()) co_return first;
  co_return co_await send_isolating(std::move(next.second), batch);
}

}  // namespace ecssd::provider
