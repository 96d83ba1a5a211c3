#pragma once
// A simulated Route 53 hosted zone to put behind fakes::FakeTransport. It is
// written from the API reference, independently of the provider's XML code
// (its own pugixml parsing and printing), and is strict where Route 53 is:
// change batches are atomic; CREATE of an existing record set and DELETE of a
// missing one, or with values, TTL, weight or health check that differ by one
// character, are refused with InvalidChangeBatch naming the record set; the
// request limits (1000 records, 32000 value characters, UPSERT counting twice)
// are enforced; listings are paginated in Route 53's order (names with labels
// reversed, then type, then set identifier) with NextRecordIdentifier, and
// names are escaped as Route 53 does ("*" as "\052").
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aws/http.h"
#include "common/result.h"

namespace ecssd::fakes {

struct FakeRrset {
  std::string name;  // absolute, lower case: "web.example.com."
  std::string type;
  std::string set_identifier;
  std::optional<uint32_t> weight;
  std::optional<uint32_t> ttl;
  std::vector<std::string> values;
  std::string health_check_id;
  // Extra elements listed verbatim after the values (AliasTarget, Failover...).
  std::string extra_xml;
  bool operator==(const FakeRrset&) const = default;
};

struct FakeChange {
  std::string action;
  FakeRrset rrset;
};

class FakeRoute53 {
 public:
  FakeRoute53(std::string zone_id, std::string zone_name, bool private_zone = true);

  void add(FakeRrset r);
  // Record sets in listing order.
  std::vector<FakeRrset> rrsets() const { return rrsets_; }
  const FakeRrset* find(std::string_view name, std::string_view type, std::string_view set_identifier) const;

  // Serves GetHostedZone, ListResourceRecordSets and ChangeResourceRecordSets.
  common::Result<aws::HttpResponse> handle(const aws::HttpRequest& req);

  // Fault injection. Changes to a refused name are refused with
  // InvalidChangeBatch; `named` says whether the message names the record set
  // (Route 53's usual form) or is generic (forcing the client to bisect).
  void refuse_name(std::string name, bool named = true);
  void throttle(int requests) { throttle_ = requests; }

  // Every accepted change batch, in order.
  const std::vector<std::vector<FakeChange>>& accepted() const { return accepted_; }
  size_t change_requests() const { return change_requests_; }
  size_t list_requests() const { return list_requests_; }

  size_t max_records = 1000;
  size_t max_chars = 32000;

 private:
  common::Result<aws::HttpResponse> list(const aws::HttpRequest& req);
  common::Result<aws::HttpResponse> change(const aws::HttpRequest& req);
  void sort();

  std::string zone_id_;
  std::string zone_name_;
  bool private_zone_;
  std::vector<FakeRrset> rrsets_;
  std::set<std::string> refused_named_;
  std::set<std::string> refused_generic_;
  int throttle_ = 0;
  std::vector<std::vector<FakeChange>> accepted_;
  size_t change_requests_ = 0;
  size_t list_requests_ = 0;
};

}  // namespace ecssd::fakes
