#include "aws/ec2.h"

#include <pugixml.hpp>

#include "aws/protocol.h"
#include "aws/url.h"

namespace ecssd::aws {
namespace {

constexpr std::string_view kVersion = "2016-11-15";
constexpr int kMaxPages = 10'000;

}  // namespace

common::Result<std::vector<Ec2Instance>> parse_describe_instances(const std::string& xml, std::string* next) {
  pugi::xml_document doc;
  auto parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    return common::make_error(common::ErrorCode::kProtocol,
                              std::string("EC2 DescribeInstances: unreadable XML: ") + parsed.description());
  }
  pugi::xml_node root = doc.child("DescribeInstancesResponse");
  if (!root) {
    return common::make_error(common::ErrorCode::kProtocol,
                              "EC2 DescribeInstances: the answer is not a DescribeInstancesResponse");
  }
  std::vector<Ec2Instance> out;
  for (auto reservation : root.child("reservationSet").children("item")) {
    for (auto item : reservation.child("instancesSet").children("item")) {
      Ec2Instance i;
      i.instance_id = item.child_value("instanceId");
      i.state = item.child("instanceState").child_value("name");
      i.instance_type = item.child_value("instanceType");
      i.private_ip = item.child_value("privateIpAddress");
      i.private_dns_name = item.child_value("privateDnsName");
      i.public_ip = item.child_value("ipAddress");
      i.availability_zone = item.child("placement").child_value("availabilityZone");
      i.vpc_id = item.child_value("vpcId");
      i.subnet_id = item.child_value("subnetId");
      for (auto tag : item.child("tagSet").children("item")) i.tags[tag.child_value("key")] = tag.child_value("value");
      out.push_back(std::move(i));
    }
  }
  *next = root.child_value("nextToken");
  return out;
}

Ec2Client::Ec2Client(Transport& transport, ServiceEndpoint endpoint)
    : transport_(transport), endpoint_(std::move(endpoint)) {}

common::Task<common::Result<std::vector<Ec2Instance>>> Ec2Client::describe_instances(
    std::vector<std::string> instance_ids, std::vector<Ec2Filter> filters) {
  std::vector<Ec2Instance> out;
  std::string token, previous;
  for (int page = 1;; ++page) {
    QueryParams params{{"Action", "DescribeInstances"}, {"Version", std::string(kVersion)}};
    for (size_t i = 0; i < instance_ids.size(); ++i) {
      params.emplace_back("InstanceId." + std::to_string(i + 1), instance_ids[i]);
    }
    for (size_t f = 0; f < filters.size(); ++f) {
      std::string prefix = "Filter." + std::to_string(f + 1);
      params.emplace_back(prefix + ".Name", filters[f].name);
      for (size_t v = 0; v < filters[f].values.size(); ++v) {
        params.emplace_back(prefix + ".Value." + std::to_string(v + 1), filters[f].values[v]);
      }
    }
    // MaxResults may not be combined with instance ids.
    if (instance_ids.empty()) params.emplace_back("MaxResults", "1000");
    if (!token.empty()) params.emplace_back("NextToken", token);
    auto body = co_await call_query(&transport_, endpoint_, std::move(params), "EC2 DescribeInstances");
    if (!body) co_return body.error();
    auto page_result = parse_describe_instances(*body, &token);
    if (!page_result) co_return page_result.error();
    for (auto& i : *page_result) out.push_back(std::move(i));
    auto done = pagination_done(token, previous, page, kMaxPages, "EC2 DescribeInstances");
    if (!done) co_return done.error();
    if (*done) co_return out;
  }
}

}  // namespace ecssd::aws
