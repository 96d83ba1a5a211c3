#include "source/docker/container_table.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "common/log.h"

namespace ecssd::source {

std::string short_id(std::string_view id) { return std::string(id.substr(0, 12)); }

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-' || c == '.'; });
}

std::string describe(const std::vector<model::Service>& services) {
  std::string out;
  for (const auto& s : services) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}={}/{}", s.name, s.container_port, s.protocol);
    if (s.host_port) out += fmt::format(":{}", s.host_port);
  }
  return out;
}

ContainerTable::ContainerTable(bool ignore_health, SourceMetrics metrics, std::function<void()> changed)
    : ignore_health_(ignore_health), metrics_(std::move(metrics)), changed_(std::move(changed)) {}

std::vector<model::Service> ContainerTable::published(const Container& c) const {
  if (!c.inspected || !c.running) return {};
  if (c.withdrawn_run && *c.withdrawn_run == c.started_at) return {};
  if (!ignore_health_ && !c.health.empty() && c.health != "healthy") return {};
  return c.services;
}

std::vector<model::Service> ContainerTable::services() const {
  std::vector<model::Service> out;
  size_t n = 0;
  for (const auto& [id, c] : containers_) n += c.services.size();
  out.reserve(n);  // one allocation per plan run, not a doubling series
  for (const auto& [id, c] : containers_) {
    auto p = published(c);
    out.insert(out.end(), std::make_move_iterator(p.begin()), std::make_move_iterator(p.end()));
  }
  return out;
}

size_t ContainerTable::published_count() const {
  size_t n = 0;
  for (const auto& [id, c] : containers_) n += published(c).size();
  return n;
}

Container* ContainerTable::find(const std::string& id) {
  auto it = containers_.find(id);
  return it == containers_.end() ? nullptr : &it->second;
}

Container& ContainerTable::get(const std::string& id) { return containers_.try_emplace(id).first->second; }

bool ContainerTable::forget(const std::string& id, std::string_view reason) {
  auto it = containers_.find(id);
  if (it == containers_.end()) return false;
  auto before = published(it->second);
  std::string name = std::move(it->second.name);
  containers_.erase(it);
  announce(id, name, before, {}, reason);
  return true;
}

void ContainerTable::announce(const std::string& id, const std::string& name,
                              const std::vector<model::Service>& before, const std::vector<model::Service>& after,
                              std::string_view reason) {
  if (before == after) return;
  if (after.empty()) {
    log::info("container withdrawn",
              {{"container", short_id(id)}, {"name", name}, {"services", describe(before)}, {"reason", reason}});
  } else if (before.empty()) {
    log::info("container published", {{"container", short_id(id)}, {"name", name}, {"services", describe(after)}});
  } else {
    log::info("container services changed",
              {{"container", short_id(id)}, {"name", name}, {"services", describe(after)}});
  }
  if (changed_) changed_();
}

void ContainerTable::apply_inspect(const std::string& id, Container& c, InspectedContainer info) {
  auto before = published(c);
  c.name = info.name;
  c.running = info.running;
  c.health = info.health;
  if (c.withdrawn_run && c.withdrawn_run->empty()) c.withdrawn_run = info.started_at;
  if (c.withdrawn_run && *c.withdrawn_run != info.started_at) c.withdrawn_run.reset();
  c.started_at = info.started_at;
  c.services = std::move(info.extraction.services);
  c.services.shrink_to_fit();  // kept while the container runs: no growth slack (16 slots for 10 services)
  c.inspected = true;
  for (const auto& r : info.extraction.rejections) {
    if (!c.logged.insert(r.field + '\n' + r.reason).second) continue;
    ++rejections_logged_;
    metrics_.rejections.inc();
    log::warn("ignoring service variable",
              {{"container", short_id(id)}, {"name", c.name}, {"variable", r.field}, {"reason", r.reason}});
  }
  for (const auto& note : info.extraction.notes) {
    if (!c.logged.insert(note).second) continue;
    log::info("container address", {{"container", short_id(id)}, {"name", c.name}, {"note", note}});
  }
  std::string reason = !c.running ? info.status : c.withdrawn_run ? "stopping" : "health " + c.health;
  announce(id, c.name, before, published(c), reason);
}

}  // namespace ecssd::source
