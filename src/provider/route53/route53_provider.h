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
// limits allow, one after another, never splitting a group (the records with
// the same model::Record::group: the registry gives a record and its ownership
// companion the owned record's name; a record without a group is grouped by
// its name). Updates go as DELETE old + CREATE new in one request: Route 53
// applies a request atomically, so nobody sees the name without a value, and
// a DELETE that no longer matches exactly (the record was changed behind
// ecssd's back) fails instead of being overwritten, as an UPSERT would. When
// Route 53 refuses a request (InvalidChangeBatch, InvalidInput), the changes
// it names, or failing that halves of the request, are retried apart until
// each refused change is isolated (a group refused as a whole is split by set
// identifier, a record always staying with its companion); the others are
// applied. Throttling, PriorRequestNotComplete, 5xx and transport timeouts are
// retried with capped, jittered exponential backoff, waiting on the
// TimeSystem's timers.
//
// The parts: zone_lookup.h (finding the zone), client.h and retry_policy.h
// (one call with its retries), apply_batch.h (building the requests),
// isolate.h (isolating refused changes).
#include <chrono>
#include <string>

#include "aws/transport.h"
#include "common/metrics.h"
#include "common/task.h"
#include "common/time_system.h"
#include "provider/provider.h"
#include "provider/route53/apply_batch.h"
#include "provider/route53/change_batch.h"
#include "provider/route53/client.h"
#include "provider/route53/retry_policy.h"
#include "provider/route53/route53_codec.h"
#include "provider/route53/zone_lookup.h"

namespace ecssd::provider {

using route53::parse_zone_type;
using route53::ZoneType;

struct Route53Options {
  // The zone by name (--zone) and/or by id (--zone-id, "Z123" or
  // "/hostedzone/Z123"). With both, they must agree.
  std::string zone;
  std::string zone_id;
  ZoneType zone_type = ZoneType::kAny;  // kAny prefers private; with an id, checked
  uint32_t page_size = 300;             // ListResourceRecordSets maxitems, 1-300
  route53::RetryPolicy retry;
  route53::BatchLimits limits;
  std::chrono::milliseconds request_timeout{10'000};
  std::string comment = "ecssd";  // ChangeBatch comment, visible in CloudTrail
};

class Route53Provider final : public Provider {
 public:
  // `transport`, `time` and the Metrics behind `scope` must outlive the
  // provider. Retries wait on timers of `time`, on the calling coroutine's
  // executor; `scope` makes ecssd_route53_retries_total.
  Route53Provider(aws::Transport& transport, aws::ServiceEndpoint endpoint, Route53Options options,
                  common::TimeSystem& time, common::Scope scope);

  // Resolves the hosted zone: GetHostedZone for an id, else
  // ListHostedZonesByName for the name, keeping the zone of the asked type
  // (kAny: the private one when a public zone has the same name). Must succeed
  // before list() or apply(). Errors: kInvalidArgument for a bad or
  // inconsistent zone/zone id, or several zones that match (the message lists
  // their ids: pass --zone-id); kNotFound when no zone matches (the message
  // names the zones of the other type, if any); kPermissionDenied naming the
  // missing permission; transient errors after the retries are spent.
  common::Task<common::Status> init();

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
  common::Task<common::Result<std::vector<model::Record>>> list() override;

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
  common::Task<common::Result<ApplyReport>> apply(model::ChangeSet changes) override;

  // The client's pacer: when its next request may go.
  common::SteadyTime ready_at(common::SteadyTime now) const override { return client_.ready_at(now); }

  model::Record canonicalize(model::Record r) const override { return route53::canonical(std::move(r)); }

 private:
  // Sends the parts as one request; when Route 53 refuses it, splits until
  // the refused changes are isolated. Errors: the whole-request failures of
  // Client::send().
  common::Task<common::Status> send_isolating(std::vector<route53::Part> parts, route53::Batch* batch);
  // Tells the client how messages name the zone now.
  void retarget();

  Route53Options options_;
  route53::Client client_;
  std::string zone_;
  std::string zone_id_;
  std::string requested_id_;  // --zone-id as given, for messages before init() ends
  bool applying_ = false;
  route53::KnownRecordSets known_;
};

}  // namespace ecssd::provider
