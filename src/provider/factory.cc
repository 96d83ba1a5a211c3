#include "provider/factory.h"

namespace ecssd::provider {

common::Task<common::Result<std::unique_ptr<Provider>>> make_provider(const Descriptor& descriptor,
                                                                      const Settings& settings,
                                                                      const BuildContext& context) {
  if (auto s = settings.validate(context.role); !s.ok()) co_return s.error();
  co_return co_await descriptor.build(context, settings);
}

}  // namespace ecssd::provider
