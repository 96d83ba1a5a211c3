#include "provider/route53/route53_codec.h"

#include <arpa/inet.h>

#include <fmt/format.h>

#include "model/names.h"
#include "model/rdata.h"

namespace ecssd::provider::route53 {
namespace {

using common::ErrorCode;
using common::make_error;
using model::RecordType;

bool is_digit_in(char c, int base) { return c >= '0' && c < '0' + base; }

// Rewrites every \DDD escape from one base to the other (8 <-> 10), leaving
// \X escapes and everything else as it is, so model::txt_encode/txt_decode
// (decimal, RFC 1035) can serve Route 53's octal form too. nullopt when a
// numeric escape is malformed or above 255.
std::optional<std::string> rebase_escapes(std::string_view text, int from, int to) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    char next = text[i + 1];
    if (next < '0' || next > '9') {
      out += text.substr(i, 2);
      ++i;
      continue;
    }
    if (i + 3 >= text.size() || !is_digit_in(text[i + 1], from) || !is_digit_in(text[i + 2], from) ||
        !is_digit_in(text[i + 3], from)) {
      return std::nullopt;
    }
    int v = ((text[i + 1] - '0') * from + (text[i + 2] - '0')) * from + (text[i + 3] - '0');
    if (v > 255) return std::nullopt;
    out += to == 8 ? fmt::format("\\{:03o}", v) : fmt::format("\\{:03d}", v);
    i += 3;
  }
  return out;
}

std::string compress_ipv6(const std::string& v) {
  in6_addr addr{};
  char buf[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET6, v.c_str(), &addr) != 1 || !inet_ntop(AF_INET6, &addr, buf, sizeof buf)) return v;
  return buf;
}

std::string canonical_value(RecordType type, const std::string& v) {
  switch (type) {
    case RecordType::kCNAME:
    case RecordType::kNS: return model::normalize_name(v);
    case RecordType::kSRV: {
      auto srv = model::parse_srv(v);
      return srv.ok() ? model::format_srv(*srv) : v;
    }
    case RecordType::kTXT: {
      auto strings = decode_txt(v);
      return strings.ok() ? model::txt_encode(*strings) : v;
    }
    case RecordType::kAAAA: return compress_ipv6(v);
    default: return v;
  }
}

std::string absolute(std::string_view name) { return model::normalize_name(name) + "."; }

}  // namespace

std::string decode_name(std::string_view wire) {
  std::string out;
  out.reserve(wire.size());
  for (size_t i = 0; i < wire.size(); ++i) {
    if (wire[i] == '\\' && i + 3 < wire.size() && is_digit_in(wire[i + 1], 8) && is_digit_in(wire[i + 2], 8) &&
        is_digit_in(wire[i + 3], 8)) {
      out += static_cast<char>(((wire[i + 1] - '0') * 8 + (wire[i + 2] - '0')) * 8 + (wire[i + 3] - '0'));
      i += 3;
    } else if (wire[i] == '\\' && i + 1 < wire.size()) {
      out += wire[++i];
    } else {
      out += wire[i];
    }
  }
  return model::normalize_name(out);
}

common::Result<std::vector<std::string>> decode_txt(std::string_view wire) {
  auto decimal = rebase_escapes(wire, 8, 10);
  if (!decimal) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("bad octal escape in TXT value {}", wire));
  }
  return model::txt_decode(*decimal);
}

std::string encode_txt(const std::vector<std::string>& strings) {
  // txt_encode only writes well-formed decimal escapes, so rebasing cannot fail.
  return rebase_escapes(model::txt_encode(strings), 10, 8).value();
}

std::optional<model::Record> to_record(const RecordSet& rs) {
  auto type = model::parse_record_type(rs.type);
  if (!type) return std::nullopt;
  model::Record r;
  r.name = decode_name(rs.name);
  r.type = *type;
  r.ttl = rs.ttl.value_or(0);
  r.set_identifier = rs.set_identifier;
  r.weight = rs.weight;
  if (!rs.alias_dns_name.empty() && rs.values.empty()) {
    r.values.push_back(model::normalize_name(rs.alias_dns_name));
  } else {
    for (const auto& v : rs.values) r.values.push_back(canonical_value(*type, v));
  }
  return r;
}

common::Result<RecordSet> to_record_set(const model::Record& r) {
  RecordSet rs;
  rs.name = absolute(r.name);
  rs.type = std::string(model::to_string(r.type));
  rs.set_identifier = r.set_identifier;
  rs.weight = r.weight;
  rs.ttl = r.ttl;
  for (const auto& v : r.values) {
    switch (r.type) {
      case RecordType::kCNAME:
      case RecordType::kNS: rs.values.push_back(absolute(v)); break;
      case RecordType::kSRV: {
        auto srv = model::parse_srv(v);
        if (!srv.ok()) return srv.error();
        srv->target = absolute(srv->target);
        rs.values.push_back(model::format_srv(*srv));
        break;
      }
      case RecordType::kTXT: {
        auto strings = model::txt_decode(v);
        if (!strings.ok()) {
          return make_error(ErrorCode::kInvalidArgument,
                            fmt::format("{}: {}", model::describe(r), strings.error().message));
        }
        rs.values.push_back(encode_txt(*strings));
        break;
      }
      default: rs.values.push_back(v);
    }
  }
  return rs;
}

model::Record canonical(model::Record r) {
  auto rs = to_record_set(r);
  if (!rs.ok()) return r;
  auto listed = to_record(*rs);
  if (!listed) return r;
  listed->labels = std::move(r.labels);
  return std::move(*listed);
}

std::optional<Key> key_of(const RecordSet& rs) {
  auto type = model::parse_record_type(rs.type);
  if (!type) return std::nullopt;
  return Key{decode_name(rs.name), *type, rs.set_identifier};
}


}  // namespace ecssd::provider::route53
