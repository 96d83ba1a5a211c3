#include "provider/factory.h"

#include <fmt/format.h>

#include "aws/aws_stack.h"
#include "aws/endpoint.h"
#include "provider/axfr/axfr_provider.h"
#include "provider/embedded/embedded_provider.h"
#include "provider/route53/route53_provider.h"

namespace ecssd::provider {
namespace {

namespace asio = boost::asio;
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
                Route53Options options)
      : own_(std::move(own)),
        zone_(options.zone),
        r53_(std::make_unique<Route53Provider>(*stack.transport, std::move(endpoint), std::move(options))) {}

  Task<common::Status> ensure() {
    if (ready_) co_return common::Status{};
    auto s = co_await r53_->init();  // logs the zone it found
    ready_ = s.ok();
    co_return s;
  }

  const std::string& zone() const override { return zone_; }
  Capabilities capabilities() const override { return r53_->capabilities(); }
  Task<common::Result<std::vector<model::Record>>> list() override {
    auto s = co_await ensure();
    if (!s.ok()) co_return s.error();
    co_return co_await r53_->list();
  }
  Task<common::Result<ApplyReport>> apply(model::ChangeSet changes) override {
    auto s = co_await ensure();
    if (!s.ok()) co_return s.error();
    co_return co_await r53_->apply(std::move(changes));
  }
  model::Record canonicalize(model::Record r) const override { return r53_->canonicalize(std::move(r)); }

 private:
  std::unique_ptr<aws::AwsStack> own_;
  std::string zone_;
  std::unique_ptr<Route53Provider> r53_;
  bool ready_ = false;
};

asio::awaitable<Made> make_embedded(asio::io_context& io, const ProviderConfig& c, Role role) {
  if (role == Role::kClient) {
    AxfrProviderOptions o;
    o.zone = c.zone;
    o.server = c.dns_listen;
    co_return std::unique_ptr<Provider>(std::make_unique<AxfrProvider>(std::move(o)));
  }
  EmbeddedOptions o;
  o.zone.zone = c.zone;
  o.zone.ns_name = c.ns_name;
  o.zone.soa_ttl = c.ttl;
  o.zone.ns_ttl = c.ttl;
  o.responder.listen = c.dns_listen;
  o.responder.threads = static_cast<unsigned>(c.dns_threads);
  if (auto s = dns::validate(o.zone); !s.ok()) co_return s.error();
  auto p = std::make_unique<EmbeddedProvider>(io, std::move(o));
  if (auto s = p->start(); !s.ok()) co_return s.error();
  co_return std::unique_ptr<Provider>(std::move(p));
}

asio::awaitable<Made> make_route53(asio::io_context& io, const ProviderConfig& c, Role role) {
  aws::Env env = aws::Env::process();
  std::unique_ptr<aws::AwsStack> own;
  if (c.aws == nullptr) {
    auto stack = aws::make_aws_stack(io.get_executor(), env);
    if (!stack.ok()) co_return stack.error();
    own = std::make_unique<aws::AwsStack>(std::move(stack.value()));
  }
  aws::AwsStack& stack = c.aws != nullptr ? *c.aws : *own;
  auto endpoint = aws::resolve_endpoint(aws::Service::kRoute53, env, "us-east-1");
  if (!endpoint.ok()) co_return endpoint.error();
  Route53Options o;
  o.zone = c.zone;
  o.zone_id = c.zone_id;
  auto type = parse_zone_type(c.zone_type);
  if (!type) {
    co_return make_error(ErrorCode::kInvalidArgument,
                         fmt::format("--zone-type \"{}\": use private, public or any", c.zone_type));
  }
  o.zone_type = *type;
  auto bundle = std::make_unique<Route53Bundle>(std::move(own), stack, std::move(endpoint.value()), std::move(o));
  // A client needs the zone now. An agent finds it on its first listing and
  // keeps retrying from there (logging the error once, /readyz says why).
  if (role == Role::kClient) {
    auto s = co_await bundle->ensure();
    if (!s.ok()) co_return s.error();
  }
  co_return std::unique_ptr<Provider>(std::move(bundle));
}

struct Entry {
  const char* name;
  asio::awaitable<Made> (*make)(asio::io_context&, const ProviderConfig&, Role);
};

// The table. Add a provider here and nowhere else.
constexpr Entry kProviders[] = {
    {"embedded", &make_embedded},
    {"route53", &make_route53},
};

}  // namespace

std::vector<std::string> provider_names() {
  std::vector<std::string> out;
  for (const auto& e : kProviders) out.emplace_back(e.name);
  return out;
}

asio::awaitable<Made> make_provider(asio::io_context& io, const ProviderConfig& config, Role role) {
  for (const auto& e : kProviders) {
    if (config.name == e.name) co_return co_await e.make(io, config, role);
  }
  co_return make_error(ErrorCode::kInvalidArgument, fmt::format("unknown provider \"{}\"", config.name));
}

}  // namespace ecssd::provider
