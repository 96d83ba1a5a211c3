#include "dns/tsig.h"

#include <ctime>

#include <fmt/format.h>

#include "dns/knot_util.h"

namespace ecssd::dns {

using common::ErrorCode;
using common::make_error;

struct TsigSigner::Impl {
  knot_tsig_key_t key{};
  std::string description;
  ~Impl() { knot_tsig_key_deinit(&key); }
};

namespace {

// SHA-512's 64 octets: the longest MAC of the algorithms we accept.
constexpr size_t kMaxMac = 64;
// RFC 8945 section 5.3.1: a server may leave at most 99 messages unsigned.
constexpr size_t kMaxUnsigned = 99;

common::Error denied(const TsigSigner& s, std::string why) {
  return make_error(ErrorCode::kPermissionDenied, fmt::format("TSIG key {}: {}", s.describe(), why));
}

}  // namespace

common::Result<TsigSigner> TsigSigner::make(const TsigKey& key) {
  auto impl = std::make_shared<Impl>();
  impl->description = key.describe();
  int ret = knot_tsig_key_init(&impl->key, std::string(to_string(key.algorithm())).c_str(), key.name().c_str(),
                               key.secret_base64().c_str());
  if (ret != KNOT_EOK) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("TSIG key {} cannot be used: {}", key.describe(), detail::knot_error(ret)));
  }
  return TsigSigner(std::move(impl));
}

size_t TsigSigner::max_rr_size() const { return knot_tsig_wire_maxsize(&impl_->key); }
std::string TsigSigner::describe() const { return impl_->description; }

TsigExchange::TsigExchange(TsigSigner signer) : signer_(std::move(signer)) {}

common::Status TsigExchange::sign(uint8_t* wire, size_t* size, size_t capacity) {
  uint8_t mac[kMaxMac];
  size_t mac_len = sizeof mac;
  time_signed_ = static_cast<uint64_t>(std::time(nullptr));
  int ret = knot_tsig_sign(wire, size, capacity, nullptr, 0, mac, &mac_len, &signer_.impl().key, 0, 0);
  if (ret == KNOT_ESPACE) return make_error(ErrorCode::kTooLarge, "the message has no room for its TSIG signature");
  if (ret != KNOT_EOK) return make_error(ErrorCode::kInternal, fmt::format("TSIG signing: {}", detail::knot_error(ret)));
  mac_.assign(mac, mac + mac_len);
  first_ = true;
  unsigned_.clear();
  unsigned_count_ = 0;
  return {};
}

common::Status TsigExchange::verify(knot_pkt* answer) {
  if (answer->tsig_rr == nullptr) {
    if (first_) return denied(signer_, "the answer is not signed: a server that knows the key signs it");
    if (++unsigned_count_ > kMaxUnsigned) return denied(signer_, "over 99 answer messages in a row are not signed");
    unsigned_.insert(unsigned_.end(), answer->wire, answer->wire + answer->size);
    return {};
  }
  // The MAC covers every unsigned message since the last signed one, then this one.
  std::vector<uint8_t> covered = std::move(unsigned_);
  covered.insert(covered.end(), answer->wire, answer->wire + answer->size);
  unsigned_.clear();
  unsigned_count_ = 0;
  int ret = first_ ? knot_tsig_client_check(answer->tsig_rr, covered.data(), covered.size(), mac_.data(), mac_.size(),
                                            &signer_.impl().key, 0)
                   : knot_tsig_client_check_next(answer->tsig_rr, covered.data(), covered.size(), mac_.data(),
                                                 mac_.size(), &signer_.impl().key, last_answer_time_);
  switch (ret) {
    case KNOT_EOK: break;
    case KNOT_TSIG_EBADSIG:
      return denied(signer_, "the answer's signature does not verify: the server signs with another secret");
    case KNOT_TSIG_EBADKEY:
      return denied(signer_, "the answer is signed with another key name or algorithm");
    case KNOT_TSIG_EBADTIME: {
      auto ahead = static_cast<int64_t>(knot_tsig_rdata_time_signed(answer->tsig_rr)) -
                   static_cast<int64_t>(std::time(nullptr));
      return denied(signer_, fmt::format("the answer's time is {} s {} our clock (allowed: {} s): fix the clock "
                                         "(NTP) here or on the server",
                                         std::llabs(ahead), ahead >= 0 ? "ahead of" : "behind",
                                         knot_tsig_rdata_fudge(answer->tsig_rr)));
    }
    default: return denied(signer_, fmt::format("the answer's signature is malformed ({})", detail::knot_error(ret)));
  }
  const uint8_t* mac = knot_tsig_rdata_mac(answer->tsig_rr);
  mac_.assign(mac, mac + knot_tsig_rdata_mac_length(answer->tsig_rr));
  last_answer_time_ = knot_tsig_rdata_time_signed(answer->tsig_rr);
  first_ = false;
  return {};
}

ServerTsigVerdict TsigExchange::server_verdict(const knot_pkt* answer) const {
  ServerTsigVerdict v;
  if (answer->tsig_rr == nullptr) return v;
  v.error = knot_tsig_rdata_error(answer->tsig_rr);
  if (v.error == kTsigBadTime) {
    // The server's clock: Other Data (6 octets) when present, else Time Signed.
    uint64_t server_time = knot_tsig_rdata_time_signed(answer->tsig_rr);
    if (knot_tsig_rdata_other_data_length(answer->tsig_rr) == 6) {
      server_time = knot_wire_read_u48(knot_tsig_rdata_other_data(answer->tsig_rr));
    }
    v.server_clock_ahead = static_cast<int64_t>(server_time) - static_cast<int64_t>(time_signed_);
  }
  return v;
}

}  // namespace ecssd::dns
