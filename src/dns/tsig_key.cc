#include "dns/tsig_key.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "dns/knot_util.h"
#include "model/names.h"

namespace ecssd::dns {
namespace {

using common::ErrorCode;
using common::make_error;

constexpr std::pair<TsigAlgorithm, std::string_view> kAlgorithms[] = {
    {TsigAlgorithm::kHmacSha1, "hmac-sha1"},     {TsigAlgorithm::kHmacSha224, "hmac-sha224"},
    {TsigAlgorithm::kHmacSha256, "hmac-sha256"}, {TsigAlgorithm::kHmacSha384, "hmac-sha384"},
    {TsigAlgorithm::kHmacSha512, "hmac-sha512"},
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

common::Error bad(std::string_view source, size_t line, std::string_view why) {
  return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: line {}: {}", source, line, why));
}

// One key as read, before its fields are checked.
struct RawKey {
  std::string name;
  std::string algorithm;  // empty: the default
  std::string secret;
  size_t line = 0;
};

// Text of the file quoted in an error: a file read the wrong way round (a
// missing line break, a blank inside a field) can put the secret in a name
// or a field, so only what could be a name is shown.
std::string shown(std::string_view text, bool quoted = true, size_t longest = 100) {
  bool name_like = !text.empty() && text.size() <= longest && std::all_of(text.begin(), text.end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
                   });
  if (!name_like) return "(not shown)";
  return quoted ? fmt::format("\"{}\"", text) : std::string(text);
}

// Checks the fields with libknot (name syntax, base64 secret), which is what
// will sign with them.
common::Result<TsigKey> finish(const RawKey& raw, std::string_view source) {
  if (raw.name.empty()) return bad(source, raw.line, "a key without a name");
  if (raw.secret.empty()) return bad(source, raw.line, fmt::format("key {} has no secret", shown(raw.name)));
  // libknot reads C strings: a NUL would cut the name or secret it checks,
  // and later signs with, short of what the file says.
  if (raw.name.find('\0') != std::string::npos || raw.secret.find('\0') != std::string::npos) {
    return bad(source, raw.line, "a key name or secret holds a NUL octet");
  }
  auto alg = raw.algorithm.empty() ? std::optional(TsigAlgorithm::kHmacSha256) : parse_tsig_algorithm(raw.algorithm);
  if (!alg) {
    return bad(source, raw.line,
               fmt::format("key {}: algorithm {} is not one of hmac-sha256, hmac-sha512, hmac-sha384, "
                           "hmac-sha224, hmac-sha1",
                           shown(raw.name), shown(raw.algorithm, true, 12)));  // "hmac-sha512" is 11
  }
  if (auto wire = detail::name_to_wire(raw.name, "key name"); !wire.ok()) {
    return bad(source, raw.line, fmt::format("key name {} is not a valid DNS name", shown(raw.name)));
  }
  TsigKey key(raw.name, *alg, raw.secret);
  knot_tsig_key_t k{};
  int ret = knot_tsig_key_init(&k, std::string(to_string(*alg)).c_str(), key.name().c_str(), raw.secret.c_str());
  knot_tsig_key_deinit(&k);
  if (ret != KNOT_EOK) {
    return bad(source, raw.line, fmt::format("the secret of key {} is not valid base64", shown(raw.name)));
  }
  return key;
}

// --- BIND: key "name" { algorithm x; secret "y"; }; ---

struct Token {
  std::string text;
  bool quoted = false;
  size_t line = 0;
};

common::Result<std::vector<Token>> tokenize(std::string_view text, std::string_view source) {
  std::vector<Token> out;
  size_t line = 1;
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      ++i;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '#' || (c == '/' && i + 1 < text.size() && text[i + 1] == '/')) {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      size_t end = text.find("*/", i + 2);
      if (end == std::string_view::npos) return bad(source, line, "unterminated /* comment");
      line += static_cast<size_t>(std::count(text.begin() + static_cast<long>(i), text.begin() + static_cast<long>(end), '\n'));
      i = end + 2;
    } else if (c == '"') {
      size_t end = text.find('"', i + 1);
      if (end == std::string_view::npos) return bad(source, line, "unterminated quoted string");
      out.push_back({std::string(text.substr(i + 1, end - i - 1)), true, line});
      line += static_cast<size_t>(std::count(text.begin() + static_cast<long>(i), text.begin() + static_cast<long>(end), '\n'));
      i = end + 1;
    } else if (c == '{' || c == '}' || c == ';') {
      out.push_back({std::string(1, c), false, line});
      ++i;
    } else {
      size_t start = i;
      while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) && text[i] != '{' &&
             text[i] != '}' && text[i] != ';' && text[i] != '"') {
        ++i;
      }
      out.push_back({std::string(text.substr(start, i - start)), false, line});
    }
  }
  return out;
}

