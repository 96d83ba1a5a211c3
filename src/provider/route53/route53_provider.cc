#include "provider/route53/route53_provider.h"

#include <algorithm>
#include <cctype>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <fmt/format.h>

#include "common/backoff.h"
#include "common/log.h"
#include "common/metrics.h"
#include "model/names.h"
#include "plan/plan.h"
#include "registry/registry.h"

// g++ 12 reports asio's coroutine frame allocation as mismatched new/delete
// (GCC PR 109224, a false positive): silence it for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace ecssd::provider {
namespace {

using common::Error;
using common::ErrorCode;
using common::make_error;
namespace r53 = route53;

constexpr std::string_view kApiPrefix = "/2013-04-01";
constexpr uint32_t kMaxPageSize = 300;
// A zone of a million record sets is 3334 pages; more means a server that
// never ends its listing.
constexpr size_t kMaxPages = 10'000;

// SigV4 wants every query octet outside the unreserved set percent-encoded.
std::string encode(std::string_view s) { return boost::urls::encode(s, boost::urls::unreserved_chars); }

bool valid_zone_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isalnum(c); });
}

std::string_view to_string(ZoneType t) {
  switch (t) {
    case ZoneType::kPrivate: return "private";
    case ZoneType::kPublic: return "public";
    case ZoneType::kAny: return "any";
  }
  return "?";
}

bool contains(std::initializer_list<std::string_view> set, std::string_view code) {
  return std::find(set.begin(), set.end(), code) != set.end();
}

// A record or record set named in a Route 53 error message, e.g.
// "Tried to create resource record set [name='web.example.com.', type='CNAME',
// set-identifier='x'] but it already exists" or "RRSet with DNS name x. is not
// permitted in zone y.".
struct Ref {
  std::string name;
  std::string set_identifier;  // empty: any
};

std::vector<Ref> refs_in(std::string_view msg) {
  std::vector<Ref> out;
  auto quoted_after = [&](std::string_view key, size_t from, size_t to) -> std::optional<std::string> {
    size_t at = msg.find(key, from);
    if (at == std::string_view::npos || at >= to) return std::nullopt;
    size_t start = at + key.size();
    size_t end = msg.find('\'', start);
    if (end == std::string_view::npos) return std::nullopt;
    return std::string(msg.substr(start, end - start));
  };
  for (size_t at = msg.find("[name='"); at != std::string_view::npos; at = msg.find("[name='", at + 1)) {
    size_t close = msg.find(']', at);
    if (close == std::string_view::npos) close = msg.size();
    auto name = quoted_after("name='", at, close);
    if (!name) continue;
    out.push_back({r53::decode_name(*name), quoted_after("set-identifier='", at, close).value_or("")});
  }
  constexpr std::string_view kDnsName = "DNS name ";
  for (size_t at = msg.find(kDnsName); at != std::string_view::npos; at = msg.find(kDnsName, at + 1)) {
    size_t start = at + kDnsName.size();
    size_t end = msg.find_first_of(" ,]", start);
    out.push_back({r53::decode_name(msg.substr(start, end == std::string_view::npos ? end : end - start)), ""});
  }
  return out;
}

bool mentions(const std::vector<r53::Change>& changes, const Ref& ref) {
  return std::any_of(changes.begin(), changes.end(), [&](const r53::Change& c) {
    return r53::decode_name(c.record_set.name) == ref.name &&
           (ref.set_identifier.empty() || ref.set_identifier == c.record_set.set_identifier);
  });
}

common::Counter& retries(ErrorCode reason) {
  return common::Metrics::global().counter("ecssd_route53_retries_total",
                                           "Route 53 requests retried (throttling, 5xx, timeouts)",
                                           {{"reason", common::to_string(reason)}});
}

// The name a change is grouped under: a companion "<type>._ecssd.<name>"
// travels with the record at <name>.
std::string group_of(const std::string& name) {
  auto base = registry::parse_companion_name(name);
  return base ? base->first : name;
}

// What one answer means for the request that got it.
struct Verdict {
  enum Kind { kOk, kRetry, kRefused, kFailed };
  Kind kind = kOk;
  bool ambiguous = false;  // the request may have been applied (timeout, 5xx)
  Error error;
  std::vector<std::string> messages;  // kRefused: one per refused change, if Route 53 says
};

