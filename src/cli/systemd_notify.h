// The systemd service notification protocol for `ecssd agent` under a unit
// with Type=notify (deploy/systemd/ecssd-agent.service), through libsystemd's
// sd_notify(3):
//   READY=1     once the engine was listed and the first plan run is done
//               (units ordered after the agent find the records);
//   STATUS=...  what the agent is doing, whenever that changes;
//   WATCHDOG=1  every half WATCHDOG_USEC, from the agent's event loop (a
//               stuck loop stops the pings, systemd restarts the unit);
//   STOPPING=1  on the way out.
// Outside systemd (no NOTIFY_SOCKET) nothing is created and nothing runs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "common/environment.h"
#include "common/task.h"
#include "common/time_system.h"

namespace ecssd::agent {
class Agent;
struct Readiness;
}  // namespace ecssd::agent

namespace ecssd::cli {

struct ServiceState {
  bool ready = false;  // READY=1 may be sent (it is sent once)
  std::string status;  // the STATUS= line
};

// The agent's state as systemd is told it: not ready before the agent exists
// (the provider is being set up), while `readiness` says why not (engine not
// listed, provider failing), or while the first plan run on a full listing
// has not finished.
ServiceState agent_service_state(const agent::Agent* agent, const agent::Readiness& readiness);

class SystemdNotifier {
 public:
  using Probe = std::function<ServiceState()>;

  // nullptr when the process was not started by systemd with a notify
  // socket (NOTIFY_SOCKET unset in `env`). `probe` is called on `io`; the
  // pings and polls wait on `time`'s timers. `time` must outlive it.
  static std::unique_ptr<SystemdNotifier> from_environment(boost::asio::io_context& io,
                                                           const common::Environment& env,
                                                           common::TimeSystem& time, Probe probe);

  SystemdNotifier(boost::asio::io_context& io, common::TimeSystem& time, Probe probe,
                  std::chrono::microseconds watchdog);
  ~SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // STOPPING=1 and a last STATUS=; the timers stop.
  void stopping(const std::string& why = "stopping");

  bool ready_sent() const { return ready_sent_; }

 private:
  void poll();
  common::Task<void> poll_loop();
  common::Task<void> watchdog_loop();
  void send(const std::string& state);

  std::unique_ptr<common::Timer> poll_timer_;
  std::unique_ptr<common::Timer> watchdog_timer_;
  Probe probe_;
  std::chrono::microseconds watchdog_;  // 0: no watchdog
  std::string last_status_;
  bool ready_sent_ = false;
  bool stopped_ = false;
};

}  // namespace ecssd::cli
