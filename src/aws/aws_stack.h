#pragma once
// Wires the AWS plumbing the way the agent and the reaper use it: one HTTPS
// client, the IMDSv2 client, the default credential chain and the signing
// transport, all configured from the environment.
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "aws/aws_client.h"
#include "aws/beast_http_client.h"
#include "aws/credentials_chain.h"
#include "aws/endpoint.h"
#include "common/environment.h"
#include "aws/instance_metadata.h"
#include "common/clock.h"

namespace ecssd::aws {

struct AwsStack {
  std::unique_ptr<BeastHttpClient> http;
  std::unique_ptr<Imdsv2Client> imds;
  std::unique_ptr<CachingCredentialsProvider> credentials;
  std::unique_ptr<AwsClient> transport;
};

// Builds the stack; nothing is contacted until first use. `time` must outlive
// it. Errors: kInvalidArgument when AWS_CA_BUNDLE cannot be loaded.
common::Result<AwsStack> make_aws_stack(boost::asio::any_io_executor executor, const common::Environment& env,
                                        common::TimeSource& time);

}  // namespace ecssd::aws