Verdict classify(const common::Result<aws::HttpResponse>& result, std::string_view operation, bool is_change,
                 const std::string& where) {
  auto failed = [](ErrorCode code, std::string message) {
    return Verdict{Verdict::kFailed, false, make_error(code, std::move(message)), {}};
  };
  if (!result.ok()) {
    const Error& e = result.error();
    if (e.transient) return Verdict{Verdict::kRetry, true, e, {}};
    return failed(e.code, fmt::format("Route 53 {} for {}: {}", operation, where, e.message));
  }
  const unsigned status = result->status;
  if (status >= 200 && status < 300) return Verdict{};
  r53::ApiError api = r53::parse_error(result->body);
  const std::string detail = api.code.empty() ? fmt::format("HTTP {}: {}", status, api.message)
                                              : fmt::format("{}: {}", api.code, api.message);
  if (status == 429 || contains({"Throttling", "ThrottlingException", "RequestLimitExceeded",
                                 "TooManyRequestsException", "PriorRequestNotComplete"},
                                api.code)) {
    return Verdict{Verdict::kRetry, false,
                   common::transient_error(ErrorCode::kThrottled,
                                           fmt::format("Route 53 {} for {}: {}", operation, where, detail)),
                   {}};
  }
  if (status >= 500) {
    return Verdict{Verdict::kRetry, true,
                   common::transient_error(ErrorCode::kUnavailable,
                                           fmt::format("Route 53 {} for {}: {}", operation, where, detail)),
                   {}};
  }
  if (is_change && (api.code == "InvalidChangeBatch" || api.code == "InvalidInput")) {
    return Verdict{Verdict::kRefused, false,
                   make_error(api.code == "InvalidInput" ? ErrorCode::kInvalidArgument : ErrorCode::kConflict,
                              "Route 53 refused the change: " + api.message),
                   std::move(api.messages)};
  }
  if (api.code.starts_with("AccessDenied")) {
    return failed(ErrorCode::kPermissionDenied,
                  fmt::format("Route 53 denied route53:{} on {}; allow it for the agent's credentials ({})", operation,
                              where, detail));
  }
  if (status == 403 || contains({"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken",
                                 "IncompleteSignature", "MissingAuthenticationToken", "UnrecognizedClientException",
                                 "InvalidSignatureException"},
                                api.code)) {
    return failed(ErrorCode::kPermissionDenied,
                  fmt::format("Route 53 rejected the credentials for route53:{} on {} ({})", operation, where, detail));
  }
  if (status == 404 || api.code == "NoSuchHostedZone") {
    return failed(ErrorCode::kNotFound, fmt::format("{} does not exist ({})", where, detail));
  }
  return failed(ErrorCode::kProtocol, fmt::format("Route 53 {} for {} failed: {}", operation, where, detail));
}

}  // namespace

std::optional<ZoneType> parse_zone_type(std::string_view text) {
  if (text == "private") return ZoneType::kPrivate;
  if (text == "public") return ZoneType::kPublic;
  if (text == "any") return ZoneType::kAny;
  return std::nullopt;
}

struct Route53Provider::Call {
  std::string operation;  // the API action, which is also the IAM permission
  std::string method;
  std::string path;  // below the API version, with the query
  std::string body;
};

struct Route53Provider::Outcome {
  enum class Kind {
    kOk,
    kRefused,  // Route 53 refused changes of a ChangeResourceRecordSets request
    kFailed,   // the request failed as a whole; nothing of it was applied
    kUnknown,  // a request that may have been applied failed later on
  };
  Kind kind = Kind::kOk;
  aws::HttpResponse response;
  Error error;
  std::vector<std::string> messages;
};

struct Route53Provider::Batch {
  enum class State { kPending, kApplied, kFailed };
  struct Item {
    model::ChangeSet change;  // exactly one create, update or remove
    std::vector<r53::Change> wire;
    std::string group;
    std::string unit;  // group and set identifier: what must stay together
    State state = State::kPending;
  };
  std::vector<Item> items;
  ApplyReport report;
  bool unknown = false;

  void fail(size_t i, Error e) {
    items[i].state = State::kFailed;
    report.failed.push_back({items[i].change, std::move(e)});
  }
};

