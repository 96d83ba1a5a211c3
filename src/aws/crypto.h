#pragma once
// The two primitives SigV4 needs (SHA-256 and HMAC-SHA256), from OpenSSL.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ecssd::aws {

using Digest = std::array<uint8_t, 32>;

Digest sha256(std::string_view data);
Digest hmac_sha256(std::string_view key, std::string_view data);
inline Digest hmac_sha256(const Digest& key, std::string_view data) {
  return hmac_sha256(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), data);
}

// Lower-case hex, as SigV4 writes hashes and signatures.
std::string to_hex(const Digest& d);
inline std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

// Overwrites a buffer that held key material.
void wipe(void* data, std::size_t size);

}  // namespace ecssd::aws
