#include "dns/knot_util.h"

#include <arpa/inet.h>

#include <sstream>

#include <fmt/format.h>

#include "model/names.h"
#include "model/rdata.h"

namespace ecssd::dns::detail {
namespace {

using common::ErrorCode;
using common::make_error;

void put_u16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}
void put_u32(std::string& out, uint32_t v) {
  put_u16(out, static_cast<uint16_t>(v >> 16));
  put_u16(out, static_cast<uint16_t>(v & 0xffff));
}

// Length of the uncompressed name at data (bounded by end), or 0 when it is
// not a valid uncompressed name.
size_t name_length(const uint8_t* data, const uint8_t* end) {
  int n = knot_dname_wire_check(data, end, nullptr);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

// True when text[i] is escaped in presentation form ("a\." ends in a label
// "a."): an odd number of backslashes before it.
bool escaped_at(std::string_view text, size_t i) {
  size_t backslashes = 0;
  while (backslashes < i && text[i - backslashes - 1] == '\\') ++backslashes;
  return backslashes % 2 == 1;
}

// A name inside RDATA, where the root is meaningful (an SRV target of "."
// says the service is not offered, an SOA may name no primary): "." is the
// root, which name_to_wire refuses as a record name.
common::Result<WireName> rdata_name_to_wire(std::string_view name, std::string_view what) {
  if (name == ".") return WireName(1, '\0');
  return name_to_wire(name, what);
}

std::string rdata_name(const knot_dname_t* name) {
  std::string text = wire_to_name(name);
  return text.empty() ? "." : text;
}

}  // namespace

common::Error knot_failure(int code, std::string_view what) {
  bool bound = code == KNOT_ESPACE || code == KNOT_ERANGE;
  return make_error(bound ? ErrorCode::kInvalidArgument : ErrorCode::kInternal,
                    fmt::format("{}: {}", what, knot_error(code)));
}

common::Result<WireName> name_to_wire(std::string_view name, std::string_view what) {
  // libknot refuses empty labels inside a name, but would read "a.." as
  // the absolute "a.", which does not read back.
  if (model::has_empty_label(name)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{} \"{}\" is not a valid DNS name (it has an empty label)", what, name));
  }
  std::string text(name);
  if (!text.empty() && text.back() == '.' && !escaped_at(text, text.size() - 1)) text.pop_back();
  if (text.empty()) return make_error(ErrorCode::kInvalidArgument, fmt::format("{} is empty", what));
  // libknot reads the escapes wire_to_name writes ("\.", "\\", "\DDD"), as
  // has_empty_label does: a plain search for ".." would refuse "a\..b".
  uint8_t buf[KNOT_DNAME_MAXLEN];
  if (knot_dname_from_str(buf, text.c_str(), sizeof buf) == nullptr) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{} \"{}\" is not a valid DNS name (labels of 1-63 octets, none empty, 255 in all)",
                                  what, name));
  }
  knot_dname_to_lower(buf);
  return WireName(reinterpret_cast<const char*>(buf), knot_dname_size(buf));
}

std::string wire_to_name(const knot_dname_t* name) {
  char buf[KNOT_DNAME_TXT_MAXLEN + 1];
  if (knot_dname_to_str(buf, name, sizeof buf) == nullptr) return {};
  return model::normalize_name(buf);
}

