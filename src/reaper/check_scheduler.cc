#include "reaper/check_scheduler.h"

#include <algorithm>
#include <queue>
#include <tuple>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>

#include "common/log.h"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive (GCC bug 109224)

namespace ecssd::reaper {

namespace net = boost::asio;

struct CheckScheduler::Run {
  Run(HealthPolicy policy, const common::TimeSource& time) : tracker(policy, time) {}
  HealthTracker tracker;
  std::vector<CheckSpec> specs;
  std::vector<std::string> details;  // the last probe's answer per target
  // Targets waiting for their next check, earliest due first (then in order added).
  using Item = std::tuple<common::SteadyTime, uint64_t, size_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
  uint64_t pushed = 0;
  size_t probes = 0;
  size_t workers_left = 0;
  common::Timer* done = nullptr;  // fires when the last worker leaves

  void push(size_t id) { queue.emplace(tracker.due(id), pushed++, id); }
};

CheckScheduler::CheckScheduler(Probe& probe, common::TimeSystem& time, HealthPolicy policy, size_t concurrency,
                               health::CheckMetrics* metrics)
    : probe_(probe),
      time_(time),
      policy_(policy),
      concurrency_(std::max<size_t>(concurrency, 1)),
      metrics_(metrics) {}

// Each worker takes the target due first, waits until it is due, probes it
// and, while the target has no verdict, queues its next check (due one
// interval after this one started). A worker leaves when the queue is empty:
// a retry is only ever queued by a worker that then looks at the queue again,
// so nothing is left behind.
common::Task<void> CheckScheduler::worker(Run* run) {
  auto wait = time_.make_timer(co_await net::this_coro::executor);
  while (!run->queue.empty()) {
    // No structured bindings around co_await (g++ 12).
    Run::Item item = run->queue.top();
    run->queue.pop();
    size_t id = std::get<2>(item);
    wait->expires_at(std::get<0>(item));
    co_await wait->wait();
    run->tracker.started(id);
    ++run->probes;
    const auto started = time_.steady_now();
    ProbeResult result = co_await probe_.check(run->specs[id]);
    if (metrics_) metrics_->record(result, time_.steady_now() - started);
    run->tracker.finished(id, result.healthy);
    run->details[id] = std::move(result.detail);
    if (run->tracker.needs_check(id)) run->push(id);
  }
}

common::Task<CheckResults> CheckScheduler::run(std::vector<CheckSpec> targets) {
  Run run(policy_, time_);
  run.specs = std::move(targets);
  run.details.resize(run.specs.size());
  for (size_t i = 0; i < run.specs.size(); ++i) run.push(run.tracker.add());

  if (!run.queue.empty()) {
    auto executor = co_await net::this_coro::executor;
    size_t workers = std::min(concurrency_, run.queue.size());
    auto done = time_.make_timer(executor);
    done->disarm();
    run.workers_left = workers;
    run.done = done.get();
    for (size_t i = 0; i < workers; ++i) {
      net::co_spawn(executor, worker(&run), [r = &run](std::exception_ptr e) {
        if (e) log::error("health check worker failed", {{"error", common::exception_message(e)}});
        // An expiry in the past wakes the waiter, and any later wait ends at once.
        if (--r->workers_left == 0) r->done->expires_at(common::SteadyTime::min());
      });
    }
    while (run.workers_left > 0) co_await done->wait();
    run.done = nullptr;
  }

  CheckResults out;
  out.probes = run.probes;
  out.policy = run.tracker.policy();
  out.targets.reserve(run.specs.size());
  for (size_t id = 0; id < run.specs.size(); ++id) {
    out.targets.push_back({run.tracker.health(id), run.tracker.checks(id), std::move(run.details[id])});
  }
  co_return out;
}

}  // namespace ecssd::reaper
