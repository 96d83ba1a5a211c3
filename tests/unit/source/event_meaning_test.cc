#include "source/docker/event_meaning.h"

#include <gtest/gtest.h>

namespace ecssd::source {
namespace {

constexpr const char* kId = "079ff28a82056e988f45de27f762b28789d9e293bb79ad61d041cc98b37b1061";

EngineEvent event(std::string action, std::map<std::string, std::string> attributes = {}) {
  EngineEvent ev;
  ev.type = "container";
  ev.action = std::move(action);
  ev.id = kId;
  ev.attributes = std::move(attributes);
  ev.time_nano = 1;
  return ev;
}

TEST(EventMeaning, OtherTypesBadIdsAndNoiseMeanNothing) {
  auto image = event("pull");
  image.type = "image";
  EXPECT_EQ(meaning_of(image, false).kind, EventKind::kIgnore);
  auto bad = event("start");
  bad.id = "../x";
  EXPECT_EQ(meaning_of(bad, false).kind, EventKind::kIgnore);
  for (const char* a : {"exec_create: sh -c true", "exec_start: sh", "exec_die", "exec", "attach", "resize", "top",
                        "commit", "copy", "archive-path", "extract-to-dir", "mount", "unmount", "checkpoint"}) {
    EXPECT_EQ(meaning_of(event(a), false).kind, EventKind::kIgnore) << a;
    EXPECT_EQ(meaning_of(event(a), true).kind, EventKind::kIgnore) << a;
  }
  auto untyped = event("start");
  untyped.type = "";  // old engines
  EXPECT_EQ(meaning_of(untyped, false).kind, EventKind::kChange);
}

TEST(EventMeaning, ReplayedEventsOnlyAskForAnInspect) {
  for (const char* a : {"die", "kill", "stop", "destroy", "start", "health_status: unhealthy"}) {
    auto m = meaning_of(event(a, {{"signal", "9"}}), true);
    EXPECT_EQ(m.kind, EventKind::kReplay) << a;
    EXPECT_FALSE(m.stops || m.withdraws_run || m.new_run || m.health) << a;
  }
}

TEST(EventMeaning, DestroyAndRemoveForget) {
  EXPECT_EQ(meaning_of(event("destroy"), false).kind, EventKind::kForget);
  EXPECT_EQ(meaning_of(event("remove"), false).kind, EventKind::kForget);  // Podman
}

TEST(EventMeaning, WithdrawingEventsActAtOnce) {
  for (const char* a : {"die", "pause", "cleanup"}) {
    auto m = meaning_of(event(a), false);
    EXPECT_EQ(m.kind, EventKind::kChange) << a;
    EXPECT_TRUE(m.stops) << a;
    EXPECT_FALSE(m.withdraws_run) << a;
  }
  auto stop = meaning_of(event("stop"), false);
  EXPECT_TRUE(stop.stops);
  EXPECT_TRUE(stop.withdraws_run);
  for (const char* sig : {"15", "9", "2", "3", "SIGTERM", "KILL", "INT", "SIGQUIT", ""}) {
    auto m = meaning_of(event("kill", {{"signal", sig}}), false);
    EXPECT_TRUE(m.withdraws_run) << sig;
    EXPECT_FALSE(m.stops) << sig;
  }
  EXPECT_TRUE(meaning_of(event("kill"), false).withdraws_run);  // no signal attribute
  for (const char* sig : {"1", "SIGHUP", "USR1", "SIGUSR2", "10"}) {
    EXPECT_FALSE(meaning_of(event("kill", {{"signal", sig}}), false).withdraws_run) << sig;
  }
  EXPECT_EQ(meaning_of(event("health_status: unhealthy"), false).health, "unhealthy");
  EXPECT_EQ(meaning_of(event("health_status", {{"health_status", "healthy"}}), false).health, "healthy");  // Podman
}

TEST(EventMeaning, EverythingElseWaitsForItsInspect) {
  for (const char* a : {"create", "start", "restart", "unpause", "rename", "init", "update"}) {
    auto m = meaning_of(event(a), false);
    EXPECT_EQ(m.kind, EventKind::kChange) << a;
    EXPECT_FALSE(m.stops || m.withdraws_run || m.health) << a;
  }
  EXPECT_TRUE(meaning_of(event("start"), false).new_run);
  EXPECT_TRUE(meaning_of(event("restart"), false).new_run);
  EXPECT_FALSE(meaning_of(event("unpause"), false).new_run);
}

TEST(EventMeaning, ApplyAtOnce) {
  Container c;
  c.running = true;
  c.started_at = "run-1";
  apply_at_once(meaning_of(event("kill", {{"signal", "15"}, {"name", "web"}}), false), c);
  EXPECT_EQ(c.withdrawn_run, "run-1");
  EXPECT_TRUE(c.running);  // still draining
  EXPECT_EQ(c.name, "web");
  apply_at_once(meaning_of(event("rename", {{"name", "other"}}), false), c);
  EXPECT_EQ(c.name, "web");  // a name once known stays until the next inspect
  apply_at_once(meaning_of(event("die"), false), c);
  EXPECT_FALSE(c.running);
  apply_at_once(meaning_of(event("start"), false), c);
  EXPECT_FALSE(c.withdrawn_run);
  EXPECT_FALSE(c.running);  // the inspect confirms a start
  apply_at_once(meaning_of(event("health_status: starting"), false), c);
  EXPECT_EQ(c.health, "starting");
  apply_at_once(meaning_of(event("health_status"), false), c);  // no status: unchanged
  EXPECT_EQ(c.health, "starting");
}

}  // namespace
}  // namespace ecssd::source
