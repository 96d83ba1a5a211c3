#include "model/rdata.h"

#include <cctype>
#include <charconv>
#include <sstream>

#include <fmt/format.h>

#include "model/names.h"

namespace ecssd::model {

using common::ErrorCode;
using common::make_error;

std::string txt_encode(const std::vector<std::string>& strings) {
  std::string out;
  auto emit = [&](std::string_view s) {
    if (!out.empty()) out += ' ';
    out += '"';
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20 || c >= 0x7f) {
        out += fmt::format("\\{:03d}", c);
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '"';
  };
  for (const auto& s : strings) {
    if (s.empty()) emit("");
    for (size_t i = 0; i < s.size(); i += 255) emit(std::string_view(s).substr(i, 255));
  }
  return out;
}

common::Result<std::vector<std::string>> txt_decode(std::string_view p) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < p.size()) {
    if (p[i] == ' ' || p[i] == '\t') {
      ++i;
      continue;
    }
    bool quoted = p[i] == '"';
    if (quoted) ++i;
    std::string s;
    bool closed = !quoted;
    while (i < p.size()) {
      char c = p[i];
      if (quoted && c == '"') {
        ++i;
        closed = true;
        break;
      }
      if (!quoted && (c == ' ' || c == '\t')) break;
      if (c == '\\') {
        if (i + 1 >= p.size()) return make_error(ErrorCode::kInvalidArgument, "TXT ends inside an escape");
        if (std::isdigit(static_cast<unsigned char>(p[i + 1]))) {
          if (i + 4 > p.size()) return make_error(ErrorCode::kInvalidArgument, "short \\DDD escape");
          unsigned v = 0;
          auto [ptr, ec] = std::from_chars(p.data() + i + 1, p.data() + i + 4, v);
          if (ec != std::errc() || ptr != p.data() + i + 4 || v > 255) {
            return make_error(ErrorCode::kInvalidArgument, "bad \\DDD escape in TXT");
          }
          s += static_cast<char>(v);
          i += 4;
        } else {
          s += p[i + 1];
          i += 2;
        }
        continue;
      }
      s += c;
      ++i;
    }
    if (!closed) return make_error(ErrorCode::kInvalidArgument, "unterminated quote in TXT");
    if (s.size() > 255) return make_error(ErrorCode::kInvalidArgument, "TXT character-string over 255 octets");
    out.push_back(std::move(s));
  }
  return out;
}

common::Result<Srv> parse_srv(std::string_view presentation) {
  std::istringstream in{std::string(presentation)};
  unsigned long prio = 0, weight = 0, port = 0;
  std::string target;
  if (!(in >> prio >> weight >> port >> target) || prio > 65535 || weight > 65535 || port > 65535) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("bad SRV data \"{}\"", presentation));
  }
  std::string rest;
  if (in >> rest) return make_error(ErrorCode::kInvalidArgument, fmt::format("bad SRV data \"{}\"", presentation));
  // "host.." is no name: read as "host." it would not read back the same.
  if (has_empty_label(target)) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("SRV target \"{}\" has an empty label", target));
  }
  // A lone backslash at its end would escape the dot it is written with.
  if (has_dangling_escape(target)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("SRV target \"{}\" ends in a backslash that escapes nothing", target));
  }
  return Srv{static_cast<uint16_t>(prio), static_cast<uint16_t>(weight), static_cast<uint16_t>(port),
             normalize_name(target)};
}

// An empty target is the root ("." in presentation: no service at this name).
std::string format_srv(const Srv& s) {
  return fmt::format("{} {} {} {}", s.priority, s.weight, s.port, s.target.empty() ? "." : s.target);
}

}  // namespace ecssd::model
