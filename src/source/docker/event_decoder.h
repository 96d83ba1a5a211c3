#pragma once
// Incremental decoder of the Docker Engine event stream (GET /events). The body
// arrives in pieces split anywhere, even inside a UTF-8 sequence; every format an
// engine may choose is accepted: concatenated JSON values and newline-delimited
// JSON (application/json, application/x-ndjson, application/jsonl) and RFC 7464
// JSON text sequences (application/json-seq, each value preceded by RS 0x1E).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>

#include "common/result.h"

namespace ecssd::source {

// One engine event, read from the fields every API version has: Type, Action,
// Actor.ID, Actor.Attributes (API >= 1.22), with the legacy status/id fields as
// fallbacks only (API 1.52 dropped them).
struct EngineEvent {
  std::string type;    // "container", "image", "network", ...
  std::string action;  // as sent: "start", "health_status: healthy", "exec_start: sh -c true"
  std::string id;      // Actor.ID
  std::map<std::string, std::string> attributes;
  int64_t time_nano = 0;  // engine clock, Unix nanoseconds (0 when absent)

  // The action without its detail: "health_status: healthy" -> "health_status".
  std::string_view base_action() const;
  // The detail after "<action>: ", or the "health_status" attribute (Podman).
  std::string_view detail() const;
};

// Reads one decoded JSON value as an event. Errors: kProtocol when the value is
// not an object or has no Action/status.
common::Result<EngineEvent> parse_event(const boost::json::value& v);

// True for the content types an event stream may have (parameters ignored).
bool is_event_stream_content_type(std::string_view content_type);

class EventDecoder {
 public:
  struct Output {
    std::vector<EngineEvent> events;
    std::vector<std::string> errors;  // one message per malformed or oversized value
  };

  // Values larger than max_event_bytes are discarded with an error, so a broken
  // engine cannot make the agent buffer without bound.
  explicit EventDecoder(size_t max_event_bytes = 1 << 20);

  // Consumes every byte of `bytes`, appending complete events and errors to
  // `out`. A partial value is kept for the next call. A malformed value is
  // reported once and skipped up to the end of its line (engines write one value
  // per line), so the stream continues with the next event.
  void feed(std::string_view bytes, Output& out);

  // Forgets any partial value (after a reconnect).
  void reset();

  // Octets of the value being assembled.
  size_t pending_bytes() const { return value_bytes_; }

 private:
  void emit(Output& out);
  void fail(Output& out, std::string message);

  boost::json::stream_parser parser_;
  size_t max_event_bytes_;
  size_t value_bytes_ = 0;
  bool in_value_ = false;
  bool skipping_ = false;  // discarding the rest of a bad line
};

}  // namespace ecssd::source