Route53Provider::Route53Provider(aws::Transport& transport, aws::ServiceEndpoint endpoint, Route53Options options,
                                 r53::Sleeper* sleeper)
    : transport_(transport),
      endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      own_sleeper_(sleeper ? nullptr : std::make_unique<r53::AsioSleeper>()),
      sleeper_(sleeper ? sleeper : own_sleeper_.get()),
      seeds_(options_.retry.seed),
      zone_(model::normalize_name(options_.zone)) {}

std::string Route53Provider::where() const {
  const std::string& id = zone_id_.empty() ? requested_id_ : zone_id_;
  if (id.empty()) return fmt::format("zone {}", zone_);
  if (zone_.empty()) return fmt::format("hosted zone {}", id);
  return fmt::format("hosted zone {} ({})", id, zone_);
}

Task<Route53Provider::Outcome> Route53Provider::send(Call call, size_t* requests) {
  using Kind = Outcome::Kind;
  const bool is_change = call.operation == "ChangeResourceRecordSets";
  common::Backoff backoff(options_.retry.base, options_.retry.cap, std::chrono::milliseconds(0), seeds_());
  // Set when an attempt may have reached Route 53 and been applied although
  // no answer came (timeout, connection lost, 5xx).
  bool maybe_applied = false;
  Error last;
  const uint32_t attempts = std::max<uint32_t>(options_.retry.max_attempts, 1);
  for (uint32_t attempt = 1; attempt <= attempts; ++attempt) {
    aws::HttpRequest req;
    req.method = call.method;
    req.url = endpoint_.base_url + std::string(kApiPrefix) + call.path;
    req.body = call.body;
    req.timeout = options_.request_timeout;
    if (!call.body.empty()) req.headers.emplace_back("Content-Type", "application/xml");
    ++*requests;
    auto result = co_await transport_.call(endpoint_, std::move(req));

    Verdict v = classify(result, call.operation, is_change, where());
    if (v.kind == Verdict::kOk) {
      Outcome out;
      out.response = std::move(*result);
      co_return out;
    }
    if (v.kind == Verdict::kRetry) {
      maybe_applied = maybe_applied || (v.ambiguous && is_change);
      last = std::move(v.error);
      retries(last.code).inc();
      if (attempt == attempts) break;
      auto delay = backoff.next();
      log::warn("route53: retrying", {{"operation", call.operation},
                                      {"zone", zone_},
                                      {"attempt", attempt},
                                      {"delay_ms", static_cast<int64_t>(delay.count())},
                                      {"error", last.message}});
      co_await sleeper_->sleep(delay);
      continue;
    }
    Outcome out;
    out.kind = v.kind == Verdict::kRefused ? Kind::kRefused : Kind::kFailed;
    out.error = std::move(v.error);
    out.messages = std::move(v.messages);
    if (maybe_applied) {
      // An earlier attempt may have been applied: a refusal now ("already
      // exists", "not found") says nothing about the changes themselves.
      out.kind = Kind::kUnknown;
      out.error = common::transient_error(
          ErrorCode::kConflict, fmt::format("Route 53 {} for {}: outcome unknown after a lost answer, then {}",
                                            call.operation, where(), out.error.message));
    }
    co_return out;
  }
  Outcome out;
  out.kind = maybe_applied ? Kind::kUnknown : Kind::kFailed;
  out.error = std::move(last);
  out.error.message += fmt::format(" (gave up after {} attempts)", attempts);
  co_return out;
}

Task<common::Result<aws::HttpResponse>> Route53Provider::read(Call call) {
  size_t requests = 0;
  Outcome out = co_await send(std::move(call), &requests);
  if (out.kind != Outcome::Kind::kOk) co_return out.error;
  co_return std::move(out.response);
}

Task<common::Status> Route53Provider::init() {
  std::string id = options_.zone_id;
  constexpr std::string_view kPrefix = "/hostedzone/";
  if (id.starts_with(kPrefix)) id.erase(0, kPrefix.size());
  requested_id_ = id;
  if (!id.empty()) co_return co_await find_zone_by_id(std::move(id));
  if (options_.zone.empty()) {
    co_return make_error(ErrorCode::kInvalidArgument, "Route 53: pass --zone (the hosted zone's name) or --zone-id");
  }
  co_return co_await find_zone_by_name();
}

