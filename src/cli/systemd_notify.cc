#include "cli/systemd_notify.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fmt/format.h>
#include <systemd/sd-daemon.h>

#include "agent/agent.h"
#include "agent/status_server.h"
#include "common/log.h"

namespace ecssd::cli {

namespace {
// Until READY=1 the state is polled often, so READY follows the first plan
// run closely; after it, STATUS= changes are not urgent.
constexpr std::chrono::milliseconds kPollBeforeReady{100};
constexpr std::chrono::milliseconds kPollAfterReady{1000};

// sd_notify's STATUS= is one line: no newlines, bounded.
std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (s.size() > 400) s.resize(400);
  return s;
}
}  // namespace

ServiceState agent_service_state(const agent::Agent* agent, const agent::Readiness& readiness) {
  if (agent == nullptr) return {false, "starting: setting up the provider"};
  if (!readiness.ready) return {false, "waiting: " + readiness.reason};
  const auto& s = agent->stats();
  // A plan run on a full listing has finished: it left nothing to do or
  // applied its changes (converged), or the provider answered and refused
  // some of them (counted in apply_failures, retried in the background).
  // apply_failures only grows in such runs; provider_ok rules out a run
  // whose requests failed.
  const bool first_run_done = s.source_synced && s.plan_runs > 0 && s.provider_ok &&
                              (s.converged || s.apply_failures > 0);
  if (!first_run_done) return {false, "publishing the records of the running containers"};
  return {true, fmt::format("in sync: {} record{} published{}", s.published, s.published == 1 ? "" : "s",
                            s.converged ? "" : "; some changes refused, retrying")};
}

std::unique_ptr<SystemdNotifier> SystemdNotifier::from_environment(boost::asio::io_context& io,
                                                                   const common::Environment& env,
                                                                   common::TimeSystem& time, Probe probe) {
  auto socket = env.get("NOTIFY_SOCKET");
  if (!socket) return nullptr;
  uint64_t usec = 0;
  // > 0 when WATCHDOG_USEC is set (and WATCHDOG_PID, if set, is this process).
  // libsystemd reads these two itself; they come with NOTIFY_SOCKET.
  if (sd_watchdog_enabled(0, &usec) <= 0) usec = 0;
  log::debug("systemd notification socket", {{"socket", *socket}, {"watchdog_usec", static_cast<int64_t>(usec)}});
  return std::make_unique<SystemdNotifier>(io, time, std::move(probe), std::chrono::microseconds(usec));
}

SystemdNotifier::SystemdNotifier(boost::asio::io_context& io, common::TimeSystem& time, Probe probe,
                                 std::chrono::microseconds watchdog)
    : poll_timer_(time.make_timer(io.get_executor())),
      watchdog_timer_(time.make_timer(io.get_executor())),
      probe_(std::move(probe)),
      watchdog_(watchdog) {
  if (watchdog_.count() > 0) {
    send("WATCHDOG=1");
    boost::asio::co_spawn(io, watchdog_loop(), boost::asio::detached);
  }
  // The first state is sent from the event loop, once it runs.
  boost::asio::co_spawn(io, poll_loop(), boost::asio::detached);
}

SystemdNotifier::~SystemdNotifier() {
  stopped_ = true;
  poll_timer_->cancel();
  watchdog_timer_->cancel();
}

void SystemdNotifier::send(const std::string& state) {
  static bool warned = false;
  int r = sd_notify(0, state.c_str());
  if (r < 0 && !warned) {
    warned = true;
    log::warn("cannot notify systemd", {{"error", std::string(std::strerror(-r))}});
  }
}

void SystemdNotifier::poll() {
  if (stopped_) return;
  ServiceState state = probe_();
  std::string status = one_line(state.status);
  if (state.ready && !ready_sent_) {
    ready_sent_ = true;
    send("READY=1\nSTATUS=" + status);
    last_status_ = status;
    log::info("ready: told systemd", {{"status", status}});
  } else if (status != last_status_) {
    send("STATUS=" + status);
    last_status_ = status;
  }
}

common::Task<void> SystemdNotifier::poll_loop() {
  while (!stopped_) {
    poll();
    if (stopped_) break;
    poll_timer_->expires_after(ready_sent_ ? kPollAfterReady : kPollBeforeReady);
    const bool expired = co_await poll_timer_->wait();
    if (!expired) break;
  }
}

common::Task<void> SystemdNotifier::watchdog_loop() {
  while (!stopped_) {
    // Half the interval, as sd_watchdog_enabled(3) recommends.
    watchdog_timer_->expires_after(watchdog_ / 2);
    const bool expired = co_await watchdog_timer_->wait();
    if (!expired || stopped_) break;
    send("WATCHDOG=1");
  }
}

void SystemdNotifier::stopping(const std::string& why) {
  if (stopped_) return;
  stopped_ = true;
  poll_timer_->cancel();
  watchdog_timer_->cancel();
  send("STOPPING=1\nSTATUS=" + one_line(why));
}

}  // namespace ecssd::cli