common::Result<std::vector<RawKey>> parse_bind(std::string_view text, std::string_view source) {
  auto tokens = tokenize(text, source);
  if (!tokens.ok()) return tokens.error();
  const auto& t = *tokens;
  std::vector<RawKey> keys;
  size_t i = 0;
  auto expect = [&](std::string_view what) -> common::Status {
    if (i < t.size() && !t[i].quoted && t[i].text == what) {
      ++i;
      return {};
    }
    return bad(source, i < t.size() ? t[i].line : t.back().line, fmt::format("expected '{}'", what));
  };
  while (i < t.size()) {
    if (t[i].quoted || lower(t[i].text) != "key") {
      return bad(source, t[i].line, "expected a key clause (key \"name\" { algorithm ...; secret \"...\"; };)");
    }
    RawKey k;
    k.line = t[i].line;
    if (++i >= t.size() || (!t[i].quoted && (t[i].text == "{" || t[i].text == ";"))) {
      return bad(source, k.line, "a key clause without a name");
    }
    k.name = t[i++].text;
    if (auto s = expect("{"); !s.ok()) return s.error();
    while (i < t.size() && !(t[i].text == "}" && !t[i].quoted)) {
      std::string field = lower(t[i].text);
      size_t field_line = t[i].line;
      if (++i >= t.size()) break;
      std::string value = t[i++].text;
      if (field == "algorithm") k.algorithm = value;
      else if (field == "secret") k.secret = value;
      else return bad(source, field_line, fmt::format("unknown field {} in key {}", shown(field), shown(k.name)));
      if (auto s = expect(";"); !s.ok()) return s.error();
    }
    if (auto s = expect("}"); !s.ok()) return s.error();
    if (auto s = expect(";"); !s.ok()) return s.error();
    keys.push_back(std::move(k));
  }
  return keys;
}

// --- Knot YAML (keymgr -t), "[alg:]name:secret" lines, PowerDNS lines ---

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) return s.substr(1, s.size() - 2);
  return s;
}

common::Result<std::vector<RawKey>> parse_knot_yaml(std::string_view text, std::string_view source) {
  std::vector<RawKey> keys;
  std::istringstream in{std::string(text)};
  std::string raw_line;
  size_t line = 0;
  bool in_keys = false;
  while (std::getline(in, raw_line)) {
    ++line;
    std::string l = trim(raw_line.substr(0, raw_line.find('#')));
    if (l.empty()) continue;
    bool top_level = !raw_line.empty() && !std::isspace(static_cast<unsigned char>(raw_line[0])) && raw_line[0] != '-';
    if (top_level) {
      in_keys = l == "key:";
      continue;
    }
    if (!in_keys) continue;
    if (l.starts_with("- ")) {
      keys.push_back(RawKey{.line = line});
      l = trim(l.substr(2));
    }
    if (keys.empty()) return bad(source, line, "a key field before \"- id:\"");
    auto colon = l.find(':');
    if (colon == std::string::npos) return bad(source, line, "expected \"field: value\"");
    std::string field = trim(l.substr(0, colon));
    std::string value = unquote(trim(l.substr(colon + 1)));
    if (field == "id") keys.back().name = value;
    else if (field == "algorithm") keys.back().algorithm = value;
    else if (field == "secret") keys.back().secret = value;
    else return bad(source, line, fmt::format("unknown key field {}", shown(field)));
  }
  return keys;
}

common::Result<std::vector<RawKey>> parse_lines(std::string_view text, std::string_view source) {
  std::vector<RawKey> keys;
  std::istringstream in{std::string(text)};
  std::string raw_line;
  size_t line = 0;
  while (std::getline(in, raw_line)) {
    ++line;
    std::string l = trim(raw_line);
    if (l.empty() || l.front() == '#' || l.front() == ';') continue;
    std::istringstream words(l);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    RawKey k{.line = line};
    // pdnsutil generate-tsig-key prints "Create new TSIG key NAME ALGORITHM SECRET".
    if (w.size() == 7 && l.starts_with("Create new TSIG key ")) w.erase(w.begin(), w.begin() + 4);
    if (w.size() == 3) {  // PowerDNS: "name. algorithm. secret"
      k.name = w[0];
      k.algorithm = w[1];
      k.secret = w[2];
    } else if (w.size() == 1 && std::count(l.begin(), l.end(), ':') >= 1) {  // [alg:]name:secret
      auto last = l.rfind(':');
      k.secret = l.substr(last + 1);
      std::string head = l.substr(0, last);
      auto first = head.find(':');
      if (first == std::string::npos) {
        k.name = head;
      } else {
        k.algorithm = head.substr(0, first);
        k.name = head.substr(first + 1);
      }
    } else {
      return bad(source, line, "not a key: expected a BIND key clause, Knot's keymgr -t output, "
                               "\"algorithm:name:secret\" or \"name algorithm secret\"");
    }
    keys.push_back(std::move(k));
  }
  return keys;
}

