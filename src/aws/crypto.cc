#include "aws/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace ecssd::aws {

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  // EVP_Digest cannot fail for SHA-256 with in-memory input short of a broken
  // OpenSSL; a failure would leave a zero digest, which never verifies.
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

Digest hmac_sha256(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out.data(), &len);
  return out;
}

std::string to_hex(const Digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(d.size() * 2);
  for (uint8_t b : d) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  return out;
}

void wipe(void* data, std::size_t size) { OPENSSL_cleanse(data, size); }

}  // namespace ecssd::aws