common::Result<std::string> rdata_to_wire(model::RecordType type, std::string_view value) {
  using model::RecordType;
  std::string out;
  switch (type) {
    case RecordType::kA:
    case RecordType::kAAAA: {
      std::string text(value);
      unsigned char buf[16];
      int family = type == RecordType::kA ? AF_INET : AF_INET6;
      if (inet_pton(family, text.c_str(), buf) != 1) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("\"{}\" is not an {} address", value, type == RecordType::kA ? "IPv4" : "IPv6"));
      }
      out.assign(reinterpret_cast<const char*>(buf), type == RecordType::kA ? 4 : 16);
      return out;
    }
    case RecordType::kCNAME:
    case RecordType::kNS: {
      auto n = rdata_name_to_wire(value, fmt::format("{} target", model::to_string(type)));
      if (!n.ok()) return n.error();
      return std::move(n).value();
    }
    case RecordType::kTXT: {
      auto strings = model::txt_decode(value);
      if (!strings.ok()) return strings.error();
      if (strings->empty()) return make_error(ErrorCode::kInvalidArgument, "TXT value holds no character-string");
      for (const auto& s : *strings) {
        out += static_cast<char>(s.size());  // txt_decode bounds each string to 255
        out += s;
      }
      if (out.size() > 65535) return make_error(ErrorCode::kInvalidArgument, "TXT value over 65535 octets");
      return out;
    }
    case RecordType::kSRV: {
      auto srv = model::parse_srv(value);
      if (!srv.ok()) return srv.error();
      // parse_srv normalizes the root to "".
      auto target = rdata_name_to_wire(srv->target.empty() ? "." : srv->target, "SRV target");
      if (!target.ok()) return target.error();
      put_u16(out, srv->priority);
      put_u16(out, srv->weight);
      put_u16(out, srv->port);
      out += *target;
      return out;
    }
    case RecordType::kSOA: {
      std::istringstream in{std::string(value)};
      std::string mname, rname;
      unsigned long long v[5];
      if (!(in >> mname >> rname >> v[0] >> v[1] >> v[2] >> v[3] >> v[4])) {
        return make_error(ErrorCode::kInvalidArgument, fmt::format("bad SOA data \"{}\"", value));
      }
      auto m = rdata_name_to_wire(mname, "SOA mname");
      if (!m.ok()) return m.error();
      auto r = rdata_name_to_wire(rname, "SOA rname");
      if (!r.ok()) return r.error();
      out = *m + *r;
      for (auto x : v) {
        if (x > 0xffffffffULL) return make_error(ErrorCode::kInvalidArgument, fmt::format("bad SOA data \"{}\"", value));
        put_u32(out, static_cast<uint32_t>(x));
      }
      return out;
    }
  }
  return make_error(ErrorCode::kInvalidArgument, "unsupported record type");
}

common::Result<std::string> rdata_to_text(uint16_t type, const uint8_t* data, size_t len) {
  const uint8_t* end = data + len;
  auto bad = [&] { return make_error(ErrorCode::kProtocol, fmt::format("malformed RDATA of type {}", type)); };
  switch (type) {
    case KNOT_RRTYPE_A:
    case KNOT_RRTYPE_AAAA: {
      size_t want = type == KNOT_RRTYPE_A ? 4 : 16;
      if (len != want) return bad();
      char buf[INET6_ADDRSTRLEN];
      if (inet_ntop(type == KNOT_RRTYPE_A ? AF_INET : AF_INET6, data, buf, sizeof buf) == nullptr) return bad();
      return std::string(buf);
    }
    case KNOT_RRTYPE_CNAME:
    case KNOT_RRTYPE_NS: {
      if (name_length(data, end) != len) return bad();
      return rdata_name(data);
    }
    case KNOT_RRTYPE_TXT: {
      std::vector<std::string> strings;
      for (const uint8_t* p = data; p < end;) {
        size_t n = *p++;
        if (static_cast<size_t>(end - p) < n) return bad();
        strings.emplace_back(reinterpret_cast<const char*>(p), n);
        p += n;
      }
      if (strings.empty()) return bad();
      return model::txt_encode(strings);
    }
    case KNOT_RRTYPE_SRV: {
      if (len < 7 || name_length(data + 6, end) != len - 6) return bad();
      model::Srv srv{knot_wire_read_u16(data), knot_wire_read_u16(data + 2), knot_wire_read_u16(data + 4),
                     wire_to_name(data + 6)};  // format_srv writes the root as "."
      return model::format_srv(srv);
    }
    case KNOT_RRTYPE_SOA: {
      size_t m = name_length(data, end);
      if (m == 0) return bad();
      size_t r = name_length(data + m, end);
      if (r == 0 || m + r + 20 != len) return bad();
      const uint8_t* t = data + m + r;
      return fmt::format("{} {} {} {} {} {} {}", rdata_name(data), rdata_name(data + m), knot_wire_read_u32(t),
                         knot_wire_read_u32(t + 4), knot_wire_read_u32(t + 8), knot_wire_read_u32(t + 12),
                         knot_wire_read_u32(t + 16));
    }
    default:
      return make_error(ErrorCode::kInvalidArgument, fmt::format("record type {} is not modelled by ecssd", type));
  }
}

}  // namespace ecssd::dns::detail