Task<common::Status> Route53Provider::find_zone_by_id(std::string id) {
  if (!valid_zone_id(id)) {
    co_return make_error(ErrorCode::kInvalidArgument,
                         fmt::format("--zone-id \"{}\" is not a hosted zone id (letters and digits, e.g. "
                                     "Z0123456789ABCDEFGHIJ)",
                                     options_.zone_id));
  }
  Call call{"GetHostedZone", "GET", "/hostedzone/" + id, {}};
  auto resp = co_await read(std::move(call));
  if (!resp.ok()) {
    if (resp.error().code == ErrorCode::kNotFound) {
      co_return make_error(ErrorCode::kNotFound, fmt::format("no hosted zone has --zone-id {}", id));
    }
    co_return resp.error();
  }
  auto zone = r53::parse_get_hosted_zone(resp->body);
  if (!zone.ok()) co_return zone.error();
  std::string name = r53::decode_name(zone->name);
  if (!options_.zone.empty() && model::normalize_name(options_.zone) != name) {
    co_return make_error(ErrorCode::kInvalidArgument,
                         fmt::format("--zone-id {} is the zone {}, not --zone {}", id, name, options_.zone));
  }
  if ((options_.zone_type == ZoneType::kPrivate && !zone->private_zone) ||
      (options_.zone_type == ZoneType::kPublic && zone->private_zone)) {
    co_return make_error(ErrorCode::kInvalidArgument,
                         fmt::format("--zone-id {} is a {} zone, not --zone-type {}", id,
                                     zone->private_zone ? "private" : "public", to_string(options_.zone_type)));
  }
  zone_id_ = std::move(id);
  zone_ = std::move(name);
  log::info("route53: using hosted zone", {{"zone", zone_}, {"zone_id", zone_id_}, {"private", zone->private_zone}});
  co_return common::Status{};
}

Task<common::Status> Route53Provider::find_zone_by_name() {
  const std::string name = model::normalize_name(options_.zone);
  if (auto valid = model::validate_zone(name); !valid.ok()) {
    co_return make_error(ErrorCode::kInvalidArgument, fmt::format("--zone \"{}\": {}", options_.zone,
                                                                  valid.error().message));
  }
  std::vector<r53::HostedZone> found;
  std::string path = "/hostedzonesbyname?dnsname=" + encode(name) + "&maxitems=100";
  for (size_t pages = 0; pages < kMaxPages; ++pages) {
    Call call{"ListHostedZonesByName", "GET", path, {}};
    auto resp = co_await read(std::move(call));
    if (!resp.ok()) co_return resp.error();
    auto page = r53::parse_hosted_zones_by_name(resp->body);
    if (!page.ok()) co_return page.error();
    for (auto& z : page->zones) {
      if (r53::decode_name(z.name) == name) found.push_back(std::move(z));
    }
    // Zones come sorted by name from `dnsname` on: stop at the first other name.
    if (!page->truncated || r53::decode_name(page->next_dns_name) != name) break;
    std::string next = "/hostedzonesbyname?dnsname=" + encode(name) + "&hostedzoneid=" +
                       encode(page->next_hosted_zone_id) + "&maxitems=100";
    if (next == path) co_return make_error(ErrorCode::kProtocol, "ListHostedZonesByName pagination does not advance");
    path = std::move(next);
  }

  std::vector<const r53::HostedZone*> priv, pub;
  for (const auto& z : found) (z.private_zone ? priv : pub).push_back(&z);
  const bool want_private =
      options_.zone_type == ZoneType::kPrivate || (options_.zone_type == ZoneType::kAny && !priv.empty());
  const auto& wanted = want_private ? priv : pub;
  const auto& others = want_private ? pub : priv;
  auto ids = [](const std::vector<const r53::HostedZone*>& zs) {
    std::string out;
    for (const auto* z : zs) out += (out.empty() ? "" : ", ") + z->id;
    return out;
  };
  const std::string_view kind = want_private ? "private" : "public";
  if (wanted.empty()) {
    if (options_.zone_type == ZoneType::kAny) {
      co_return make_error(ErrorCode::kNotFound,
                           fmt::format("no hosted zone named {} is visible to these credentials (create it, or "
                                       "fix --zone)", name));
    }
    co_return make_error(
        ErrorCode::kNotFound,
        others.empty()
            ? fmt::format("no {} hosted zone named {} is visible to these credentials (create it, or fix --zone "
                          "or --zone-type)", kind, name)
            : fmt::format("no {} hosted zone named {}; found {} zone {} (pass --zone-type {} or --zone-id)", kind,
                          name, want_private ? "public" : "private", ids(others), want_private ? "public" : "private"));
  }
  if (wanted.size() > 1) {
    co_return make_error(ErrorCode::kInvalidArgument,
                         fmt::format("{} {} hosted zones are named {} ({}): pass --zone-id", wanted.size(), kind, name,
                                     ids(wanted)));
  }
  zone_id_ = wanted.front()->id;
  zone_ = name;
  log::info("route53: using hosted zone", {{"zone", zone_}, {"zone_id", zone_id_}, {"private", want_private}});
  co_return common::Status{};
}

