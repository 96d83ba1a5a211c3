#pragma once
// The status page served at "/" by the agent and by `ecssd reap --every`.
#include <string_view>

namespace ecssd::agent {

// The whole HTML document.
std::string_view status_page_html();

}  // namespace ecssd::agent
