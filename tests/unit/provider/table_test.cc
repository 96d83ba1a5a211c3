// The provider table and what each descriptor says about its provider.
#include "provider/table/table.h"

#include <algorithm>

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include "common/metrics.h"
#include "common/time_system.h"
#include "fakes/run_sync.h"
#include "provider/embedded/descriptor.h"
#include "provider/factory.h"
#include "provider/route53/descriptor.h"

namespace ecssd::provider {
namespace {

using ecssd::testing::run_sync;

// Written without the table's length or order beyond the default, so that a
// new provider is its folder and its line of table.cc, not an edit here too.
TEST(ProviderTable, ListsEveryProviderOnceWithTheDefaultFirst) {
  auto all = providers();
  ASSERT_GE(all.size(), 2u);
  EXPECT_EQ(all[0], &embedded_descriptor());
  EXPECT_EQ(&default_provider(), &embedded_descriptor());
  std::vector<std::string> names = provider_names();
  ASSERT_EQ(names.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(names[i], all[i]->name);
    EXPECT_EQ(std::count(names.begin(), names.end(), names[i]), 1) << names[i];
    EXPECT_EQ(find_provider(all[i]->name), all[i]);
    EXPECT_EQ(index_of(*all[i]), i);
  }
  EXPECT_NE(std::find(all.begin(), all.end(), &route53_descriptor()), all.end());
  EXPECT_EQ(find_provider("route53"), &route53_descriptor());
  EXPECT_EQ(find_provider("Route53"), nullptr);
  EXPECT_EQ(find_provider(""), nullptr);
}

TEST(ProviderTable, NamesByWhatTheirDefaultsSay) {
  EXPECT_EQ(provider_names([](const Descriptor& d) { return d.defaults.uses_aws; }),
            std::vector<std::string>{"route53"});
  EXPECT_EQ(provider_names([](const Descriptor& d) { return !d.defaults.records_outlive_agent; }),
            std::vector<std::string>{"embedded"});
  EXPECT_EQ(join_names({}), "");
  EXPECT_EQ(join_names({"a"}), "a");
  EXPECT_EQ(join_names({"a", "b"}), "a or b");
  EXPECT_EQ(join_names({"a", "b", "c"}), "a, b or c");
  EXPECT_EQ(join_names({"a", "b", "c"}, ", "), "a, b, c");
}

// Every provider's flags say which provider they are for and have an
// environment variable.
TEST(ProviderTable, EachDescriptorRegistersItsOwnFlags) {
  for (const Descriptor* d : providers()) {
    SCOPED_TRACE(std::string(d->name));
    EXPECT_FALSE(d->summary.empty());
    CLI::App app;
    auto settings = d->make_settings();
    ASSERT_NE(settings, nullptr);
    d->add_flags(app, *settings, Role::kAgent);
    auto options = app.get_options([&app](const CLI::Option* o) { return o != app.get_help_ptr(); });
    ASSERT_FALSE(options.empty());
    for (const CLI::Option* o : options) {
      EXPECT_EQ(o->get_description().rfind(std::string(d->name) + ": ", 0), 0u) << o->get_name();
      EXPECT_EQ(o->get_envname().rfind("ECSSD_", 0), 0u) << o->get_name();
    }
  }
}

TEST(ProviderTable, TheDefaultsOfEachProvider) {
  const Defaults& e = embedded_descriptor().defaults;
  EXPECT_EQ(e.batch_interval, std::chrono::milliseconds(0));
  EXPECT_EQ(e.batch_max_delay, std::chrono::milliseconds(0));
  EXPECT_FALSE(e.records_outlive_agent);
  EXPECT_FALSE(e.uses_aws);
  EXPECT_FALSE(e.reap_deletes);
  const Defaults& r = route53_descriptor().defaults;
  EXPECT_EQ(r.batch_interval, std::chrono::seconds(1));
  EXPECT_EQ(r.batch_max_delay, std::chrono::milliseconds(2250));
  EXPECT_TRUE(r.records_outlive_agent);
  EXPECT_TRUE(r.uses_aws);
  EXPECT_TRUE(r.reap_deletes);
}

TEST(ProviderTable, SettingsDescribeThemselvesAndCheckTheirValues) {
  EmbeddedSettings e;
  EXPECT_EQ(e.describe(), (std::vector<std::pair<std::string, std::string>>{{"dns_listen", "127.0.0.1:8053"},
                                                                             {"dns_tcp_max_connections", "128"},
                                                                             {"dns_tcp_idle_timeout", "10s"}}));
  EXPECT_TRUE(e.validate(Role::kAgent).ok());
  e.dns_tcp_idle_timeout = "0s";
  auto idle = e.validate(Role::kAgent);
  ASSERT_FALSE(idle.ok());
  EXPECT_EQ(idle.error().message, "--dns-tcp-idle-timeout \"0s\": give a duration above 0 (500ms, 10s)");
  EXPECT_TRUE(e.validate(Role::kClient).ok());  // records and reap read by AXFR: no responder
  Route53Settings r;
  EXPECT_EQ(r.describe(),
            (std::vector<std::pair<std::string, std::string>>{{"zone_id", "-"}, {"zone_type", "private"}}));
  EXPECT_TRUE(r.validate(Role::kClient).ok());
  r.zone_type = "sideways";
  auto s = r.validate(Role::kClient);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, common::ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().message, "--zone-type \"sideways\": use private, public or any");
}

TEST(ProviderFactory, ChecksTheSettingsBeforeBuilding) {
  common::SimulatedTimeSystem time;
  boost::asio::io_context io;
  common::Metrics metrics;
  const auto env = common::Environment::from_map({{"AWS_EC2_METADATA_DISABLED", "true"}});
  Route53Settings bad;
  bad.zone_type = "sideways";
  const BuildContext context{.io = io,
                             .role = Role::kAgent,
                             .zone = "sd.internal",
                             .time = time,
                             .metrics = common::Scope(metrics),
                             .env = env};
  auto made = run_sync(io, make_provider(route53_descriptor(), bad, context));
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().code, common::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ecssd::provider
