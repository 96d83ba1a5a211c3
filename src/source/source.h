#pragma once
// Where the desired state comes from (external-dns source.Source): a complete
// snapshot of the services this host should publish, plus a signal that it may
// have changed. Nothing outside src/source/docker sees Docker types.
#include <functional>
#include <string>
#include <vector>

#include "model/service.h"

namespace ecssd::source {

class Source {
 public:
  virtual ~Source() = default;

  // Begins watching, on the io_context the source was built with. on_change is
  // called on that context whenever services() may have changed; the caller
  // coalesces. Never throws; connection problems are retried internally with
  // backoff and logged once per state change.
  virtual void start(std::function<void()> on_change) = 0;

  // Stops watching and cancels every pending operation. Idempotent.
  virtual void stop() = 0;

  // Every service that should be published now: running containers that
  // declared one, healthy when they have a health check (unless health is
  // ignored). Only meaningful when synced().
  virtual std::vector<model::Service> services() const = 0;

  // True once a full listing has succeeded. While false (engine unreachable at
  // start-up), services() is unknown and the caller must not withdraw anything.
  virtual bool synced() const = 0;

  // Asks for a full relisting (periodic resync, SIGHUP). Asynchronous: on_change
  // fires when it completes.
  virtual void resync() = 0;
};

}  // namespace ecssd::source
