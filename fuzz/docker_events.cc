// The Docker Engine event stream (GET /events) through EventDecoder
// (source/docker/event_decoder.h), fed in pieces cut from the input, as a
// socket may deliver it. Invariants: the events and errors do not depend on
// where the stream was cut (one piece, cut pieces, one octet at a time); no
// event lacks an action; a partial value never holds more than the decoder's
// bound; reset() forgets everything.
#include "fuzz_util.h"
#include "source/docker/event_decoder.h"

namespace ecssd::fuzz {
namespace {

using source::EngineEvent;
using source::EventDecoder;

std::string describe(const EventDecoder::Output& out) {
  std::string s = fmt::format("{} events, {} errors:", out.events.size(), out.errors.size());
  for (const auto& e : out.events) s += fmt::format(" [{} {} {}]", e.type, e.action, e.id);
  for (const auto& e : out.errors) s += " {" + e + "}";
  return s;
}

bool same(const EngineEvent& a, const EngineEvent& b) {
  return a.type == b.type && a.action == b.action && a.id == b.id && a.attributes == b.attributes &&
         a.time_nano == b.time_nano;
}

bool same(const EventDecoder::Output& a, const EventDecoder::Output& b) {
  if (a.events.size() != b.events.size() || a.errors != b.errors) return false;
  for (size_t i = 0; i < a.events.size(); ++i) {
    if (!same(a.events[i], b.events[i])) return false;
  }
  return true;
}

EventDecoder::Output decode(const std::vector<std::string_view>& pieces, size_t bound) {
  EventDecoder d(bound);
  EventDecoder::Output out;
  for (auto p : pieces) {
    d.feed(p, out);
    FUZZ_CHECK(d.pending_bytes() <= bound, fmt::format("{} octets pending over the bound {}", d.pending_bytes(), bound));
  }
  return out;
}

}  // namespace
}  // namespace ecssd::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ecssd::fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecssd;
  std::string_view stream = fuzz::as_text(data, size);
  const uint64_t h = fuzz::hash(stream);
  // Mostly the real bound; sometimes a small one, so that oversized values are common.
  const size_t bound = h % 4 == 0 ? 16 + (h >> 8) % 512 : size_t{1} << 20;
  auto whole = fuzz::decode({stream}, bound);
  auto pieces = fuzz::decode(fuzz::cut(stream, h), bound);
  FUZZ_CHECK(fuzz::same(whole, pieces), "cut differently: " + fuzz::describe(whole) + " vs " + fuzz::describe(pieces));
  if (size <= 256) {  // the hardest cut, kept cheap
    std::vector<std::string_view> octets;
    for (size_t i = 0; i < stream.size(); ++i) octets.push_back(stream.substr(i, 1));
    auto slow = fuzz::decode(octets, bound);
    FUZZ_CHECK(fuzz::same(whole, slow), "one octet at a time: " + fuzz::describe(whole) + " vs " + fuzz::describe(slow));
  }
  for (const auto& e : whole.events) {
    FUZZ_CHECK(!e.action.empty(), "an event without an action");
    FUZZ_CHECK(e.action.starts_with(e.base_action()), "base_action is not a prefix of the action");
    (void)e.detail();
  }
  (void)source::is_event_stream_content_type(stream.substr(0, 64));
  if (size > 1024) return 0;  // the reset check, on small inputs only
  // After reset(), a decoder reads the stream as a fresh one would.
  source::EventDecoder d(bound);
  source::EventDecoder::Output junk, again;
  d.feed(stream.substr(0, stream.size() / 2), junk);
  d.reset();
  FUZZ_CHECK(d.pending_bytes() == 0, "reset kept a partial value");
  d.feed(stream, again);
  FUZZ_CHECK(fuzz::same(whole, again), "after reset: " + fuzz::describe(whole) + " vs " + fuzz::describe(again));
  return 0;
}
