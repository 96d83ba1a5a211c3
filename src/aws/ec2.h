#pragma once
// A minimal Amazon EC2 client: DescribeInstances (query protocol, XML answers
// read with pugixml), paginated fully.
#include <map>
#include <string>
#include <vector>

#include "aws/transport.h"
#include "common/result.h"

namespace ecssd::aws {

struct Ec2Instance {
  std::string instance_id;
  std::string state;  // "pending", "running", "stopping", "stopped"...
  std::string instance_type;
  std::string private_ip;
  std::string private_dns_name;
  std::string public_ip;
  std::string availability_zone;
  std::string vpc_id;
  std::string subnet_id;
  std::map<std::string, std::string> tags;
};

struct Ec2Filter {
  std::string name;  // "instance-state-name", "tag:Name"...
  std::vector<std::string> values;
};

class Ec2Api {
 public:
  virtual ~Ec2Api() = default;
  // The instances with these ids (all when empty) that match every filter.
  // Errors: aws_error() mapping (an unknown instance id is kNotFound), the
  // transport's errors, kProtocol for XML that cannot be read.
  virtual common::Task<common::Result<std::vector<Ec2Instance>>> describe_instances(
      std::vector<std::string> instance_ids, std::vector<Ec2Filter> filters) = 0;
};

class Ec2Client final : public Ec2Api {
 public:
  // `transport` must outlive the client.
  Ec2Client(Transport& transport, ServiceEndpoint endpoint);
  common::Task<common::Result<std::vector<Ec2Instance>>> describe_instances(std::vector<std::string> instance_ids,
                                                                            std::vector<Ec2Filter> filters) override;

 private:
  Transport& transport_;
  ServiceEndpoint endpoint_;
};

// Reads one DescribeInstances answer page; returns its NextToken in *next.
// Errors: kProtocol when the XML cannot be parsed or is not such an answer.
common::Result<std::vector<Ec2Instance>> parse_describe_instances(const std::string& xml, std::string* next);

}  // namespace ecssd::aws
