#pragma once
// What the fuzz targets share: an invariant check that stops the run with a
// message (libFuzzer then saves the input as a crash), deterministic cuts of
// an input into pieces, and a quiet logger.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/log.h"

namespace ecssd::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* what, const std::string& detail) {
  std::fprintf(stderr, "\n%s:%d: invariant broken: %s\n  %s\n", file, line, what, detail.c_str());
  std::abort();
}

// Like assert(), but never compiled out and with a message about the input.
#define FUZZ_CHECK(cond, detail)                                             \
  do {                                                                       \
    if (!(cond)) ::ecssd::fuzz::fail(__FILE__, __LINE__, #cond, (detail));   \
  } while (0)

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// FNV-1a: a seed that changes with every mutation of the input.
inline uint64_t hash(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// splitmix64, so that cuts are reproducible from the input alone.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }

 private:
  uint64_t s_;
};

// `s` cut into pieces of 1 to 2^k octets (mostly short ones), the cuts
// chosen by `seed`: what a socket may deliver of a stream.
inline std::vector<std::string_view> cut(std::string_view s, uint64_t seed) {
  std::vector<std::string_view> out;
  Rng rng(seed);
  while (!s.empty()) {
    size_t n = 1 + rng.below(size_t{1} << rng.below(12));
    if (n > s.size()) n = s.size();
    out.push_back(s.substr(0, n));
    s.remove_prefix(n);
  }
  return out;
}

// Logging would cost more than the code under test, and say nothing.
// True when `secret` is written more than once in `input`: then it is also
// some other, non-secret field's value (a key name, a timestamp), which an
// error may quote; the no-secret-in-errors checks skip such coincidences.
inline bool written_elsewhere(std::string_view input, std::string_view secret) {
  size_t first = input.find(secret);
  return first != std::string_view::npos && input.find(secret, first + 1) != std::string_view::npos;
}

inline void quiet() { log::configure(log::Format::kText, "off"); }

}  // namespace ecssd::fuzz
