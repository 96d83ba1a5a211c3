#include "source/docker/event_decoder.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "test_util.h"

namespace ecssd::source {
namespace {

using testutil::fixture;

struct Summary {
  std::string type, action, id;
  int64_t time_nano;
  std::map<std::string, std::string> attributes;
  bool operator==(const Summary&) const = default;
};

std::vector<Summary> summarize(const std::vector<EngineEvent>& events) {
  std::vector<Summary> out;
  for (const auto& e : events) out.push_back({e.type, e.action, e.id, e.time_nano, e.attributes});
  return out;
}

EventDecoder::Output decode_whole(std::string_view body) {
  EventDecoder d;
  EventDecoder::Output out;
  d.feed(body, out);
  return out;
}

size_t count_lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(EventDecoder, DockerFixtureDecodesEveryLine) {
  std::string body = fixture("docker-20.10/events.jsonl");
  auto out = decode_whole(body);
  EXPECT_TRUE(out.errors.empty());
  ASSERT_EQ(out.events.size(), count_lines(body));
  ASSERT_EQ(out.events.size(), 61u);
  const auto& first = out.events.front();
  EXPECT_EQ(first.type, "container");
  EXPECT_EQ(first.action, "create");
  EXPECT_EQ(first.id, "079ff28a82056e988f45de27f762b28789d9e293bb79ad61d041cc98b37b1061");
  EXPECT_EQ(first.attributes.at("name"), "web-multi");
  EXPECT_EQ(first.attributes.at("com.example.team"), "core");
  EXPECT_EQ(first.time_nano, 1795594355548595645);

  size_t healthy = 0, kills = 0, crash_starts = 0;
  for (const auto& e : out.events) {
    if (e.base_action() == "health_status") {
      ++healthy;
      EXPECT_EQ(e.detail(), "healthy");
      EXPECT_EQ(e.attributes.at("name"), "hc");
    }
    if (e.action == "kill") {
      ++kills;
      EXPECT_TRUE(e.attributes.contains("signal"));
    }
    if (e.action == "start" && e.attributes.at("name") == "crash") ++crash_starts;
  }
  EXPECT_EQ(healthy, 1u);
  EXPECT_GE(kills, 4u);
  EXPECT_EQ(crash_starts, 3u);  // on-failure:2 -> three runs
  // exec_* events keep their command in the action; base_action strips it.
  auto exec = std::find_if(out.events.begin(), out.events.end(),
                           [](const auto& e) { return e.action.starts_with("exec_create"); });
  ASSERT_NE(exec, out.events.end());
  EXPECT_EQ(exec->base_action(), "exec_create");
}

TEST(EventDecoder, PodmanFixtureDecodesEveryLineWithItsOwnActions) {
  std::string body = fixture("podman-4.3/events.jsonl");
  auto out = decode_whole(body);
  EXPECT_TRUE(out.errors.empty());
  ASSERT_EQ(out.events.size(), count_lines(body));
  std::vector<std::string> actions;
  for (const auto& e : out.events) actions.push_back(e.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "init", "start", "pull", "stop", "die", "cleanup", "cleanup",
                                               "remove"}));
  EXPECT_EQ(out.events[3].type, "image");
  EXPECT_EQ(out.events[5].attributes.at("exitCode"), "137");
}

// The body may be cut anywhere by the transport: every split point must give
// the same events as the whole.
void check_every_split(const std::string& body) {
  auto whole = summarize(decode_whole(body).events);
  ASSERT_FALSE(whole.empty());
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    EventDecoder d;
    EventDecoder::Output out;
    d.feed(std::string_view(body).substr(0, cut), out);
    d.feed(std::string_view(body).substr(cut), out);
    ASSERT_TRUE(out.errors.empty()) << "cut at " << cut << ": " << out.errors.front();
    ASSERT_EQ(summarize(out.events), whole) << "cut at " << cut;
    ASSERT_EQ(d.pending_bytes(), 0u);
  }
}

// The same, cheaper for a long body: the decoder holds nothing across a
// completed value, so a cut only matters to the value it falls in. Every
// offset of the body is cut within a window of the line before and the line
// after it.
void check_every_split_windowed(const std::string& body) {
  std::vector<size_t> starts{0};
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n') starts.push_back(i + 1);
  }
  for (size_t line = 0; line + 1 < starts.size(); ++line) {
    size_t from = starts[line == 0 ? 0 : line - 1];
    size_t to = starts[std::min(line + 2, starts.size() - 1)];
    std::string window = body.substr(from, to - from);
    auto whole = summarize(decode_whole(window).events);
    for (size_t cut = starts[line] - from; cut <= starts[line + 1] - from; ++cut) {
      EventDecoder d;
      EventDecoder::Output out;
      d.feed(std::string_view(window).substr(0, cut), out);
      d.feed(std::string_view(window).substr(cut), out);
      ASSERT_TRUE(out.errors.empty()) << "cut at " << from + cut;
      ASSERT_EQ(summarize(out.events), whole) << "cut at " << from + cut;
    }
  }
}