Task<common::Result<std::vector<model::Record>>> Route53Provider::list() {
  if (zone_id_.empty()) co_return make_error(ErrorCode::kInternal, "Route 53 provider used before init()");
  const uint32_t page_size = std::clamp<uint32_t>(options_.page_size, 1, kMaxPageSize);
  const std::string base = fmt::format("/hostedzone/{}/rrset?maxitems={}", zone_id_, page_size);
  std::map<r53::Key, r53::RecordSet> known;
  std::vector<model::Record> out;
  size_t skipped = 0, pages = 0;
  std::string path = base;
  std::tuple<std::string, std::string, std::string> at;  // where this page starts
  while (true) {
    Call call{"ListResourceRecordSets", "GET", path, {}};
    auto resp = co_await read(std::move(call));
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
                                       where(), pages + 1, page->next_name, page->next_type));
    }
    at = std::move(next);
    path = base + "&name=" + encode(page->next_name) + "&type=" + encode(page->next_type);
    if (!page->next_identifier.empty()) path += "&identifier=" + encode(page->next_identifier);
  }
  known_ = std::move(known);
  log::debug("route53: listed zone",
             {{"zone", zone_}, {"records", out.size()}, {"pages", pages}, {"skipped_other_types", skipped}});
  co_return out;
}

common::Result<r53::RecordSet> Route53Provider::existing_record_set(const model::Record& r) const {
  if (auto it = known_.find(r53::key_of(r)); it != known_.end()) {
    auto listed = r53::to_record(it->second);
    model::Record asked = r53::canonical(r);
    asked.labels.clear();  // providers get raw records; be sure anyway
    if (listed && !plan::differs(*listed, asked)) return it->second;
  }
  return r53::to_record_set(r);
}

void Route53Provider::remember(const std::vector<r53::Change>& applied) {
  for (const auto& c : applied) {
    auto key = r53::key_of(c.record_set);
    if (!key) continue;
    if (c.action == r53::Action::kDelete) known_.erase(*key);
    else known_.insert_or_assign(std::move(*key), c.record_set);
  }
}

