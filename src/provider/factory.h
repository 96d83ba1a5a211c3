#pragma once
// Builds the provider a descriptor of the table describes (provider/table/),
// from the settings its flags filled. Knows no provider by name.
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "common/result.h"
#include "common/task.h"
#include "provider/descriptor.h"
#include "provider/provider.h"

namespace ecssd::provider {

// Checks `settings` (made by descriptor.make_settings) for context.role, then
// builds and starts the provider. `settings` and `context` must outlive the
// task. Errors: kInvalidArgument for bad settings; the provider's start-up
// errors (port in use, zone not found, no credentials).
common::Task<common::Result<std::unique_ptr<Provider>>> make_provider(const Descriptor& descriptor,
                                                                      const Settings& settings,
                                                                      const BuildContext& context);

}  // namespace ecssd::provider
