#include "aws/config_file.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ecssd::aws {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Drops a "#" or ";" comment that follows white space.
std::string_view strip_inline_comment(std::string_view v) {
  for (size_t i = 1; i < v.size(); ++i) {
    if ((v[i] == '#' || v[i] == ';') && is_space(v[i - 1])) return trim(v.substr(0, i));
  }
  return v;
}

// The profile a section header names, or nullopt when it is not a profile.
std::optional<std::string> profile_of(std::string_view section, ConfigFileKind kind) {
  if (kind == ConfigFileKind::kCredentials) return std::string(section);
  if (section == "default") return std::string("default");
  if (section.size() > 7 && section.substr(0, 7) == "profile" && is_space(section[7])) {
    std::string_view name = trim(section.substr(8));
    if (!name.empty()) return std::string(name);
  }
  return std::nullopt;
}

std::string expand_home(const std::string& path, const std::optional<std::string>& home) {
  if (home && (path == "~" || path.rfind("~/", 0) == 0)) return *home + path.substr(1);
  return path;
}

// Reads a whole file; nullopt when it does not exist.
common::Result<std::optional<std::string>> read_file(const std::string& path) {
  std::error_code fec;
  auto st = std::filesystem::status(path, fec);
  if (st.type() == std::filesystem::file_type::not_found) return std::optional<std::string>();
  if (fec) return common::make_error(common::ErrorCode::kInvalidArgument, "cannot read " + path + ": " + fec.message());
  if (std::filesystem::is_directory(st)) {
    return common::make_error(common::ErrorCode::kInvalidArgument, "cannot read " + path + ": it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return common::make_error(common::ErrorCode::kInvalidArgument,
                              "cannot read " + path + ": " + std::strerror(errno));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    return common::make_error(common::ErrorCode::kInvalidArgument, "cannot read " + path + ": read error");
  }
  return std::optional<std::string>(ss.str());
}

}  // namespace

ConfigFile parse_config_file(std::string_view text, ConfigFileKind kind, std::string_view filename) {
  ConfigFile out;
  Profile* current = nullptr;   // section being filled; nullptr: not a profile
  bool in_section = false;      // any section seen (profile or not)
  std::string parent_key;       // last key with an empty value, for sub-properties
  size_t line_no = 0;
  size_t pos = 0;
  auto warn = [&](std::string why) {
    out.warnings.push_back(std::string(filename) + ":" + std::to_string(line_no) + ": " + std::move(why));
  };
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view raw = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    bool indented = is_space(raw[0]);

    if (line[0] == '[') {  // indented headers too, as the SDKs accept them
      size_t close = line.find(']');
      std::string_view rest = close == std::string_view::npos ? "" : trim(line.substr(close + 1));
      if (close == std::string_view::npos || (!rest.empty() && rest[0] != '#' && rest[0] != ';')) {
        warn("malformed section header");
        current = nullptr;
        in_section = true;
        continue;
      }
      std::string_view section = trim(line.substr(1, close - 1));
      in_section = true;
      parent_key.clear();
      auto name = profile_of(section, kind);
      if (!name) {
        current = nullptr;
        // "[sso-session x]" and "[services x]" are fine; a bare "[x]" is a
        // common mistake worth a warning.
        if (kind == ConfigFileKind::kConfig && section.find(' ') == std::string_view::npos) {
          warn("section [" + std::string(section) + "] is not a profile; write [profile " + std::string(section) + "]");
        }
        continue;
      }
      current = &out.profiles[*name];
      continue;
    }

    size_t eq = line.find('=');
    if (indented && !parent_key.empty()) {
      if (eq == std::string_view::npos) {
        warn("indented line is not a sub-property");
        continue;
      }
      if (current) {
        (*current)[parent_key + "." + lower(trim(line.substr(0, eq)))] =
            std::string(strip_inline_comment(trim(line.substr(eq + 1))));
      }
      continue;
    }
    if (eq == std::string_view::npos || eq == 0) {
      warn("expected \"key = value\"");
      continue;
    }
    if (!in_section) {
      warn("key outside any section");
      continue;
    }
    std::string key = lower(trim(line.substr(0, eq)));
    std::string value(strip_inline_comment(trim(line.substr(eq + 1))));
    parent_key = value.empty() ? key : std::string();
    if (current) (*current)[key] = std::move(value);
  }
  return out;
}

const Profile* SharedConfig::credentials_profile() const {
  auto it = credentials.profiles.find(profile);
  return it == credentials.profiles.end() ? nullptr : &it->second;
}

const Profile* SharedConfig::config_profile() const {
  auto it = config.profiles.find(profile);
  return it == config.profiles.end() ? nullptr : &it->second;
}

std::optional<std::string> SharedConfig::get(std::string_view key) const {
  for (const Profile* p : {credentials_profile(), config_profile()}) {
    if (!p) continue;
    auto it = p->find(key);
    if (it != p->end() && !it->second.empty()) return it->second;
  }
  return std::nullopt;
}

common::Result<SharedConfig> load_shared_config(const common::Environment& env) {
  SharedConfig out;
  if (auto p = env.get("AWS_PROFILE")) {
    out.profile = *p;
    out.profile_explicit = true;
  } else if (auto d = env.get("AWS_DEFAULT_PROFILE")) {
    out.profile = *d;
    out.profile_explicit = true;
  } else {
    out.profile = "default";
  }
  auto home = env.get("HOME");
  if (auto c = env.get("AWS_SHARED_CREDENTIALS_FILE")) {
    out.credentials_path = expand_home(*c, home);
  } else if (home) {
    out.credentials_path = *home + "/.aws/credentials";
  }
  if (auto c = env.get("AWS_CONFIG_FILE")) {
    out.config_path = expand_home(*c, home);
  } else if (home) {
    out.config_path = *home + "/.aws/config";
  }
  if (!out.credentials_path.empty()) {
    auto text = read_file(out.credentials_path);
    if (!text) return text.error();
    if (*text) {
      out.credentials_found = true;
      out.credentials = parse_config_file(**text, ConfigFileKind::kCredentials, out.credentials_path);
    }
  }
  if (!out.config_path.empty()) {
    auto text = read_file(out.config_path);
    if (!text) return text.error();
    if (*text) {
      out.config_found = true;
      out.config = parse_config_file(**text, ConfigFileKind::kConfig, out.config_path);
    }
  }
  return out;
}

}  // namespace ecssd::aws
