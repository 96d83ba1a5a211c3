#include "provider/route53/descriptor.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "aws/aws_stack.h"
#include "aws/endpoint.h"
#include "provider/route53/route53_provider.h"

namespace ecssd::provider {
namespace {

using common::ErrorCode;
using common::make_error;
using Made = common::Result<std::unique_ptr<Provider>>;

// Route 53 with the AWS plumbing it borrows (HTTP client, credentials,
// transport), which must outlive it. The zone lookup is retried on every call
// until it succeeds, so an agent started before its credentials or its zone
// exist keeps trying in the background (and /readyz says why).
class Route53Bundle final : public Provider {
 public:
  // `own` is the stack to keep, or null when `stack` is borrowed.
  Route53Bundle(std::unique_ptr<aws::AwsStack> own, aws::AwsStack& stack, aws::ServiceEndpoint endpoint,
                Route53Options options, common::TimeSystem& time, common::Scope metrics)
      : own_(std::move(own)),
        zone_(options.zone),
        r53_(std::make_unique<Route53Provider>(*stack.transport, std::move(endpoint), std::move(options), time,
                                               std::move(metrics))) {}

  common::Task<common::Status> ensure() {
    if (ready_) co_return common::Status{};
    auto s = co_await r53_->init();  // logs the zone it found
    ready_ = s.ok();
    co_return s;
  }

  const std::string& zone() const override { return zone_; }
  Capabilities capabilities() const override { return r53_->capabilities(); }
  common::Task<common::Result<std::vector<model::Record>>> list() override {
    auto s = co_await ensure();
    if (!s.ok()) co_return s.error();
    co_return co_await r53_->list();
  }
  common::Task<common::Result<ApplyReport>> apply(model::ChangeSet changes) override {
    auto s = co_await ensure();
    if (!s.ok()) co_return s.error();
    co_return co_await r53_->apply(std::move(changes));
  }
  common::SteadyTime ready_at(common::SteadyTime now) const override { return r53_->ready_at(now); }
  model::Record canonicalize(model::Record r) const override { return r53_->canonicalize(std::move(r)); }

 private:
  std::unique_ptr<aws::AwsStack> own_;
  std::string zone_;
  std::unique_ptr<Route53Provider> r53_;
  bool ready_ = false;
};

std::unique_ptr<Settings> make_settings() { return std::make_unique<Route53Settings>(); }

// `settings` was made by make_settings() above (the Descriptor contract).
void add_flags(CLI::App& app, Settings& settings, Role) {
  auto& s = static_cast<Route53Settings&>(settings);
  app.add_option("--zone-id", s.zone_id, "route53: hosted zone id (skips the lookup of --zone by name; one --zone only)")
      ->envname("ECSSD_ZONE_ID");
  app.add_option("--zone-type", s.zone_type,
                 "route53: which zone named --zone to use when looking it up: private, public or any "
                 "(any prefers private)")
      ->envname("ECSSD_ZONE_TYPE")
      ->check(CLI::IsMember({"private", "public", "any"}))
      ->capture_default_str();
}

common::Task<Made> build(const BuildContext& context, const Settings& settings) {
  const auto& s = static_cast<const Route53Settings&>(settings);
  if (context.first != nullptr && !s.zone_id.empty()) {  // one hosted zone per --zone
    co_return common::make_error(common::ErrorCode::kInvalidArgument,
                                 "--zone-id names one hosted zone: with several --zone leave it out (each zone is "
                                 "looked up by name)");
  }
  std::unique_ptr<aws::AwsStack> own;
  if (context.aws == nullptr) {
    auto stack = aws::make_aws_stack(context.io.get_executor(), context.env, context.time);
    if (!stack.ok()) co_return stack.error();
    own = std::make_unique<aws::AwsStack>(std::move(stack.value()));
  }
  aws::AwsStack& stack = context.aws != nullptr ? *context.aws : *own;
  auto endpoint = aws::resolve_endpoint(aws::Service::kRoute53, context.env, "us-east-1");
  if (!endpoint.ok()) co_return endpoint.error();
  Route53Options o;
  o.zone = context.zone;
  o.zone_id = s.zone_id;
  auto type = parse_zone_type(s.zone_type);
  if (!type) co_return s.validate(context.role).error();
  o.zone_type = *type;
  // The agent plans a throttled change again when the pacer allows, with
  // whatever changed meanwhile (agent.cc); a client retries it as it is.
  o.retry.return_throttled_changes = context.role == Role::kAgent;
  auto bundle = std::make_unique<Route53Bundle>(std::move(own), stack, std::move(endpoint.value()), std::move(o),
                                                 context.time, context.metrics);
  // A client needs the zone now. An agent finds it on its first listing and
  // keeps retrying from there (logging the error once, /readyz says why).
  if (context.role == Role::kClient) {
    auto st = co_await bundle->ensure();
    if (!st.ok()) co_return st.error();
  }
  co_return std::unique_ptr<Provider>(std::move(bundle));
}

constexpr Descriptor kDescriptor{
    .name = "route53",
    .summary = "a Route 53 hosted zone",
    // 2.25 s: in a long burst each container waits about half the spacing
    // plus the call (0.1-0.35 s against moto under load), so this is the
    // widest spacing that keeps the median publish delay under 1.5 s; wider
    // saves a call every few seconds of burst and costs every container in
    // it (bench/route53 and docs/BENCHMARKS.md: 5 s gave a 2.33 s median).
    .defaults = {.batch_interval = std::chrono::milliseconds(1000),
                 .batch_max_delay = std::chrono::milliseconds(2250),
                 .records_outlive_agent = true,
                 .uses_aws = true,
                 .reap_deletes = true},
    .make_settings = &make_settings,
    .add_flags = &add_flags,
    .build = &build,
};

}  // namespace

common::Status Route53Settings::validate(Role) const {
  if (!parse_zone_type(zone_type)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("--zone-type \"{}\": use private, public or any", zone_type));
  }
  return {};
}

std::vector<std::pair<std::string, std::string>> Route53Settings::describe() const {
  return {{"zone_id", zone_id.empty() ? std::string("-") : zone_id}, {"zone_type", zone_type}};
}

const Descriptor& route53_descriptor() { return kDescriptor; }

}  // namespace ecssd::provider
