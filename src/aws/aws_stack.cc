#include "aws/aws_stack.h"

namespace ecssd::aws {

common::Result<AwsStack> make_aws_stack(boost::asio::any_io_executor executor, const common::Environment& env,
                                        common::TimeSource& time) {
  AwsStack s;
  auto http = BeastHttpClient::create(std::move(executor), HttpClientOptions::from_env(env), time);
  if (!http) return http.error();
  s.http = std::move(http.value());
  s.imds = std::make_unique<Imdsv2Client>(*s.http, time, ImdsOptions::from_env(env));
  s.credentials = make_default_credentials(env, *s.http, *s.imds, time);
  s.transport = std::make_unique<AwsClient>(*s.http, *s.credentials, time);
  return s;
}

}  // namespace ecssd::aws
