#include "source/docker/event_meaning.h"

#include <set>

namespace ecssd::source {

bool is_noise(std::string_view action) {
  static const std::set<std::string_view> kNoise = {"attach",         "detach", "resize",  "top",
                                                    "export",         "commit", "copy",    "archive-path",
                                                    "extract-to-dir", "mount",  "unmount", "checkpoint"};
  return action.starts_with("exec") || kNoise.contains(action);  // Podman: "exec", "exec_died"
}

bool terminating_signal(std::string_view sig) {
  if (sig.starts_with("SIG")) sig.remove_prefix(3);
  return sig.empty() || sig == "15" || sig == "9" || sig == "2" || sig == "3" || sig == "TERM" || sig == "KILL" ||
         sig == "INT" || sig == "QUIT";
}

EventMeaning meaning_of(const EngineEvent& ev, bool replayed) {
  EventMeaning m;
  if (!ev.type.empty() && ev.type != "container") return m;
  if (!valid_id(ev.id)) return m;
  std::string_view action = ev.base_action();
  if (is_noise(action)) return m;
  if (replayed) {
    m.kind = EventKind::kReplay;
    return m;
  }
  if (action == "destroy" || action == "remove") {
    m.kind = EventKind::kForget;
    return m;
  }
  m.kind = EventKind::kChange;
  if (auto n = ev.attributes.find("name"); n != ev.attributes.end()) m.name = n->second;
  if (action == "die" || action == "pause" || action == "cleanup") {
    m.stops = true;
  } else if (action == "stop") {
    // Podman says stop before the process ends (Docker after die): the run
    // may still look alive during its grace period.
    m.stops = true;
    m.withdraws_run = true;
  } else if (action == "kill") {
    auto sig = ev.attributes.find("signal");
    m.withdraws_run =
        terminating_signal(sig == ev.attributes.end() ? std::string_view() : std::string_view(sig->second));
  } else if (action == "health_status") {
    std::string_view status = ev.detail();
    if (!status.empty()) m.health = std::string(status);
  } else if (action == "start" || action == "restart") {
    m.new_run = true;
  }
  return m;
}

void apply_at_once(const EventMeaning& m, Container& c) {
  if (c.name.empty() && !m.name.empty()) c.name = m.name;
  if (m.stops) c.running = false;
  if (m.withdraws_run) c.withdrawn_run = c.started_at;
  if (m.health) c.health = *m.health;
  if (m.new_run) c.withdrawn_run.reset();
}

}  // namespace ecssd::source
