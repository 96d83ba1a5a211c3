#include "source/docker/event_decoder.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include <fmt/format.h>
#include <boost/json/serialize.hpp>

namespace ecssd::source {
namespace {

namespace json = boost::json;

// Line ends and record separators end a value: engines never put them inside one.
constexpr std::string_view kLineEnds = "\n\x1e";
constexpr std::string_view kSeparators = " \t\r\n\x1e";

std::string as_text(const json::value& v) {
  if (const auto* s = v.if_string()) return std::string(*s);
  if (v.is_null()) return {};
  return json::serialize(v);
}

std::string string_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? std::string() : as_text(it->value());
}

int64_t int_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return 0;
  if (const auto* i = it->value().if_int64()) return *i;
  if (const auto* u = it->value().if_uint64()) return static_cast<int64_t>(*u);
  // Out of range is as absent: converting it would be undefined.
  if (const auto* d = it->value().if_double(); d && *d > -0x1p63 && *d < 0x1p63) return static_cast<int64_t>(*d);
  return 0;
}

}  // namespace

std::string_view EngineEvent::base_action() const {
  std::string_view a = action;
  return a.substr(0, a.find(':'));
}

std::string_view EngineEvent::detail() const {
  std::string_view a = action;
  size_t colon = a.find(':');
  if (colon != std::string_view::npos) {
    a.remove_prefix(colon + 1);
    while (!a.empty() && a.front() == ' ') a.remove_prefix(1);
    return a;
  }
  auto it = attributes.find("health_status");
  return it == attributes.end() ? std::string_view() : std::string_view(it->second);
}

common::Result<EngineEvent> parse_event(const json::value& v) {
  const auto* o = v.if_object();
  if (!o) return common::make_error(common::ErrorCode::kProtocol, "event is not a JSON object");
  EngineEvent e;
  e.type = string_field(*o, "Type");
  e.action = string_field(*o, "Action");
  if (e.action.empty()) e.action = string_field(*o, "status");
  if (e.action.empty()) return common::make_error(common::ErrorCode::kProtocol, "event has no Action");
  // Before API 1.22 only container events had a "status" and no "Type".
  if (e.type.empty() && o->contains("status")) e.type = "container";
  if (auto it = o->find("Actor"); it != o->end()) {
    if (const auto* actor = it->value().if_object()) {
      e.id = string_field(*actor, "ID");
      if (auto a = actor->find("Attributes"); a != actor->end()) {
        if (const auto* attrs = a->value().if_object()) {
          for (const auto& kv : *attrs) e.attributes.emplace(std::string(kv.key()), as_text(kv.value()));
        }
      }
    }
  }
  if (e.id.empty()) e.id = string_field(*o, "id");
  e.time_nano = int_field(*o, "timeNano");
  if (e.time_nano == 0) {
    int64_t seconds = int_field(*o, "time");
    constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / 1'000'000'000;
    if (seconds >= -kMaxSeconds && seconds <= kMaxSeconds) e.time_nano = seconds * 1'000'000'000;
  }
  return e;
}

bool is_event_stream_content_type(std::string_view ct) {
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  std::string lower(ct);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower == "application/json" || lower == "application/x-ndjson" || lower == "application/json-seq" ||
         lower == "application/jsonl" || lower == "application/x-jsonlines";
}

EventDecoder::EventDecoder(size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

void EventDecoder::reset() {
  parser_.reset();
  value_bytes_ = 0;
  in_value_ = false;
  skipping_ = false;
}

void EventDecoder::emit(Output& out) {
  json::value v = parser_.release();
  parser_.reset();
  in_value_ = false;
  value_bytes_ = 0;
  auto e = parse_event(v);
  if (e.ok()) {
    out.events.push_back(std::move(*e));
  } else {
    out.errors.push_back(e.error().message);
  }
}

void EventDecoder::fail(Output& out, std::string message) {
  out.errors.push_back(std::move(message));
  parser_.reset();
  in_value_ = false;
  value_bytes_ = 0;
}

void EventDecoder::feed(std::string_view b, Output& out) {
  while (!b.empty()) {
    if (skipping_) {
      size_t end = b.find_first_of(kLineEnds);
      if (end == std::string_view::npos) return;
      skipping_ = false;
      b.remove_prefix(end);
      continue;
    }
    if (!in_value_) {
      size_t start = b.find_first_not_of(kSeparators);
      if (start == std::string_view::npos) return;
      b.remove_prefix(start);
      in_value_ = true;
      value_bytes_ = 0;
    }
    size_t end = b.find_first_of(kLineEnds);
    // At most one octet past the bound: a value is refused at the same octet
    // however the stream was cut, even when it arrives whole.
    std::string_view piece = b.substr(0, std::min(end, max_event_bytes_ + 1 - value_bytes_));
    boost::system::error_code ec;
    size_t n = parser_.write_some(piece.data(), piece.size(), ec);
    if (ec) {
      fail(out, fmt::format("malformed event JSON: {}", ec.message()));
      skipping_ = true;
      continue;
    }
    value_bytes_ += n;
    b.remove_prefix(n);
    if (parser_.done()) {
      // The parser takes the white space after a value too: not the value's.
      size_t blank = n - std::min(n, piece.substr(0, n).find_last_not_of(kSeparators) + 1);
      if (value_bytes_ - blank > max_event_bytes_) {
        fail(out, fmt::format("event exceeds {} bytes; skipped", max_event_bytes_));
      } else {
        emit(out);
      }
      continue;
    }
    if (value_bytes_ > max_event_bytes_) {
      fail(out, fmt::format("event exceeds {} bytes; skipped", max_event_bytes_));
      skipping_ = true;
      continue;
    }
    if (end != std::string_view::npos) {
      // The line ended: a value that is complete only now (a bare number) is
      // finished, anything else was cut short.
      parser_.finish(ec);
      if (!ec && parser_.done()) {
        emit(out);
      } else {
        fail(out, "truncated event: the line ended inside a JSON value");
      }
    }
  }
}

}  // namespace ecssd::source
