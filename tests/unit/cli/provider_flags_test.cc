// The provider flags of agent, records and reap come from the table: each
// provider's flags bound to its own settings, and one function that builds
// the chosen provider from them.
#include <algorithm>
#include <cstdlib>
#include <set>

#include <gtest/gtest.h>

#include "cli/flags.h"
#include "common/metrics.h"
#include "common/time_system.h"
#include "fakes/run_sync.h"
#include "provider/embedded/descriptor.h"
#include "provider/route53/descriptor.h"
#include "provider/table/table.h"

namespace ecssd::cli {
namespace {

using common::ErrorCode;
using ecssd::testing::run_sync;

// As from argv (CLI11 takes the vector last argument first).
void parse(CLI::App& app, std::vector<std::string> args) {
  std::reverse(args.begin(), args.end());
  app.parse(args);
}

TEST(ProviderFlags, EveryProviderOfTheTableHasItsSettings) {
  ProviderFlags f;
  EXPECT_EQ(f.provider, provider::default_provider().name);
  ASSERT_EQ(f.settings.size(), provider::providers().size());
  for (const auto& s : f.settings) EXPECT_NE(s, nullptr);
  ASSERT_NE(f.descriptor(), nullptr);
  EXPECT_EQ(f.descriptor(), &provider::default_provider());
  f.provider = "nope";
  EXPECT_EQ(f.descriptor(), nullptr);
}

TEST(ProviderFlags, EachProvidersFlagsFillItsOwnSettings) {
  CLI::App app;
  ProviderFlags f;
  add_provider_flags(app, f, provider::Role::kAgent);
  parse(app, {"--provider", "route53", "--zone", "sd.internal", "--zone-id", "Z123", "--zone-type", "public",
              "--dns-listen", "127.0.0.1:5353"});
  EXPECT_EQ(f.provider, "route53");
  EXPECT_EQ(f.zones, std::vector<std::string>{"sd.internal"});
  ASSERT_EQ(f.descriptor(), &provider::route53_descriptor());
  const auto& r = dynamic_cast<const provider::Route53Settings&>(f.chosen_settings());
  EXPECT_EQ(r.zone_id, "Z123");
  EXPECT_EQ(r.zone_type, "public");
  // The other provider's flag went to its own settings.
  const auto& e = dynamic_cast<const provider::EmbeddedSettings&>(
      *f.settings.at(provider::index_of(provider::embedded_descriptor())));
  EXPECT_EQ(e.dns_listen, "127.0.0.1:5353");
  // Copies of the flags share the settings.
  ProviderFlags copy = f;
  EXPECT_EQ(&copy.chosen_settings(), &f.chosen_settings());
}

TEST(ProviderFlags, TheResponderLimitsAreEmbeddedFlags) {
  CLI::App app;
  ProviderFlags f;
  add_provider_flags(app, f, provider::Role::kAgent);
  parse(app, {"--dns-tcp-max-connections", "16", "--dns-tcp-idle-timeout", "3s"});
  const auto& e = dynamic_cast<const provider::EmbeddedSettings&>(f.chosen_settings());
  EXPECT_EQ(e.dns_tcp_max_connections, 16);
  EXPECT_EQ(e.dns_tcp_idle_timeout, "3s");
  CLI::App again;
  ProviderFlags g;
  add_provider_flags(again, g, provider::Role::kAgent);
  EXPECT_THROW(parse(again, {"--dns-tcp-idle-timeout", "soon"}), CLI::ValidationError);
  CLI::App zero;
  ProviderFlags h;
  add_provider_flags(zero, h, provider::Role::kAgent);
  EXPECT_THROW(parse(zero, {"--dns-tcp-max-connections", "0"}), CLI::ValidationError);
}

TEST(ProviderFlags, TheZoneFlagRepeatsAndItsVariableTakesACommaList) {
  {
    CLI::App app;
    ProviderFlags f;
    add_provider_flags(app, f);
    parse(app, {"--zone", "Example.", "--zone", "b.example"});
    EXPECT_EQ(f.zones, (std::vector<std::string>{"Example.", "b.example"}));
    auto zones = f.served_zones();
    ASSERT_TRUE(zones.ok());
    EXPECT_EQ(*zones, (std::vector<std::string>{"example", "b.example"}));
    EXPECT_EQ(f.primary_zone(), "example");
  }
  {
    CLI::App app;
    ProviderFlags f;
    add_provider_flags(app, f);
    setenv("ECSSD_ZONE", "example,b.example", 1);  // CLI11 reads envname() itself
    parse(app, {});
    unsetenv("ECSSD_ZONE");
    EXPECT_EQ(f.zones, (std::vector<std::string>{"example", "b.example"}));
  }
  ProviderFlags twice;
  twice.zones = {"example", "Example."};
  ASSERT_FALSE(twice.served_zones().ok());
  EXPECT_NE(twice.served_zones().error().message.find("twice"), std::string::npos);
  ProviderFlags one;  // one zone as before
  EXPECT_EQ(one.served_zones().value(), std::vector<std::string>{"servicediscovery.internal"});
}

TEST(ProviderFlags, TheProviderFlagOffersTheTable) {
  CLI::App app;
  ProviderFlags f;
  add_provider_flags(app, f);
  EXPECT_THROW(parse(app, {"--provider", "nope"}), CLI::ValidationError);
  std::string help = app.help();
  for (const auto* d : provider::providers()) {
    EXPECT_NE(help.find(std::string(d->name) + " (" + std::string(d->summary) + ")"), std::string::npos) << help;
  }
}

class StartProviderTest : public ::testing::Test {
 protected:
  ProviderWiring wiring() {
    return ProviderWiring{.env = env_, .time = time_, .metrics = common::Scope(metrics_), .ttl = 30};
  }
  common::Result<std::unique_ptr<provider::Provider>> start(const ProviderFlags& f, provider::Role role) {
    return run_sync(io_, start_provider(io_, f, role, wiring()));
  }

