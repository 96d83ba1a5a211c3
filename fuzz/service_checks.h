#pragma once
// Invariants of what a container declares, shared by the container_inspect
// and service_labels targets: the services extracted are well-formed, the
// records built from them in every mode are publishable, and each record
// with its ownership companion reads back, through the registry and each
// provider's canonical form, exactly as it was written (a record that reads
// back different is rewritten on every plan, or lost).
#include <arpa/inet.h>

#include <tuple>

#include "common/duration.h"
#include "dns/zone.h"
#include "fuzz_util.h"
#include "model/names.h"
#include "model/record_builder.h"
#include "provider/route53/route53_codec.h"
#include "registry/registry.h"
#include "source/docker/container_inspect.h"

namespace ecssd::fuzz {

inline constexpr std::string_view kZone = "svc.test";
inline constexpr std::string_view kOwner = "host-1";

inline bool is_address(const std::string& ip) {
  unsigned char buf[16];
  return inet_pton(AF_INET, ip.c_str(), buf) == 1 || inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

inline void check_extraction(const source::Extraction& x) {
  for (size_t i = 0; i < x.services.size(); ++i) {
    const model::Service& s = x.services[i];
    auto what = [&] { return fmt::format("service \"{}\" {}/{}", s.name, s.container_port, s.protocol); };
    if (i > 0) {
      const auto& p = x.services[i - 1];
      FUZZ_CHECK(std::tie(p.container_port, p.protocol, p.name) < std::tie(s.container_port, s.protocol, s.name),
                 "services not sorted or repeated: " + what());
    }
    // One trailing dot makes the name absolute (issue 11, several zones: the
    // record builder places it in its zone); the labels before it are checked.
    std::string_view name(s.name);
    if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
    FUZZ_CHECK(!name.empty() && name.back() != '.', "bad name: " + what());
    size_t start = 0;
    for (;;) {
      size_t dot = name.find('.', start);
      auto label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
      auto v = model::validate_label(label, true);
      FUZZ_CHECK(v.ok(), what() + ": " + v.error().message);
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    if (s.check.kind == model::HealthCheck::Kind::kHttp) {
      FUZZ_CHECK(s.check.http_path.starts_with('/'), "check path: " + what());
    }
    if (!s.check.timeout.empty()) {
      auto t = common::parse_duration(s.check.timeout);
      FUZZ_CHECK(t.ok() && t->count() > 0, "check timeout: " + what());
    }
  }
}

// `r` as `provider` lists it after writing it: the record and its
// companion, through that provider's canonical form, joined by the registry.
inline void check_reads_back(const model::Record& r, bool route53) {
  model::Record main = r;
  main.labels.clear();
  model::Record companion = registry::companion_of(r);
  auto canon = [&](model::Record x) {
    if (route53) return provider::route53::canonical(std::move(x));
    auto c = dns::canonical_record(x);
    FUZZ_CHECK(c.ok(), "the embedded zone refuses " + model::describe(x) + ": " + c.error().message);
    return std::move(c).value();
  };
  auto listed = registry::join({canon(main), canon(companion)}, /*native_set_ids=*/true);
  const model::Record want = canon(r);
  FUZZ_CHECK(listed.size() == 1, fmt::format("{} reads back as {} records", model::describe(r), listed.size()));
  const model::Record& got = listed[0];
  FUZZ_CHECK(model::key_of(got) == model::key_of(want) && got.values == want.values,
             model::describe(r) + " reads back as " + model::describe(got));
  for (const auto& [k, v] : want.labels) {
    auto it = got.labels.find(k);
    FUZZ_CHECK(it != got.labels.end() && it->second == v,
               fmt::format("{}: label {}={} reads back as {}", model::describe(r), k, v,
                           it == got.labels.end() ? "nothing" : it->second));
  }
  FUZZ_CHECK(got.labels.size() == want.labels.size(), model::describe(r) + ": extra labels read back");
  FUZZ_CHECK(!model::differs(got, want), model::describe(r) + " differs from itself once listed");
}

// The record modes and targets of `ecssd agent` (--record-mode, --target):
// the input picks one of the six, so each run costs one build.
inline model::RecordConfig record_config(uint64_t choice) {
  static constexpr model::RecordMode kModes[] = {model::RecordMode::kCname, model::RecordMode::kSrv,
                                                 model::RecordMode::kA};
  model::RecordConfig c;
  c.zone = std::string(kZone);
  c.mode = kModes[choice % 3];
  c.target = (choice / 3) % 2 ? model::TargetMode::kContainer : model::TargetMode::kHost;
  c.host = {std::string(kOwner), "host-1.svc.test", "10.0.0.5", "fd00::5", "i-0123456789abcdef0"};
  FUZZ_CHECK(model::validate(c).ok(), "the fuzz config is invalid");
  return c;
}

// `engine_sane`: the fields only the engine writes look as engines write
// them (a hexadecimal Id, ports "<n>/tcp|udp|sctp"). A broken engine can make
// a record unpublishable (the provider then refuses that one record), but
// never one outside the zone.
inline void check_records(const std::vector<model::Service>& services, const model::RecordConfig& c,
                          bool engine_sane = true) {
  auto built = model::build_records(services, c);
  for (size_t i = 0; i < built.records.size(); ++i) {
    const model::Record& r = built.records[i];
    auto what = [&] { return fmt::format("{} (mode {})", model::describe(r), model::to_string(c.mode)); };
    if (i > 0) FUZZ_CHECK(built.records[i - 1].key() < r.key(), "records not sorted or repeated: " + what());
    FUZZ_CHECK(model::in_zone(r.name, kZone), "name outside the zone: " + what());
    if (!engine_sane) continue;
    FUZZ_CHECK(model::normalize_name(r.name) == r.name, "name not normalized: " + what());
    FUZZ_CHECK(r.set_identifier.starts_with("ecssd:host-1:") &&
                   r.set_identifier.size() <= model::kMaxSetIdentifierLength,
               "set identifier: " + what());
    FUZZ_CHECK(r.owner() == kOwner, "owner: " + what());
    // Container addresses come from the engine as they are: only a record
    // whose values are addresses can be checked further.
    bool addresses = true;
    if (r.type == model::RecordType::kA || r.type == model::RecordType::kAAAA) {
      for (const auto& v : r.values) addresses = addresses && is_address(v);
    }
    if (!addresses) continue;
    auto ok = dns::check_record(r, kZone);
    FUZZ_CHECK(ok.ok(), "unpublishable: " + what() + ": " + ok.error().message);
    check_reads_back(r, /*route53=*/false);
    check_reads_back(r, /*route53=*/true);
  }
}

}  // namespace ecssd::fuzz