Task<common::Result<ApplyReport>> Route53Provider::apply(model::ChangeSet changes) {
  if (zone_id_.empty()) co_return make_error(ErrorCode::kInternal, "Route 53 provider used before init()");
  // One batch at a time, so that requests for the zone go one after another.
  if (applying_) co_return make_error(ErrorCode::kInternal, "Route 53 apply() called while another is running");
  applying_ = true;
  struct Done {
    bool* flag;
    ~Done() { *flag = false; }
  } done{&applying_};
  Batch batch;

  // Turns each change into its wire changes, refusing what must not be sent.
  auto unmanaged = [&](const model::Record& r) -> std::optional<Error> {
    auto it = known_.find(r53::key_of(r));
    if (it == known_.end() || it->second.unmanaged.empty()) return std::nullopt;
    return make_error(ErrorCode::kPermissionDenied,
                      fmt::format("{} is a Route 53 {}, which ecssd never changes", model::describe(r),
                                  it->second.unmanaged));
  };
  auto outside = [&](const model::Record& r) -> std::optional<Error> {
    if (model::in_zone(r.name, zone_)) return std::nullopt;
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{} is outside the zone {}", r.name, zone_));
  };
  auto add = [&](model::ChangeSet one, const model::Record& rec, std::initializer_list<const model::Record*> olds,
                 std::initializer_list<const model::Record*> news) {
    std::vector<r53::Change> wire;
    std::optional<Error> err;
    for (const model::Record* o : olds) {
      if (!err) err = unmanaged(*o);
      if (!err) err = outside(*o);
      if (err) break;
      auto rs = existing_record_set(*o);
      if (!rs.ok()) err = rs.error();
      else wire.push_back({r53::Action::kDelete, std::move(*rs)});
    }
    for (const model::Record* n : news) {
      if (!err) err = unmanaged(*n);
      if (!err) err = outside(*n);
      if (err) break;
      auto rs = r53::to_record_set(*n);
      if (!rs.ok()) {
        err = rs.error();
        break;
      }
      // A health check someone attached to the record stays attached.
      if (!wire.empty() && r53::key_of(wire.front().record_set) == r53::key_of(*n)) {
        rs->health_check_id = wire.front().record_set.health_check_id;
      }
      wire.push_back({r53::Action::kCreate, std::move(*rs)});
    }
    if (!err && !r53::cost_of(wire).fits(options_.limits)) {
      err = make_error(ErrorCode::kTooLarge, fmt::format("{} exceeds the size of one Route 53 request",
                                                         model::describe(rec)));
    }
    std::string group = group_of(rec.name);
    std::string unit = group + '\n' + rec.set_identifier;
    batch.items.push_back({std::move(one), std::move(wire), std::move(group), std::move(unit)});
    if (err) batch.fail(batch.items.size() - 1, std::move(*err));
  };
  for (auto& r : changes.remove) add(model::ChangeSet{.remove = {r}}, r, {&r}, {});
  for (auto& u : changes.update) add(model::ChangeSet{.update = {u}}, u.new_record, {&u.old_record}, {&u.new_record});
  for (auto& r : changes.create) add(model::ChangeSet{.create = {r}}, r, {}, {&r});

  // Parts: one per name; a name whose changes exceed one request is split by
  // set identifier (each container's record with its companion), then by change.
  std::map<std::string, std::vector<size_t>> groups;
  for (size_t i = 0; i < batch.items.size(); ++i) {
    if (batch.items[i].state == Batch::State::kPending) groups[batch.items[i].group].push_back(i);
  }
  auto cost = [&](const std::vector<size_t>& part) {
    r53::Cost c;
    for (size_t i : part) c += r53::cost_of(batch.items[i].wire);
    return c;
  };
  std::vector<std::vector<size_t>> parts;
  for (auto& [name, idx] : groups) {
    if (cost(idx).fits(options_.limits)) {
      parts.push_back(std::move(idx));
      continue;
    }
    log::warn("route53: the changes of one name exceed one request; sending them in several",
              {{"name", name}, {"changes", idx.size()}});
    std::map<std::string, std::vector<size_t>> units;
    for (size_t i : idx) units[batch.items[i].unit].push_back(i);
    for (auto& [unit, members] : units) {
      if (cost(members).fits(options_.limits)) {
        parts.push_back(std::move(members));
      } else {
        for (size_t i : members) parts.push_back({i});
      }
    }
  }
  std::vector<r53::Cost> costs;
  for (const auto& p : parts) costs.push_back(cost(p));

  for (const auto& request : r53::pack(costs, options_.limits)) {
    std::vector<std::vector<size_t>> these;
    for (size_t p : request) these.push_back(parts[p]);
    auto sent = co_await send_isolating(std::move(these), &batch);
    if (sent.ok()) continue;
    bool any_applied = std::any_of(batch.items.begin(), batch.items.end(),
                                   [](const Batch::Item& it) { return it.state == Batch::State::kApplied; });
    if (batch.unknown || !any_applied) co_return sent.error();
    for (size_t i = 0; i < batch.items.size(); ++i) {
      if (batch.items[i].state == Batch::State::kPending) batch.fail(i, sent.error());
    }
    break;
  }

  for (auto& it : batch.items) {
    if (it.state != Batch::State::kApplied) continue;
    auto& a = batch.report.applied;
    for (auto& r : it.change.create) a.create.push_back(std::move(r));
    for (auto& u : it.change.update) a.update.push_back(std::move(u));
    for (auto& r : it.change.remove) a.remove.push_back(std::move(r));
  }
  for (const auto& f : batch.report.failed) {
    log::debug("route53: change not applied", {{"zone", zone_}, {"error", f.error.describe()}});
  }
  log::debug("route53: applied changes", {{"zone", zone_},
                                          {"applied", batch.report.applied.size()},
                                          {"failed", batch.report.failed.size()},
                                          {"requests", batch.report.requests}});
  co_return std::move(batch.report);
}