  common::SimulatedTimeSystem time_;
  boost::asio::io_context io_;
  common::Metrics metrics_;
  common::Environment env_ = common::Environment::from_map({{"AWS_EC2_METADATA_DISABLED", "true"},
                                                            {"AWS_ACCESS_KEY_ID", "AKID"},
                                                            {"AWS_SECRET_ACCESS_KEY", "secret"}});
};

TEST_F(StartProviderTest, EmbeddedServesForTheAgentAndIsReadByAxfrForClients) {
  ProviderFlags f;
  f.zones = {"SD.Internal."};
  auto& e = dynamic_cast<provider::EmbeddedSettings&>(
      *f.settings.at(provider::index_of(provider::embedded_descriptor())));
  e.dns_listen = "127.0.0.1:0";
  e.dns_threads = 1;
  auto agent = start(f, provider::Role::kAgent);
  ASSERT_TRUE(agent.ok()) << agent.error().describe();
  EXPECT_EQ((*agent)->zone(), "sd.internal");
  EXPECT_TRUE((*agent)->capabilities().writable);
  auto listed = run_sync(io_, (*agent)->list());
  ASSERT_TRUE(listed.ok());
  for (const auto& r : *listed) EXPECT_EQ(r.ttl, 30u) << model::describe(r);  // the SOA and NS take --ttl

  auto client = start(f, provider::Role::kClient);
  ASSERT_TRUE(client.ok()) << client.error().describe();
  EXPECT_FALSE((*client)->capabilities().writable);  // a zone transfer cannot change the zone
  EXPECT_FALSE((*client)->capabilities().set_identifiers);
}

TEST_F(StartProviderTest, SeveralZonesAreOneProviderPerZoneBehindOne) {
  ProviderFlags f;
  f.zones = {"example", "b.example"};
  auto& e = dynamic_cast<provider::EmbeddedSettings&>(
      *f.settings.at(provider::index_of(provider::embedded_descriptor())));
  e.dns_listen = "127.0.0.1:0";
  e.dns_threads = 1;
  auto agent = start(f, provider::Role::kAgent);  // one responder: the second zone does not bind again
  ASSERT_TRUE(agent.ok()) << agent.error().describe();
  EXPECT_EQ((*agent)->zone(), "example");
  auto listed = run_sync(io_, (*agent)->list());
  ASSERT_TRUE(listed.ok());
  std::set<std::string> apexes;
  for (const auto& r : *listed) apexes.insert(r.name);
  EXPECT_EQ(apexes, (std::set<std::string>{"example", "b.example"}));  // SOA and NS of each

  f.provider = "route53";
  auto r53 = start(f, provider::Role::kAgent);
  ASSERT_TRUE(r53.ok()) << r53.error().describe();
  EXPECT_TRUE((*r53)->capabilities().set_identifiers);
  dynamic_cast<provider::Route53Settings&>(*f.settings.at(provider::index_of(provider::route53_descriptor())))
      .zone_id = "Z123";
  auto one_id = start(f, provider::Role::kAgent);
  ASSERT_FALSE(one_id.ok());
  EXPECT_EQ(one_id.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(one_id.error().message.find("--zone-id"), std::string::npos);
}

TEST_F(StartProviderTest, Route53ForTheAgentLooksTheZoneUpLater) {
  ProviderFlags f;
  f.provider = "route53";
  f.zones = {"sd.internal"};
  auto made = start(f, provider::Role::kAgent);  // nothing is contacted yet
  ASSERT_TRUE(made.ok()) << made.error().describe();
  EXPECT_EQ((*made)->zone(), "sd.internal");
  EXPECT_TRUE((*made)->capabilities().set_identifiers);
}

TEST_F(StartProviderTest, BadValuesAreUsageErrors) {
  ProviderFlags f;
  f.zones = {"bad..zone"};
  auto bad_zone = start(f, provider::Role::kAgent);
  ASSERT_FALSE(bad_zone.ok());
  EXPECT_EQ(bad_zone.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad_zone.error().message.find("--zone"), std::string::npos);

  f.zones = {"sd.internal"};
  f.provider = "nope";
  auto unknown = start(f, provider::Role::kClient);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);

  f.provider = "route53";
  dynamic_cast<provider::Route53Settings&>(*f.settings.at(provider::index_of(provider::route53_descriptor())))
      .zone_type = "sideways";
  auto bad_type = start(f, provider::Role::kAgent);
  ASSERT_FALSE(bad_type.ok());
  EXPECT_EQ(bad_type.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad_type.error().message.find("--zone-type"), std::string::npos);
}

}  // namespace
}  // namespace ecssd::cli