bool looks_like_bind(std::string_view text) {
  auto toks = tokenize(text, "");
  return toks.ok() && !toks->empty() && !toks->front().quoted && lower(toks->front().text) == "key" &&
         !(toks->size() > 1 && !(*toks)[1].quoted && (*toks)[1].text.ends_with(':'));  // YAML's "key :"
}

bool looks_like_knot_yaml(std::string_view text) {
  std::istringstream in{std::string(text)};
  for (std::string l; std::getline(in, l);) {
    if (trim(l.substr(0, l.find('#'))) == "key:" && !l.empty() && l[0] == 'k') return true;
  }
  return false;
}

}  // namespace

std::string_view to_string(TsigAlgorithm a) {
  for (const auto& [alg, name] : kAlgorithms) {
    if (alg == a) return name;
  }
  return "?";
}

std::optional<TsigAlgorithm> parse_tsig_algorithm(std::string_view text) {
  std::string t = lower(text);
  if (!t.empty() && t.back() == '.') t.pop_back();
  for (const auto& [alg, name] : kAlgorithms) {
    if (t == name) return alg;
  }
  return std::nullopt;
}

TsigKey::TsigKey(std::string name, TsigAlgorithm algorithm, std::string secret_base64)
    : name_(model::normalize_name(name)), algorithm_(algorithm), secret_(std::move(secret_base64)) {}

std::string TsigKey::describe() const { return fmt::format("{} ({})", name_, to_string(algorithm_)); }

TsigKey TsigKey::with_name(std::string name) const { return TsigKey(std::move(name), algorithm_, secret_); }
TsigKey TsigKey::with_algorithm(TsigAlgorithm algorithm) const { return TsigKey(name_, algorithm, secret_); }

common::Result<std::vector<TsigKey>> parse_tsig_keys(std::string_view text, std::string_view source) {
  common::Result<std::vector<RawKey>> raw = looks_like_bind(text)        ? parse_bind(text, source)
                                            : looks_like_knot_yaml(text) ? parse_knot_yaml(text, source)
                                                                         : parse_lines(text, source);
  if (!raw.ok()) return raw.error();
  if (raw->empty()) return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: no TSIG key in the file", source));
  std::vector<TsigKey> keys;
  std::set<std::string> names;
  for (const auto& r : *raw) {
    auto k = finish(r, source);
    if (!k.ok()) return k.error();
    if (!names.insert(k->name()).second) {
      return bad(source, r.line, fmt::format("key {} is defined twice", shown(k->name())));
    }
    keys.push_back(std::move(k).value());
  }
  return keys;
}

common::Result<LoadedTsigKey> load_tsig_key(const std::string& path, std::string_view flag, std::string_view name,
                                            std::string_view algorithm) {
  std::string source = fmt::format("{} {}", flag, path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: cannot read the file", source));
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > (1u << 20)) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: over 1 MiB, not a key file", source));
  }
  auto keys = parse_tsig_keys(text.str(), source);
  if (!keys.ok()) return keys.error();

  std::optional<TsigKey> chosen;
  std::string wanted = model::normalize_name(name);
  for (const auto& k : *keys) {
    if (!wanted.empty() && k.name() == wanted) chosen = k;
  }
  if (!chosen && keys->size() == 1) {
    chosen = wanted.empty() ? keys->front() : keys->front().with_name(wanted);
  }
  if (!chosen) {
    std::string names;
    for (const auto& k : *keys) names += (names.empty() ? "" : ", ") + shown(k.name(), /*quoted=*/false);
    return make_error(ErrorCode::kInvalidArgument,
                      wanted.empty() ? fmt::format("{} holds several keys ({}): choose one with --tsig-key-name",
                                                   source, names)
                                     : fmt::format("{} has no key named \"{}\" (it has {})", source, wanted, names));
  }
  if (auto s = detail::name_to_wire(chosen->name(), "--tsig-key-name"); !s.ok()) return s.error();
  if (!algorithm.empty()) {
    auto alg = parse_tsig_algorithm(algorithm);
    if (!alg) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("--tsig-algorithm \"{}\": use hmac-sha256, hmac-sha512, hmac-sha384, "
                                    "hmac-sha224 or hmac-sha1",
                                    algorithm));
    }
    chosen = chosen->with_algorithm(*alg);
  }
  LoadedTsigKey out{*chosen, std::nullopt};
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
    out.warning = fmt::format("{} is readable by {} (mode {:04o}): it holds a TSIG secret; chmod 600 it", source,
                              (st.st_mode & S_IROTH) ? "others" : "its group", st.st_mode & 07777);
  }
  return out;
}

}  // namespace ecssd::dns
