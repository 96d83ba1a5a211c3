// Writes the binary seed corpora of the DNS targets (dns_query, dns_tcp,
// axfr_response, xfr_client) into fuzz/corpus/: queries assembled octet by
// octet, zone transfers as the responder sends them, IXFR and UPDATE
// answers built with libknot. Not a fuzz target; run it by
// hand after changing fuzz_zone():  build-asan/fuzz/make_seeds fuzz/corpus
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "dns/answer.h"
#include "dns/knot_util.h"
#include "dns_zone.h"

namespace {

using ecssd::fuzz::fuzz_zone;

void put16(std::string& s, uint16_t v) {
  s.push_back(static_cast<char>(v >> 8));
  s.push_back(static_cast<char>(v & 0xff));
}

std::string wire_name(std::string_view name) {
  std::string out;
  while (!name.empty()) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    out.push_back(static_cast<char>(label.size()));
    out += label;
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  out.push_back('\0');
  return out;
}

struct Query {
  std::string name;
  uint16_t type = 1;
  uint16_t id = 0x4242;
  uint8_t opcode = 0;
  bool edns = false;
  uint16_t edns_size = 1232;
  uint8_t edns_version = 0;
  bool edns_do = false;
  std::string edns_options;  // (code, length, data) triples
  uint16_t qclass = 1;
};

std::string query(const Query& q) {
  std::string s;
  put16(s, q.id);
  s.push_back(static_cast<char>((q.opcode << 3) | 0x01));  // RD
  s.push_back('\0');
  put16(s, 1);
  put16(s, 0);
  put16(s, 0);
  put16(s, q.edns ? 1 : 0);
  s += wire_name(q.name);
  put16(s, q.type);
  put16(s, q.qclass);
  if (q.edns) {
    s.push_back('\0');
    put16(s, 41);
    put16(s, q.edns_size);
    s.push_back('\0');
    s.push_back(static_cast<char>(q.edns_version));
    s.push_back(static_cast<char>(q.edns_do ? 0x80 : 0));
    s.push_back('\0');
    put16(s, static_cast<uint16_t>(q.edns_options.size()));
    s += q.edns_options;
  }
  return s;
}

std::string framed(const std::string& m) {
  std::string s;
  put16(s, static_cast<uint16_t>(m.size()));
  return s + m;
}

void write(const std::filesystem::path& dir, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

// One answer message (id 0: the fuzz server gives it the query's) holding
// `rrs` (owner, type, value) in its answer section.
std::string answer_message(uint16_t qtype, const std::vector<std::tuple<std::string, uint16_t, std::string>>& rrs,
                           uint8_t opcode = 0) {
  using namespace ecssd::dns::detail;
  PktPtr pkt(knot_pkt_new(nullptr, 65535, nullptr));
  knot_wire_set_qr(pkt->wire);
  knot_wire_set_aa(pkt->wire);
  knot_wire_set_opcode(pkt->wire, opcode);
  auto zone = name_to_wire("svc.test", "zone");
  knot_pkt_put_question(pkt.get(), as_dname(*zone), KNOT_CLASS_IN, qtype);
  knot_pkt_begin(pkt.get(), KNOT_ANSWER);
  for (const auto& [owner, type, value] : rrs) {
    auto o = name_to_wire(owner, "owner");
    auto rdata = rdata_to_wire(static_cast<ecssd::model::RecordType>(type), value);
    knot_rrset_t* set = knot_rrset_new(as_dname(*o), type, KNOT_CLASS_IN, 60, nullptr);
    knot_rrset_add_rdata(set, reinterpret_cast<const uint8_t*>(rdata->data()), static_cast<uint16_t>(rdata->size()),
                         nullptr);
    knot_pkt_put(pkt.get(), KNOT_COMPR_HINT_NONE, set, KNOT_PF_FREE);
    std::free(set);  // the packet copied it and frees its owner and RDATA
  }
  return std::string(reinterpret_cast<const char*>(pkt->wire), pkt->size);
}

std::string soa_value(uint32_t serial) {
  return "ns.svc.test hostmaster.svc.test " + std::to_string(serial) + " 3600 600 86400 5";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR (fuzz/corpus)\n");
    return 2;
  }
  ecssd::fuzz::quiet();
  const std::filesystem::path root = argv[1];
  auto zone = fuzz_zone(/*rotation=*/false);

  // dns_query: one of each answer kind, with and without EDNS.
  std::vector<std::pair<std::string, Query>> queries;
  auto add = [&](std::string file, Query q) { queries.emplace_back(std::move(file), std::move(q)); };
  add("a", {.name = "h1.svc.test", .type = 1});
  add("aaaa_edns_do", {.name = "h1.svc.test", .type = 28, .edns = true, .edns_do = true});
  add("cname_chain", {.name = "chain.svc.test", .type = 1});
  add("cname_out", {.name = "out.svc.test", .type = 28});
  add("cname_loop", {.name = "loop1.svc.test", .type = 1, .edns = true});
  add("srv", {.name = "_http._tcp.svc.test", .type = 33});
  add("txt_big", {.name = "txt.svc.test", .type = 16});
  add("big_a_udp", {.name = "big.svc.test", .type = 1});
  add("big_a_edns", {.name = "big.svc.test", .type = 1, .edns = true, .edns_size = 4096});
  add("nodata", {.name = "h2.svc.test", .type = 28});
  add("empty_nonterminal", {.name = "a.b.c.svc.test", .type = 1});
  add("nxdomain", {.name = "nope.svc.test", .type = 1, .edns = true});
  add("refused_outside", {.name = "example.org", .type = 1});
  add("apex_soa", {.name = "svc.test", .type = 6});
  add("apex_ns_mixed_case", {.name = "SvC.tEsT", .type = 2});
  add("any", {.name = "h1.svc.test", .type = 255});
  add("axfr", {.name = "svc.test", .type = 252});
  add("ixfr", {.name = "svc.test", .type = 251});
  add("axfr_not_apex", {.name = "h1.svc.test", .type = 252});
  add("class_ch", {.name = "version.bind", .type = 16, .qclass = 3});
  add("notify_opcode", {.name = "svc.test", .type = 6, .opcode = 4});
  add("edns_version1", {.name = "h1.svc.test", .type = 1, .edns = true, .edns_version = 1});
  add("edns_cookie", {.name = "h1.svc.test", .type = 1, .edns = true,
                      .edns_options = std::string("\x00\x0a\x00\x08" "abcdefgh", 12)});
  add("edns_small", {.name = "big.svc.test", .type = 1, .edns = true, .edns_size = 100});
  for (const auto& [file, q] : queries) write(root / "dns_query", file, query(q));
  std::string compressed = query({.name = "h1.svc.test", .type = 1});
  compressed.replace(12, wire_name("h1.svc.test").size(), std::string("\xc0\x0c", 2));  // a pointer in the question
  write(root / "dns_query", "pointer_loop", compressed);
  std::string two = query({.name = "h1.svc.test", .type = 1});
  two[5] = 2;  // QDCOUNT 2
  write(root / "dns_query", "qdcount2", two + two.substr(12));

  // dns_tcp: pipelined queries, a transfer, and the framing's edge cases.
  auto q = [&](const std::string& file) {
    for (const auto& [f, spec] : queries) {
      if (f == file) return framed(query(spec));
    }
    return std::string();
  };
  write(root / "dns_tcp", "one", q("a"));
  write(root / "dns_tcp", "pipelined", q("a") + q("srv") + q("nxdomain") + q("big_a_udp"));
  write(root / "dns_tcp", "axfr_then_query", q("axfr") + q("a"));
  write(root / "dns_tcp", "ixfr", q("ixfr"));
  write(root / "dns_tcp", "incomplete_tail", q("a") + q("srv").substr(0, 9));
  write(root / "dns_tcp", "zero_length_closes", q("a") + std::string(2, '\0') + q("srv"));
  write(root / "dns_tcp", "response_dropped", q("a") + framed(std::string("\x42\x42\x80\x00", 4) + query({.name = "x"}).substr(4)));

  // axfr_response: the responder's own transfer, and a refusal.
  Query axfr{.name = "svc.test", .type = 252};
  std::string axfr_query = query(axfr);
  std::span<const uint8_t> qb(reinterpret_cast<const uint8_t*>(axfr_query.data()), axfr_query.size());
  std::string stream;
  for (const auto& m : ecssd::dns::transfer(*zone, qb)) stream += framed(m);
  write(root / "axfr_response", "transfer", stream);
  std::vector<uint8_t> out(65535);
  auto info = ecssd::dns::answer_into(zone.get(), qb, {ecssd::dns::Transport::kTcp, false}, out);
  write(root / "axfr_response", "refused",
        framed(std::string(reinterpret_cast<const char*>(out.data()), info.size)));
  // xfr_client: the server's messages per connection (an empty one ends a
  // connection), then the choices read from the end: since, sign, keyed, op
  // (0 SOA, 1 AXFR, 2 IXFR, 3 refresh, 4 UPDATE), as FuzzedDataProvider takes them.
  const uint16_t kSoa = KNOT_RRTYPE_SOA, kA = KNOT_RRTYPE_A, kNs = KNOT_RRTYPE_NS;
  auto soa_answer = framed(answer_message(kSoa, {{"svc.test", kSoa, soa_value(3)}}));
  std::string full = framed(answer_message(KNOT_RRTYPE_AXFR, {{"svc.test", kSoa, soa_value(3)},
                                                              {"svc.test", kNs, "ns.svc.test"},
                                                              {"web.svc.test", kA, "10.0.0.1"}})) +
                     framed(answer_message(KNOT_RRTYPE_AXFR, {{"api.svc.test", kA, "10.0.0.2"},
                                                              {"svc.test", kSoa, soa_value(3)}}));
  std::string ixfr = framed(answer_message(KNOT_RRTYPE_IXFR, {{"svc.test", kSoa, soa_value(3)},
                                                              {"svc.test", kSoa, soa_value(1)},
                                                              {"web.svc.test", kA, "10.0.0.1"},
                                                              {"svc.test", kSoa, soa_value(2)},
                                                              {"web.svc.test", kA, "10.0.0.9"},
                                                              {"svc.test", kSoa, soa_value(2)},
                                                              {"svc.test", kSoa, soa_value(3)},
                                                              {"api.svc.test", kA, "10.0.0.2"},
                                                              {"svc.test", kSoa, soa_value(3)}}));
  std::string update = framed(answer_message(KNOT_RRTYPE_SOA, {}, KNOT_OPCODE_UPDATE));
  const std::string end_of_connection(2, '\0');
  auto choices = [](int op, bool keyed, bool sign, uint8_t since) {
    std::string c;
    c.push_back(static_cast<char>(since));
    if (keyed) c.push_back(sign ? 1 : 0);
    c.push_back(keyed ? 1 : 0);
    c.push_back(static_cast<char>(op));
    return c;
  };
  for (bool keyed : {false, true}) {
    std::string k = keyed ? "_signed" : "";
    write(root / "xfr_client", "soa" + k, soa_answer + choices(0, keyed, keyed, 1));
    write(root / "xfr_client", "axfr" + k, full + choices(1, keyed, keyed, 1));
    write(root / "xfr_client", "ixfr" + k, ixfr + choices(2, keyed, keyed, 1));
    write(root / "xfr_client", "refresh_ixfr" + k, soa_answer + end_of_connection + ixfr + choices(3, keyed, keyed, 1));
    write(root / "xfr_client", "refresh_axfr" + k, soa_answer + end_of_connection + full + choices(3, keyed, keyed, 0));
    write(root / "xfr_client", "update" + k, update + choices(4, keyed, keyed, 0));
  }
  write(root / "xfr_client", "unsigned_with_key", full + choices(1, true, false, 1));
  std::printf("seeds written under %s\n", root.c_str());
  return 0;
}
