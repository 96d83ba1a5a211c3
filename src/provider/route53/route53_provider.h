#pragma once
// `--provider route53`: the agent's records in a Route 53 hosted zone, through
// the REST API (2013-04-01) over an aws::Transport (which signs and sends).
//
// Mapping: a model::Record is one ResourceRecordSet (Name, Type, SetIdentifier,
// Weight, TTL, ResourceRecords); ecssd writes weighted record sets, one set
// identifier per container (see model/record_builder.h). Everything in the
// zone is listed, including record sets ecssd cannot change (alias, failover,
// latency, geo, multivalue, IP-based routing, traffic policy): they are listed
// so plans see them as foreign, and apply() refuses any change that touches
// one. Record types model::RecordType lacks (MX, CAA, PTR...) are not listed:
// ecssd never writes them, and only their name could matter (a CNAME cannot
// join them), which Route 53 itself enforces.
//
// apply() sends one batch as few ChangeResourceRecordSets requests as the
// limits allow, one after another, never splitting the changes of one name (a
// record and its "<type>._ecssd.<name>" companion are one name). Updates go as
// DELETE old + CREATE new in one request: Route 53 applies a request
// atomically, so nobody sees the name without a value, and a DELETE that no
// longer matches exactly (the record was changed behind ecssd's back) fails
// instead of being overwritten, as an UPSERT would. When Route 53 refuses a
// request (InvalidChangeBatch, InvalidInput), the changes it names, or failing
// that halves of the request, are retried apart until each refused change is
// isolated (a name refused as a whole is split by container, a record always
// staying with its companion); the others are applied. Throttling, PriorRequestNotComplete, 5xx
// and transport timeouts are retried with capped, jittered exponential backoff.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "aws/transport.h"
#include "provider/provider.h"
#include "provider/route53/change_batch.h"
#include "provider/route53/route53_codec.h"
#include "provider/route53/route53_xml.h"
#include "provider/route53/sleeper.h"

namespace ecssd::provider {

enum class ZoneType { kPrivate, kPublic, kAny };
std::optional<ZoneType> parse_zone_type(std::string_view text);  // "private" | "public" | "any"

struct Route53RetryPolicy {
  uint32_t max_attempts = 6;  // including the first
  std::chrono::milliseconds base{200};
  std::chrono::milliseconds cap{10'000};
  uint64_t seed = std::random_device{}();
};

struct Route53Options {
  // The zone by name (--zone) and/or by id (--zone-id, "Z123" or
  // "/hostedzone/Z123"). With both, they must agree.
  std::string zone;
  std::string zone_id;
  ZoneType zone_type = ZoneType::kAny;  // kAny prefers private; with an id, checked
  uint32_t page_size = 300;             // ListResourceRecordSets maxitems, 1-300
  Route53RetryPolicy retry;
  route53::BatchLimits limits;
  std::chrono::milliseconds request_timeout{10'000};
  std::string comment = "ecssd";  // ChangeBatch comment, visible in CloudTrail
};

class Route53Provider final : public Provider {
 public:
  // `transport` and `sleeper` must outlive the provider; a null sleeper means
  // real timers on the calling coroutine's executor.
  Route53Provider(aws::Transport& transport, aws::ServiceEndpoint endpoint, Route53Options options,
                  route53::Sleeper* sleeper = nullptr);

  // Resolves the hosted zone: GetHostedZone for an id, else
  // ListHostedZonesByName for the name, keeping the zone of the asked type
  // (kAny: the private one when a public zone has the same name). Must succeed
  // before list() or apply(). Errors: kInvalidArgument for a bad or
  // inconsistent zone/zone id, or several zones that match (the message lists
  // their ids: pass --zone-id); kNotFound when no zone matches (the message
  // names the zones of the other type, if any); kPermissionDenied naming the
  // missing permission; transient errors after the retries are spent.
  Task<common::Status> init();

  // The zone name (normalized); before init() the name from the options.
  const std::string& zone() const override { return zone_; }
  // The hosted zone id without "/hostedzone/"; empty before init().
  const std::string& zone_id() const { return zone_id_; }
  Capabilities capabilities() const override { return {.set_identifiers = true, .writable = true}; }

  // Every page of ListResourceRecordSets (NextRecordName, NextRecordType,
  // NextRecordIdentifier), as canonical records. Errors: kPermissionDenied
  // (route53:ListResourceRecordSets), kNotFound (zone gone), kProtocol for a
  // malformed response or pagination that does not advance, transient errors
  // after the retries are spent; kInternal before init().
  Task<common::Result<std::vector<model::Record>>> list() override;

  // See the file comment. Per-change refusals are in ApplyReport::failed:
  // Route 53's InvalidChangeBatch (kConflict) or InvalidInput
  // (kInvalidArgument) with its message; kPermissionDenied for a change to a
  // record set ecssd never changes; kInvalidArgument for a record outside the
  // zone or with malformed TXT data; kTooLarge for a change over the limits on
  // its own. A whole-request failure after some requests succeeded (throttled
  // past the retries, access denied) reports the unsent changes as failed with
  // that error. An error result means nothing is known to be applied, or (a
  // request that timed out and whose retry was refused) the outcome is unknown
  // and the caller must list again: kConflict, transient. Calls must not
  // overlap (kInternal if they do): one batch's requests go one after another.
  Task<common::Result<ApplyReport>> apply(model::ChangeSet changes) override;

  model::Record canonicalize(model::Record r) const override { return route53::canonical(std::move(r)); }

 private:
  struct Call;
  struct Outcome;
  struct Batch;

  // One API call with its retries.
  Task<Outcome> send(Call call, size_t* requests);
  Task<common::Result<aws::HttpResponse>> read(Call call);
  Task<common::Status> find_zone_by_id(std::string id);
  Task<common::Status> find_zone_by_name();
  // Sends the parts (lists of Batch items) as one request; when Route 53
  // refuses it, splits until the refused changes are isolated. Errors: the
  // whole-request failures of send().
  Task<common::Status> send_isolating(std::vector<std::vector<size_t>> parts, Batch* batch);
  // The record set a DELETE of `r` must name: as listed or written, when `r`
  // still matches it; else built from `r`.
  common::Result<route53::RecordSet> existing_record_set(const model::Record& r) const;
  void remember(const std::vector<route53::Change>& applied);
  std::string where() const;

  aws::Transport& transport_;
  aws::ServiceEndpoint endpoint_;
  Route53Options options_;
  std::unique_ptr<route53::AsioSleeper> own_sleeper_;
  route53::Sleeper* sleeper_;
  std::mt19937_64 seeds_;
  std::string zone_;
  std::string zone_id_;
  std::string requested_id_;  // --zone-id as given, for messages before init() ends
  bool applying_ = false;
  // Each record set as last listed or written, by key: DELETEs send exactly
  // these strings (Route 53 wants the values as stored), and keys of record
  // sets ecssd must not change are found here.
  std::map<route53::Key, route53::RecordSet> known_;
};

}  // namespace ecssd::provider