TEST(EventDecoder, DockerFixtureSplitAtEveryOffset) {
  std::string body = fixture("docker-20.10/events.jsonl");
  check_every_split_windowed(body);
  // And a sample of cuts through the whole body.
  for (size_t cut = 0; cut <= body.size(); cut += 97) {
    EventDecoder d;
    EventDecoder::Output out;
    d.feed(std::string_view(body).substr(0, cut), out);
    d.feed(std::string_view(body).substr(cut), out);
    ASSERT_EQ(out.events.size(), 61u);
  }
}

TEST(EventDecoder, PodmanFixtureSplitAtEveryOffset) { check_every_split(fixture("podman-4.3/events.jsonl")); }

TEST(EventDecoder, ByteByByte) {
  std::string body = fixture("docker-20.10/events.jsonl");
  EventDecoder d;
  EventDecoder::Output out;
  for (char c : body) d.feed(std::string_view(&c, 1), out);
  EXPECT_TRUE(out.errors.empty());
  EXPECT_EQ(summarize(out.events), summarize(decode_whole(body).events));
}

std::string to_json_seq(const std::string& lines) {
  std::string out;
  size_t start = 0;
  while (start < lines.size()) {
    size_t nl = lines.find('\n', start);
    out += '\x1e';
    out += lines.substr(start, nl - start + 1);
    start = nl + 1;
  }
  return out;
}

TEST(EventDecoder, JsonSeqRecordSeparatorsAreSkippedAtEveryOffset) {
  std::string lines = fixture("podman-4.3/events.jsonl");
  std::string seq = to_json_seq(lines);
  ASSERT_EQ(seq.size(), lines.size() + count_lines(lines));
  EXPECT_EQ(summarize(decode_whole(seq).events), summarize(decode_whole(lines).events));
  check_every_split(seq);
}

TEST(EventDecoder, ConcatenatedValuesWithoutNewlines) {
  std::string body =
      R"({"Type":"container","Action":"start","Actor":{"ID":"a"}}{"Type":"container","Action":"die","Actor":{"ID":"b"}}  {"Type":"container","Action":"destroy","Actor":{"ID":"c"}})";
  check_every_split(body);
  auto out = decode_whole(body);
  ASSERT_EQ(out.events.size(), 3u);
  EXPECT_EQ(out.events[1].action, "die");
  EXPECT_EQ(out.events[2].id, "c");
}

TEST(EventDecoder, ModernEventsWithoutLegacyFields) {
  // API 1.52 dropped status/id/from.
  auto out = decode_whole(
      R"({"Type":"container","Action":"health_status: unhealthy","Actor":{"ID":"abc","Attributes":{"name":"x"}},"scope":"local","time":1700000000,"timeNano":1700000000123456789})"
      "\n");
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].id, "abc");
  EXPECT_EQ(out.events[0].base_action(), "health_status");
  EXPECT_EQ(out.events[0].detail(), "unhealthy");
  EXPECT_EQ(out.events[0].time_nano, 1700000000123456789);
}

TEST(EventDecoder, LegacyOnlyEventsFallBack) {
  auto out = decode_whole(R"({"status":"die","id":"abc","from":"bb","time":1700000000})"
                          "\n");
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].type, "container");
  EXPECT_EQ(out.events[0].action, "die");
  EXPECT_EQ(out.events[0].id, "abc");
  EXPECT_EQ(out.events[0].time_nano, 1700000000000000000);
}

// Found by fuzz/docker_events: converting these was undefined behaviour.
TEST(EventDecoder, TimesOutOfRangeAreAsAbsent) {
  auto out = decode_whole(R"({"Type":"container","Action":"start","Actor":{"ID":"a"},"timeNano":2e124})"
                          "\n"
                          R"({"status":"die","id":"a","time":9223372036854775807})"
                          "\n"
                          R"({"status":"die","id":"a","time":-1e300,"timeNano":-1e300})"
                          "\n");
  ASSERT_EQ(out.events.size(), 3u);
  for (const auto& e : out.events) EXPECT_EQ(e.time_nano, 0) << e.action;
}

TEST(EventDecoder, PodmanHealthStatusAttribute) {
  auto out = decode_whole(
      R"({"Type":"container","Action":"health_status","Actor":{"ID":"abc","Attributes":{"health_status":"healthy"}}})");
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].base_action(), "health_status");
  EXPECT_EQ(out.events[0].detail(), "healthy");
}

TEST(EventDecoder, NonStringAttributesAreKeptAsText) {
  auto out =
      decode_whole(R"({"Type":"container","Action":"die","Actor":{"ID":"a","Attributes":{"exitCode":137,"x":null}}})");
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].attributes.at("exitCode"), "137");
  EXPECT_EQ(out.events[0].attributes.at("x"), "");
}

