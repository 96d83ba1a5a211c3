#pragma once
// Internal to src/dns: the layout of a ZoneSnapshot, shared by the builder
// (zone.cc) and the query path (answer.cc, which also packs zone transfers).
//
// A Template is the part of a response after the question section, rendered
// by libknot for a question whose QNAME sits at offset 12 (where every
// response puts it), so its compression pointers stay valid whatever the
// query's id, flags or QNAME case. Templates are stored back to back in one
// arena to keep the snapshot compact.
#include <atomic>
#include <cstring>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dns/knot_util.h"
#include "dns/zone.h"

namespace ecssd::dns {

struct ZoneSnapshot::Impl {
  struct Template {
    uint32_t offset = 0;     // into arena
    uint16_t size = 0;       // all sections
    uint16_t essential = 0;  // answer + authority only (additional may be dropped)
    uint16_t an = 0, ns = 0, ar = 0;
    uint8_t rcode = 0;
  };
  // The templates answering one QTYPE at a node: `variants` consecutive ones.
  struct Entry {
    uint16_t qtype = 0;
    uint32_t first = 0;
  };
  struct Node {
    uint32_t key = 0;       // offset of the lower-case wire owner name in arena
    uint8_t key_size = 0;   // its length (a wire name is at most 255 octets)
    uint32_t entries_begin = 0;
    uint16_t entries_count = 0;
    uint16_t variants = 1;  // > 1 only at a name with several CNAME targets
    uint32_t fallback = 0;  // first template for any other QTYPE
    uint32_t rotor = 0;     // index into rotors when variants > 1
  };
  // Open-addressing hash table from owner name to node: one probe of an
  // 8-octet slot and one key compare in the arena per lookup (a node-based
  // std::unordered_map costs several dependent cache misses per query).
  struct Slot {
    uint32_t hash = 0;
    uint32_t node = kEmpty;
  };
  static constexpr uint32_t kEmpty = ~uint32_t{0};

  std::string zone;             // presentation, normalized
  detail::WireName apex;        // lower-case wire form
  uint32_t serial = 0;
  size_t rr_count = 0;

  std::string arena;
  std::vector<Template> templates;
  std::vector<Entry> entries;
  std::vector<Node> nodes;
  std::vector<Slot> slots;  // power-of-two size, at most half full

  static uint32_t hash_of(std::string_view name) {
    uint32_t h = 2166136261u;  // FNV-1a: short keys, no setup cost
    for (unsigned char c : name) h = (h ^ c) * 16777619u;
    return h;
  }
  // The node of a lower-case wire name, or kEmpty.
  uint32_t find(std::string_view name) const {
    const uint32_t h = hash_of(name);
    const size_t mask = slots.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots[i];
      if (s.node == kEmpty) return kEmpty;
      if (s.hash != h) continue;
      const Node& n = nodes[s.node];
      if (n.key_size == name.size() && std::memcmp(arena.data() + n.key, name.data(), name.size()) == 0) {
        return s.node;
      }
    }
  }
  void insert(uint32_t node) {
    const Node& n = nodes[node];
    const uint32_t h = hash_of(std::string_view(arena.data() + n.key, n.key_size));
    const size_t mask = slots.size() - 1;
    size_t i = h & mask;
    while (slots[i].node != kEmpty) i = (i + 1) & mask;
    slots[i] = {h, node};
  }
  // Rotation counters: the only mutable state, advanced with relaxed atomics.
  std::unique_ptr<std::atomic<uint32_t>[]> rotors;
  size_t rotor_count = 0;

  // The SOA for NXDOMAIN answers, uncompressed so that it can follow any QNAME.
  std::string negative_soa;

  // Zone transfer contents: the SOA first, then every RRset (not repeated).
  std::vector<detail::RrsetPtr> transfer;

  ~Impl();
};

}  // namespace ecssd::dns

namespace ecssd::dns::detail {

// True when the lower-case wire name `name` is `apex` or lies below it.
// `name` must be a valid uncompressed wire name.
inline bool wire_in_zone(std::string_view name, std::string_view apex) {
  size_t p = 0;
  while (p < name.size()) {
    if (name.size() - p == apex.size()) return name.compare(p, std::string_view::npos, apex) == 0;
    if (name.size() - p < apex.size()) return false;
    uint8_t len = static_cast<uint8_t>(name[p]);
    if (len == 0) return false;
    p += 1 + len;
  }
  return false;
}

}  // namespace ecssd::dns::detail
