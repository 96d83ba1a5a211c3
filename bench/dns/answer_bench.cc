// Micro-benchmark of the responder's CPU work per query (answer_into) and of
// building a snapshot, without sockets: the part of the cost ecssd controls
// (the kernel's UDP path dominates the end-to-end figures of bench/dns/run.sh).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include <libknot/libknot.h>
}

#include "dns/answer.h"
#include "dns/zone.h"

namespace {

using ecssd::model::Record;
using ecssd::model::RecordType;

std::vector<Record> fleet(int services, int hosts) {
  std::vector<Record> rs;
  auto add = [&](std::string name, RecordType t, std::string value, std::string set = "") {
    Record r;
    r.name = std::move(name);
    r.type = t;
    r.ttl = 10;
    r.values = {std::move(value)};
    r.set_identifier = std::move(set);
    r.weight = 1;
    rs.push_back(std::move(r));
  };
  for (int h = 0; h < hosts; ++h) add("host" + std::to_string(h) + ".svc.bench", RecordType::kA, "10.1.0." + std::to_string(h + 1));
  for (int s = 0; s < services; ++s) {
    std::string name = "service-" + std::to_string(s) + ".svc.bench";
    std::string set = "ecssd:owner:" + std::to_string(s) + ":80-tcp";
    add(name, RecordType::kCNAME, "host" + std::to_string(s % hosts) + ".svc.bench", set);
    add("cname._ecssd." + name, RecordType::kTXT,
        "\"heritage=ecssd\" \"set=" + set + "\" \"owner=owner\" \"container=" + std::string(64, 'c') + "\"", set);
  }
  return rs;
}

std::shared_ptr<const ecssd::dns::ZoneSnapshot> zone() {
  ecssd::dns::ZoneOptions o;
  o.zone = "svc.bench";
  return ecssd::dns::build_zone(o, fleet(500, 20), 1).value();
}

std::string query(const char* name, uint16_t type, bool edns) {
  knot_pkt_t* pkt = knot_pkt_new(nullptr, 512, nullptr);
  uint8_t dname[KNOT_DNAME_MAXLEN];
  knot_dname_from_str(dname, name, sizeof dname);
  knot_wire_set_id(pkt->wire, 7);
  knot_pkt_put_question(pkt, dname, KNOT_CLASS_IN, type);
  if (edns) {
    knot_rrset_t opt;
    knot_edns_init(&opt, 1232, 0, 0, nullptr);
    knot_pkt_begin(pkt, KNOT_ADDITIONAL);
    knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &opt, KNOT_PF_FREE);
  }
  std::string out(reinterpret_cast<const char*>(pkt->wire), pkt->size);
  knot_pkt_free(pkt);
  return out;
}

void run(benchmark::State& state, const std::string& q) {
  static auto z = zone();
  std::vector<uint8_t> out(1232);
  std::span<const uint8_t> in(reinterpret_cast<const uint8_t*>(q.data()), q.size());
  for (auto _ : state) {
    auto info = ecssd::dns::answer_into(z.get(), in, {}, out);
    benchmark::DoNotOptimize(info);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_CnameChain(benchmark::State& s) { run(s, query("service-123.svc.bench", KNOT_RRTYPE_A, false)); }
void BM_CnameChainEdns(benchmark::State& s) { run(s, query("Service-123.SVC.bench", KNOT_RRTYPE_A, true)); }
void BM_Nxdomain(benchmark::State& s) { run(s, query("missing-1.svc.bench", KNOT_RRTYPE_A, false)); }
void BM_Refused(benchmark::State& s) { run(s, query("example.org", KNOT_RRTYPE_A, false)); }
void BM_Formerr(benchmark::State& s) {
  std::string q = query("service-1.svc.bench", KNOT_RRTYPE_A, false);
  q[5] = 2;
  run(s, q);
}

void BM_BuildZone500(benchmark::State& state) {
  auto rs = fleet(500, 20);
  ecssd::dns::ZoneOptions o;
  o.zone = "svc.bench";
  for (auto _ : state) {
    auto z = ecssd::dns::build_zone(o, rs, 1);
    benchmark::DoNotOptimize(z);
  }
}

BENCHMARK(BM_CnameChain);
BENCHMARK(BM_CnameChainEdns);
BENCHMARK(BM_Nxdomain);
BENCHMARK(BM_Refused);
BENCHMARK(BM_Formerr);
BENCHMARK(BM_BuildZone500)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
