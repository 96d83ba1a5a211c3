#pragma once
// Every provider ecssd knows, each described by its own folder
// (provider/<name>/descriptor.h). The CLI lists, checks, documents and builds
// providers through this table only: nothing outside the descriptors
// compares provider names. An explicit list, not self-registering statics
// (their initialisation order and dropped objects in static libraries make
// them unreliable).
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "provider/descriptor.h"

namespace ecssd::provider {

// In the order help texts list them; the first is --provider's default.
std::span<const Descriptor* const> providers();
const Descriptor& default_provider();

// The provider named `name`; null when the table has none.
const Descriptor* find_provider(std::string_view name);

// Its position in providers(); providers().size() when it is not there.
size_t index_of(const Descriptor& descriptor);

// The names of the providers `keep` accepts (every one without it), in
// table order.
std::vector<std::string> provider_names(const std::function<bool(const Descriptor&)>& keep = {});

// "a", "a or b", "a, b or c" (with `last` = " or "): for help and messages.
std::string join_names(const std::vector<std::string>& names, std::string_view last = " or ");

}  // namespace ecssd::provider
