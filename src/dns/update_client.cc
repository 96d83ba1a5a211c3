#include "dns/update_client.h"

#include <random>

#include <fmt/format.h>

#include "dns/knot_util.h"
#include "dns/tcp_exchange.h"
#include "model/names.h"

namespace ecssd::dns {

size_t max_update_size(const ServerOptions& options) {
  return kMaxTcpMessage - (options.key ? options.key->max_rr_size() : 0);
}

common::Task<common::Result<UpdateAnswer>> send_update(const ServerOptions& options, std::string_view zone,
                                                       const UpdateRequest& request) {
  static thread_local std::mt19937 ids{std::random_device{}()};
  const auto id = static_cast<uint16_t>(ids());
  auto wire = build_update(zone, request, id, kMaxTcpMessage - max_update_size(options));
  if (!wire.ok()) co_return wire.error();
  const std::string what = fmt::format("UPDATE of zone {}", model::normalize_name(zone));
  UpdateAnswer out;
  bool got = false;
  auto on_answer = [&](detail::ParsedAnswer& a) -> common::Result<bool> {
    if (knot_wire_get_opcode(a.pkt->wire) != KNOT_OPCODE_UPDATE) {
      return common::make_error(common::ErrorCode::kProtocol, what + ": the answer is not an UPDATE answer");
    }
    out.answer = std::move(a.answer);
    got = true;
    return true;  // an UPDATE has one answer
  };
  auto s = co_await detail::exchange(options, std::move(wire).value(), detail::kMaxTcpAnswer, on_answer, &out.wire,
                                     what);
  if (!s.ok()) co_return s.error();
  if (!got) co_return common::make_error(common::ErrorCode::kProtocol, what + ": no answer");
  co_return out;
}

}  // namespace ecssd::dns
