#include "provider/table/table.h"

#include "provider/embedded/descriptor.h"
#include "provider/rfc2136/descriptor.h"
#include "provider/route53/descriptor.h"

namespace ecssd::provider {

std::span<const Descriptor* const> providers() {
  // The table: one line per provider. The first is the default.
  static const Descriptor* const table[] = {
      &embedded_descriptor(),
      &route53_descriptor(),
      &rfc2136::descriptor(),
  };
  return table;
}

const Descriptor& default_provider() { return *providers().front(); }

const Descriptor* find_provider(std::string_view name) {
  for (const Descriptor* d : providers()) {
    if (d->name == name) return d;
  }
  return nullptr;
}

size_t index_of(const Descriptor& descriptor) {
  auto all = providers();
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] == &descriptor) return i;
  }
  return all.size();
}

std::vector<std::string> provider_names(const std::function<bool(const Descriptor&)>& keep) {
  std::vector<std::string> out;
  for (const Descriptor* d : providers()) {
    if (!keep || keep(*d)) out.emplace_back(d->name);
  }
  return out;
}

std::string join_names(const std::vector<std::string>& names, std::string_view last) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? std::string(last) : std::string(", ");
    out += names[i];
  }
  return out;
}

}  // namespace ecssd::provider