TEST(EventDecoder, GarbageLineIsReportedOnceAndTheStreamContinues) {
  std::string good1 = R"({"Type":"container","Action":"start","Actor":{"ID":"a"}})";
  std::string good2 = R"({"Type":"container","Action":"die","Actor":{"ID":"a"}})";
  for (std::string bad : {std::string("this is not json"), std::string(R"({"Type": oops})"), std::string("]]]"),
                          std::string(R"({"Type":"container","Action":)"), std::string("42"), std::string("[1,2]"),
                          std::string(R"({"Type":"container"})")}) {
    std::string body = good1 + "\n" + bad + "\n" + good2 + "\n";
    for (size_t cut = 0; cut <= body.size(); ++cut) {
      EventDecoder d;
      EventDecoder::Output out;
      d.feed(std::string_view(body).substr(0, cut), out);
      d.feed(std::string_view(body).substr(cut), out);
      ASSERT_EQ(out.errors.size(), 1u) << bad << " cut " << cut;
      ASSERT_EQ(out.events.size(), 2u) << bad << " cut " << cut;
      EXPECT_EQ(out.events[0].action, "start");
      EXPECT_EQ(out.events[1].action, "die");
    }
  }
}

TEST(EventDecoder, OversizedEventIsSkippedAndMemoryStaysBounded) {
  EventDecoder d(1024);
  EventDecoder::Output out;
  std::string huge = R"({"Type":"container","Action":"start","Actor":{"ID":"a","Attributes":{"x":")" +
                     std::string(100'000, 'y') + "\"}}}\n";
  for (size_t i = 0; i < huge.size(); i += 500) {
    d.feed(std::string_view(huge).substr(i, 500), out);
    EXPECT_LE(d.pending_bytes(), 1024u + 500u);
  }
  d.feed(R"({"Type":"container","Action":"die","Actor":{"ID":"a"}})"
         "\n",
         out);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_NE(out.errors[0].find("exceeds 1024 bytes"), std::string::npos) << out.errors[0];
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].action, "die");
}

// Found by fuzz/docker_events (fuzz/docker_events/regressions/): a value over
// the bound was refused when it came in pieces but taken when it came whole.
TEST(EventDecoder, TheBoundHoldsHoweverTheValueArrives) {
  const std::string start = R"({"Type":"container","Action":"start","Actor":{"ID":"abc"}})";
  const std::string die = R"({"Type":"container","Action":"die","Actor":{"ID":"abc"}})";  // 2 octets shorter
  const std::string stream = start + "\n" + die + "\n";
  for (size_t piece : {size_t{1}, size_t{7}, start.size() - 1, stream.size()}) {
    EventDecoder d(start.size() - 1);
    EventDecoder::Output out;
    for (size_t i = 0; i < stream.size(); i += piece) d.feed(std::string_view(stream).substr(i, piece), out);
    ASSERT_EQ(out.errors.size(), 1u) << "pieces of " << piece;
    EXPECT_NE(out.errors[0].find("exceeds"), std::string::npos) << out.errors[0];
    ASSERT_EQ(out.events.size(), 1u) << "pieces of " << piece;
    EXPECT_EQ(out.events[0].action, "die");
  }
  EventDecoder d(start.size());  // exactly the bound is allowed
  EventDecoder::Output out;
  d.feed(stream, out);
  EXPECT_TRUE(out.errors.empty());
  EXPECT_EQ(out.events.size(), 2u);
  // White space after a value is not part of it, though the JSON parser
  // takes it with the value when it comes in the same piece.
  const std::string padded = "123" + std::string(100, ' ') + start + "\n";
  for (size_t piece : {size_t{1}, size_t{5}, padded.size()}) {
    EventDecoder p(start.size());
    EventDecoder::Output o;
    for (size_t i = 0; i < padded.size(); i += piece) p.feed(std::string_view(padded).substr(i, piece), o);
    ASSERT_EQ(o.errors.size(), 1u) << "pieces of " << piece;  // 123 is no object
    EXPECT_EQ(o.errors[0], "event is not a JSON object");
    EXPECT_EQ(o.events.size(), 1u) << "pieces of " << piece;
  }
}

TEST(EventDecoder, ResetDropsAPartialValue) {
  EventDecoder d;
  EventDecoder::Output out;
  d.feed(R"({"Type":"container","Act)", out);
  EXPECT_GT(d.pending_bytes(), 0u);
  d.reset();
  d.feed(R"({"Type":"container","Action":"die","Actor":{"ID":"a"}})"
         "\n",
         out);
  EXPECT_TRUE(out.errors.empty());
  ASSERT_EQ(out.events.size(), 1u);
}

TEST(EventDecoder, ContentTypes) {
  for (const char* ok : {"application/json", "application/x-ndjson", "application/json-seq", "application/jsonl",
                         "Application/JSON; charset=utf-8", "application/x-jsonlines"}) {
    EXPECT_TRUE(is_event_stream_content_type(ok)) << ok;
  }
  for (const char* bad : {"text/html", "text/plain", "application/xml", ""}) {
    EXPECT_FALSE(is_event_stream_content_type(bad)) << bad;
  }
}

}  // namespace
}  // namespace ecssd::source
