#pragma once
// Test helpers: queries built and responses parsed with libknot directly, so
// that the responder's own code is checked by an independent implementation.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// libknot's headers have no extern "C" guards of their own.
extern "C" {
#include <libknot/libknot.h>
}

namespace ecssd::dns::testing {

struct QuerySpec {
  std::string name;
  uint16_t qtype = KNOT_RRTYPE_A;
  uint16_t qclass = KNOT_CLASS_IN;
  uint16_t id = 0x1234;
  bool rd = true;
  bool cd = false;
  uint8_t opcode = KNOT_OPCODE_QUERY;
  bool edns = false;
  uint16_t edns_size = 1232;
  uint8_t edns_version = 0;
  bool edns_do = false;
};

std::string make_query(const QuerySpec& spec);
inline std::string make_query(std::string name, uint16_t qtype) {
  QuerySpec s;
  s.name = std::move(name);
  s.qtype = qtype;
  return make_query(s);
}

struct Rr {
  std::string owner;  // presentation with trailing dot, as received (case kept)
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string data;   // libknot's presentation of the RDATA
};

struct Response {
  bool parsed = false;
  std::string error;
  uint16_t id = 0;
  bool qr = false, aa = false, tc = false, rd = false, ra = false, cd = false;
  uint8_t opcode = 0;
  uint16_t rcode = 0;  // extended when an OPT is present
  uint16_t qdcount = 0;
  std::string qname;   // as echoed
  uint16_t qtype = 0;
  std::vector<Rr> answer, authority, additional;
  bool has_opt = false;
  uint16_t opt_size = 0;
  uint8_t opt_version = 0;
  bool opt_do = false;
  size_t size = 0;
};

Response parse_response(std::string_view wire);

inline std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace ecssd::dns::testing
