#pragma once
// Internal to src/source/docker: what one engine event means for the source.
// Events act at once only to withdraw (die, stop, pause, cleanup, a
// terminating kill, a health status other than healthy); everything else is
// confirmed by the inspect the event asks for. destroy/remove forget the
// container; exec_* and other noise mean nothing. A replayed event (since=
// brought it back from before the current session) only asks for an inspect
// of a container already known.
#include <optional>
#include <string>
#include <string_view>

#include "source/docker/container_table.h"
#include "source/docker/event_decoder.h"

namespace ecssd::source {

enum class EventKind {
  kIgnore,   // another type, an id we do not use, or noise: not even counted for ordering
  kReplay,   // inspect the container if known; change nothing at once
  kForget,   // destroy/remove: forget the container
  kChange,   // apply `EventMeaning`'s immediate effects, then inspect
};

struct EventMeaning {
  EventKind kind = EventKind::kIgnore;
  // kChange only: what the event says at once.
  bool stops = false;                 // die, pause, cleanup, stop: no longer running
  bool withdraws_run = false;         // stop, a terminating kill: this run stays unpublished while it drains
  bool new_run = false;               // start, restart: the run may publish again
  std::optional<std::string> health;  // health_status: the status it reports
  std::string name;                   // the container name the event carries, if any
};

// Actions that say nothing about whether a container serves (a health
// check's exec_* events alone arrive every interval).
bool is_noise(std::string_view action);

// Signals whose default action ends the process and that are not commonly
// used to ask for a reload (SIGHUP, SIGUSR1/2 keep a container published).
bool terminating_signal(std::string_view signal);

// The meaning of `ev`; `replayed` when its time is not after the newest event
// of the previous session.
EventMeaning meaning_of(const EngineEvent& ev, bool replayed);

// Applies a kChange meaning's immediate effects to `c` (the name only when
// `c` has none yet).
void apply_at_once(const EventMeaning& meaning, Container& c);

}  // namespace ecssd::source
