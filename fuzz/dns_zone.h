#pragma once
// The zone the DNS fuzz targets answer from: every kind of answer the
// responder can give (data, CNAME chains inside and out of the zone, a CNAME
// loop, rotation variants, NODATA, empty non-terminals, NXDOMAIN, answers
// too big for UDP, TXT with many strings), on an apex of mixed case.
#include <memory>
#include <string>
#include <vector>

#include "dns/zone.h"
#include "fuzz_util.h"

namespace ecssd::fuzz {

// Without `rotation` no name has several CNAME targets, so that every answer
// is the same each time it is asked (the only state of a snapshot).
inline std::shared_ptr<const dns::ZoneSnapshot> fuzz_zone(bool rotation = true) {
  std::vector<model::Record> rs;
  auto add = [&](std::string name, model::RecordType t, std::vector<std::string> v, std::string set = "") {
    model::Record r;
    r.name = std::move(name);
    r.type = t;
    r.ttl = 30;
    r.values = std::move(v);
    r.set_identifier = std::move(set);
    rs.push_back(std::move(r));
  };
  using T = model::RecordType;
  add("h1.svc.test", T::kA, {"10.0.0.1"});
  add("h1.svc.test", T::kAAAA, {"fd00::1"});
  add("h2.svc.test", T::kA, {"10.0.0.2"});
  add("web.svc.test", T::kCNAME, {"h1.svc.test"}, "a");
  if (rotation) add("web.svc.test", T::kCNAME, {"h2.svc.test"}, "b");  // rotation variants
  add("chain.svc.test", T::kCNAME, {"web.svc.test"});
  add("out.svc.test", T::kCNAME, {"www.example.org"});
  add("loop1.svc.test", T::kCNAME, {"loop2.svc.test"});
  add("loop2.svc.test", T::kCNAME, {"loop1.svc.test"});
  add("_http._tcp.svc.test", T::kSRV, {"1 1 80 h1.svc.test"});
  add("deep.a.b.c.svc.test", T::kTXT, {"\"v=1\" \"second string\""});
  add("txt.svc.test", T::kTXT, {"\"" + std::string(255, 'x') + "\" \"" + std::string(200, 'y') + "\""});
  std::vector<std::string> many;
  for (int i = 0; i < 120; ++i) many.push_back("10.9.0." + std::to_string(i));
  add("big.svc.test", T::kA, many);
  dns::ZoneOptions o;
  o.zone = "Svc.Test";
  auto z = dns::build_zone(o, rs, 2024);
  FUZZ_CHECK(z.ok(), z.error().message);
  return z.value();
}

}  // namespace ecssd::fuzz
