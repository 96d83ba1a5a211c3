#include "provider/axfr/axfr_provider.h"

#include <fmt/format.h>

#include "dns/axfr_client.h"
#include "dns/zone.h"
#include "model/names.h"

namespace ecssd::provider {

AxfrProvider::AxfrProvider(AxfrProviderOptions options)
    : options_(std::move(options)), zone_(model::normalize_name(options_.zone)) {}

common::Task<common::Result<std::vector<model::Record>>> AxfrProvider::list() {
  dns::AxfrOptions o;
  o.server = options_.server;
  o.zone = zone_;
  o.timeout = options_.timeout;
  o.max_bytes = options_.max_bytes;
  auto result = co_await dns::axfr(std::move(o));
  if (!result.ok()) co_return result.error();
  co_return std::move(result.value().records);
}

common::Task<common::Result<ApplyReport>> AxfrProvider::apply(model::ChangeSet) {
  co_return common::make_error(
      common::ErrorCode::kPermissionDenied,
      fmt::format("zone {} is listed by AXFR from {}, which is read-only", zone_, options_.server));
}

model::Record AxfrProvider::canonicalize(model::Record r) const {
  auto c = dns::canonical_record(r);
  if (!c.ok()) {
    r.name = model::normalize_name(r.name);
    return r;
  }
  return std::move(c).value();
}

}  // namespace ecssd::provider
