#pragma once
// Structured logging on top of spdlog. Every line is a message plus key=value
// fields, rendered as text ("... msg key=value") or as one JSON object per line
// (--log-format json). Secrets must never be passed in: there is no redaction
// pass that could be forgotten, callers log only names, ids and outcomes.
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/common.h>

namespace ecssd::log {

enum class Format { kText, kJson };

struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  template <typename N, typename = std::enable_if_t<std::is_arithmetic_v<N>>>
  Field(std::string_view k, N n) : key(k), value(std::to_string(n)), quoted(false) {}
  Field(std::string_view k, bool b) : key(k), value(b ? "true" : "false"), quoted(false) {}
  std::string_view key;
  std::string value;
  bool quoted = true;  // JSON: a string, or a bare number/bool
};

using Fields = std::initializer_list<Field>;

// Configures the process-wide logger: format and minimum level
// ("trace", "debug", "info", "warn", "error"). Errors: returns false for an
// unknown level name.
bool configure(Format format, std::string_view level);
bool parse_level(std::string_view name, spdlog::level::level_enum* out);

// Renders one line without writing it (exposed for tests).
std::string render(Format format, spdlog::level::level_enum level, std::string_view msg, Fields fields);

void write(spdlog::level::level_enum level, std::string_view msg, Fields fields);
// The same with fields made at run time (e.g. the settings a provider
// describes); the strings the fields view must outlive the call.
void write(spdlog::level::level_enum level, std::string_view msg, const std::vector<Field>& fields);
bool enabled(spdlog::level::level_enum level);

inline void trace(std::string_view msg, Fields f = {}) { write(spdlog::level::trace, msg, f); }
inline void debug(std::string_view msg, Fields f = {}) { write(spdlog::level::debug, msg, f); }
inline void info(std::string_view msg, Fields f = {}) { write(spdlog::level::info, msg, f); }
inline void warn(std::string_view msg, Fields f = {}) { write(spdlog::level::warn, msg, f); }
inline void error(std::string_view msg, Fields f = {}) { write(spdlog::level::err, msg, f); }

}  // namespace ecssd::log