Task<common::Status> Route53Provider::send_isolating(std::vector<std::vector<size_t>> parts, Batch* batch) {
  if (parts.empty()) co_return common::Status{};
  // Deletions first: Route 53 checks a request's changes in order, and an
  // update is a DELETE and a CREATE of the same record set.
  std::vector<r53::Change> changes;
  for (bool deletes : {true, false}) {
    for (const auto& part : parts) {
      for (size_t i : part) {
        for (const auto& c : batch->items[i].wire) {
          if ((c.action == r53::Action::kDelete) == deletes) changes.push_back(c);
        }
      }
    }
  }
  Call call{"ChangeResourceRecordSets", "POST", fmt::format("/hostedzone/{}/rrset", zone_id_),
            r53::build_change_batch(changes, options_.comment)};
  log::debug("route53: sending changes", {{"zone", zone_},
                                          {"changes", changes.size()},
                                          {"records", r53::cost_of(changes).records},
                                          {"chars", r53::cost_of(changes).chars}});
  Outcome out = co_await send(std::move(call), &batch->report.requests);
  switch (out.kind) {
    case Outcome::Kind::kOk:
      for (const auto& part : parts) {
        for (size_t i : part) {
          batch->items[i].state = Batch::State::kApplied;
          remember(batch->items[i].wire);
        }
      }
      co_return common::Status{};
    case Outcome::Kind::kUnknown: batch->unknown = true; co_return out.error;
    case Outcome::Kind::kFailed: co_return out.error;
    case Outcome::Kind::kRefused: break;
  }

  std::vector<Ref> refs;
  for (const auto& m : out.messages) {
    for (auto& r : refs_in(m)) refs.push_back(std::move(r));
  }
  if (parts.size() == 1) {
    // One name refused as a whole: look at its containers one by one.
    std::map<std::string, std::vector<size_t>> units;
    for (size_t i : parts.front()) units[batch->items[i].unit].push_back(i);
    if (units.size() == 1) {
      for (size_t i : parts.front()) {
        Error e = out.error;
        std::string own;
        for (const auto& m : out.messages) {
          auto mine = refs_in(m);
          if (std::any_of(mine.begin(), mine.end(), [&](const Ref& r) { return mentions(batch->items[i].wire, r); })) {
            own += (own.empty() ? "" : "; ") + m;
          }
        }
        if (!own.empty()) e.message = "Route 53 refused the change: " + own;
        batch->fail(i, std::move(e));
      }
      co_return common::Status{};
    }
    parts.clear();
    for (auto& [unit, members] : units) parts.push_back(std::move(members));
  }

  // The parts Route 53 named go apart from the others; failing that, halves.
  std::vector<std::vector<size_t>> named, rest;
  for (auto& part : parts) {
    bool hit = std::any_of(part.begin(), part.end(), [&](size_t i) {
      return std::any_of(refs.begin(), refs.end(), [&](const Ref& r) { return mentions(batch->items[i].wire, r); });
    });
    (hit ? named : rest).push_back(std::move(part));
  }
  if (named.empty() || rest.empty()) {
    std::vector<std::vector<size_t>> all = named.empty() ? std::move(rest) : std::move(named);
    auto half = all.begin() + static_cast<std::ptrdiff_t>(all.size() / 2);
    rest.assign(std::make_move_iterator(all.begin()), std::make_move_iterator(half));
    named.assign(std::make_move_iterator(half), std::make_move_iterator(all.end()));
  }
  log::debug("route53: Route 53 refused a change batch; isolating the refused changes",
             {{"zone", zone_}, {"error", out.error.message}});
  auto first = co_await send_isolating(std::move(rest), batch);
  if (!first.ok()) co_return first;
  co_return co_await send_isolating(std::move(named), batch);
}

}  // namespace ecssd::provider
