#pragma once
// An in-memory Ec2Api for unit tests: filters by instance id and by the
// "instance-state-name", "private-ip-address" and "tag:<key>" filters (other
// filter names are rejected as EC2 would reject an unknown one).
#include <algorithm>
#include <vector>

#include "aws/ec2.h"

namespace ecssd::aws::testing {

class FakeEc2Api final : public Ec2Api {
 public:
  void add(Ec2Instance i) { instances_.push_back(std::move(i)); }
  void fail_with(std::optional<common::Error> error) { error_ = std::move(error); }
  int calls() const { return calls_; }

  common::Task<common::Result<std::vector<Ec2Instance>>> describe_instances(std::vector<std::string> instance_ids,
                                                                            std::vector<Ec2Filter> filters) override {
    ++calls_;
    if (error_) co_return *error_;
    std::vector<Ec2Instance> out;
    for (const auto& id : instance_ids) {
      if (std::none_of(instances_.begin(), instances_.end(), [&](const auto& i) { return i.instance_id == id; })) {
        co_return common::make_error(common::ErrorCode::kNotFound,
                                     "EC2 DescribeInstances: HTTP 400 InvalidInstanceID.NotFound: " + id);
      }
    }
    for (const auto& i : instances_) {
      if (!instance_ids.empty() &&
          std::find(instance_ids.begin(), instance_ids.end(), i.instance_id) == instance_ids.end()) {
        continue;
      }
      bool match = true;
      for (const auto& f : filters) {
        std::string value;
        if (f.name == "instance-state-name") {
          value = i.state;
        } else if (f.name == "private-ip-address") {
          value = i.private_ip;
        } else if (f.name.rfind("tag:", 0) == 0) {
          auto it = i.tags.find(f.name.substr(4));
          if (it == i.tags.end()) {
            match = false;
            break;
          }
          value = it->second;
        } else {
          co_return common::make_error(common::ErrorCode::kInvalidArgument,
                                       "EC2 DescribeInstances: HTTP 400 InvalidParameterValue: filter " + f.name);
        }
        if (std::find(f.values.begin(), f.values.end(), value) == f.values.end()) match = false;
      }
      if (match) out.push_back(i);
    }
    co_return out;
  }

 private:
  std::vector<Ec2Instance> instances_;
  std::optional<common::Error> error_;
  int calls_ = 0;
};

}  // namespace ecssd::aws::testing
