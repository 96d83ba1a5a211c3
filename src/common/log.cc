#include "common/log.h"

#include <chrono>
#include <ctime>

#include <boost/json/serializer.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace ecssd::log {
namespace {

Format g_format = Format::kText;

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", tm, static_cast<int>(ms.count()));
}

std::string json_string(std::string_view s) {
  return boost::json::serialize(boost::json::value(boost::json::string(s)));
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto lg = std::make_shared<spdlog::logger>("ecssd", sink);
    lg->set_pattern("%v");  // render() builds the whole line
    lg->set_level(spdlog::level::info);
    lg->flush_on(spdlog::level::trace);
    return lg;
  }();
  return l;
}

}  // namespace

bool parse_level(std::string_view name, spdlog::level::level_enum* out) {
  static const std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug}, {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},   {"warning", spdlog::level::warn}, {"error", spdlog::level::err},
      {"off", spdlog::level::off}};
  for (const auto& [n, l] : kLevels) {
    if (n == name) {
      *out = l;
      return true;
    }
  }
  return false;
}

bool configure(Format format, std::string_view level) {
  spdlog::level::level_enum l;
  if (!parse_level(level, &l)) return false;
  g_format = format;
  logger()->set_level(l);
  return true;
}

bool enabled(spdlog::level::level_enum level) { return logger()->should_log(level); }

namespace {

template <typename Range>
std::string render_fields(Format format, spdlog::level::level_enum level, std::string_view msg, const Range& fields) {
  auto sv = spdlog::level::to_string_view(level);
  std::string_view lvl(sv.data(), sv.size());
  if (level == spdlog::level::err) lvl = "error";
  if (level == spdlog::level::warn) lvl = "warn";
  std::string out;
  if (format == Format::kJson) {
    out = fmt::format(R"({{"time":"{}","level":"{}","msg":{})", timestamp(), lvl, json_string(msg));
    for (const auto& f : fields) {
      out += ',';
      out += json_string(f.key);
      out += ':';
      out += f.quoted ? json_string(f.value) : f.value;
    }
    out += '}';
    return out;
  }
  out = fmt::format("{} {:<5} {}", timestamp(), lvl, msg);
  for (const auto& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    out += needs_quotes(f.value) ? json_string(f.value) : f.value;
  }
  return out;
}

template <typename Range>
void write_fields(spdlog::level::level_enum level, std::string_view msg, const Range& fields) {
  auto lg = logger();
  if (!lg->should_log(level)) return;
  lg->log(level, "{}", render_fields(g_format, level, msg, fields));
}

}  // namespace

std::string render(Format format, spdlog::level::level_enum level, std::string_view msg, Fields fields) {
  return render_fields(format, level, msg, fields);
}

void write(spdlog::level::level_enum level, std::string_view msg, Fields fields) { write_fields(level, msg, fields); }

void write(spdlog::level::level_enum level, std::string_view msg, const std::vector<Field>& fields) {
  write_fields(level, msg, fields);
}

}  // namespace ecssd::log
