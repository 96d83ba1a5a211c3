#pragma once
// `--provider route53`: the records in a Route 53 hosted zone (found by
// --zone, or --zone-id), written and read through the AWS API with the
// default credential chain. The records outlive the agent, so agent --once
// and --remove-all make sense, and the reaper can delete from it.
#include <string>
#include <utility>
#include <vector>

#include "provider/descriptor.h"

namespace ecssd::provider {

// Bound to --zone-id and --zone-type.
struct Route53Settings final : Settings {
  std::string zone_id;
  std::string zone_type = "private";  // private, public or any
  // Errors: kInvalidArgument for a --zone-type that is none of the three.
  common::Status validate(Role role) const override;
  std::vector<std::pair<std::string, std::string>> describe() const override;
};

const Descriptor& route53_descriptor();

}  // namespace ecssd::provider
