// What a container's author controls: its environment and labels. The input
// chooses SERVICE_* variables (registrator's conventions: SERVICE_<port>_NAME,
// _IGNORE, _CHECK_HTTP, _CHECK_HTTP_STATUS, _CHECK_TIMEOUT, _TAGS, and the
// container-wide forms), their values, the ECS labels and the container's
// ports; the container goes through extract_services, the record builder and
// the registry (service_checks.h). The values also go straight to the DNS
// name rules (model/names.h), whose results must agree with each other and
// with libknot's reading of the same name.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/json.hpp>

#include "dns/knot_util.h"
#include "fuzz_util.h"
#include "service_checks.h"

namespace ecssd::fuzz {
namespace {

namespace json = boost::json;

std::string port_text(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0: return "80";
    case 1: return "53";
    case 2: return "8080";
    case 3: return "0";
    case 4: return "65536";
    case 5: return std::to_string(in.ConsumeIntegral<uint32_t>());
    case 6: return std::to_string(in.ConsumeIntegralInRange(1, 65535));
    default: return in.ConsumeRandomLengthString(8);
  }
}

std::string key(FuzzedDataProvider& in) {
  static constexpr const char* kAttributes[] = {"NAME", "IGNORE", "CHECK_HTTP", "CHECK_HTTP_STATUS",
                                                "CHECK_TIMEOUT", "TAGS"};
  if (in.ConsumeIntegralInRange(0, 15) == 0) return in.ConsumeRandomLengthString(40);  // anything at all
  std::string attribute = kAttributes[in.ConsumeIntegralInRange<size_t>(0, std::size(kAttributes) - 1)];
  if (in.ConsumeBool()) return "SERVICE_" + attribute;
  return "SERVICE_" + port_text(in) + "_" + attribute;
}

// A value: often a plausible one, so that the interesting checks run.
std::string value(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: return in.PickValueInArray({"web", "_calc._tcp", "api.v1", "dns._udp", "200-299", "2s", "/health", "1"});
    default: return in.ConsumeRandomLengthString(300);
  }
}

json::object container(FuzzedDataProvider& in) {
  json::array env;
  json::object labels, exposed, ports;
  for (int i = in.ConsumeIntegralInRange(0, 10); i > 0; --i) {
    std::string k = key(in), v = value(in);
    if (in.ConsumeBool()) {
      env.emplace_back(k + "=" + v);
    } else {
      labels[k] = v;
    }
  }
  if (in.ConsumeBool()) labels["com.amazonaws.ecs.task-arn"] = in.ConsumeRandomLengthString(300);
  if (in.ConsumeBool()) labels["com.amazonaws.ecs.cluster"] = in.ConsumeRandomLengthString(300);
  for (int i = in.ConsumeIntegralInRange(0, 3); i > 0; --i) {
    std::string p = port_text(in) + "/" + in.PickValueInArray({"tcp", "udp", "sctp"});
    exposed[p] = json::object();
    if (in.ConsumeBool()) {
      json::array bindings;
      bindings.emplace_back(json::object{{"HostIp", in.PickValueInArray({"0.0.0.0", "::", "127.0.0.1", "fd00::9"})},
                                         {"HostPort", port_text(in)}});
      ports[p] = std::move(bindings);
    }
  }
  json::object o;
  o["Id"] = "079ff28a82056e988f45de27f762b28789d9e293bb79ad61d041cc98b37b1061";
  o["Name"] = "/" + in.ConsumeRandomLengthString(80);
  o["State"] = json::object{{"Status", "running"}, {"StartedAt", "2026-11-25T08:12:35.740117003Z"}};
  o["Config"] = json::object{{"Env", std::move(env)}, {"Labels", std::move(labels)}, {"ExposedPorts", exposed}};
  o["HostConfig"] = json::object{{"NetworkMode", in.ConsumeBool() ? "host" : "bridge"}};
  o["NetworkSettings"] = json::object{
      {"Ports", std::move(ports)},
      {"Networks", json::object{{"bridge", json::object{{"IPAddress", "172.17.0.2"}, {"GlobalIPv6Address", ""}}}}}};
  return o;
}

// The name rules on one string.
void check_names(const std::string& v) {
  const std::string n = model::normalize_name(v);
  FUZZ_CHECK(model::normalize_name(n) == n || (!n.empty() && n.back() == '.'), "normalize_name is not idempotent: " + v);
  FUZZ_CHECK(model::names_equal(v, n) || (!n.empty() && n.back() == '.'), "a name differs from its normal form: " + v);
  if (auto h = model::validate_hostname(v); h.ok()) {
    auto wire = dns::detail::name_to_wire(v, "name");
    FUZZ_CHECK(wire.ok(), "a valid host name libknot refuses: " + v);
    FUZZ_CHECK(model::validate_zone(v).ok(), "a host name that is no zone: " + v);
  }
  auto fqdn = model::service_fqdn(v, kZone, model::kCompanionReserve);
  if (fqdn.ok()) {
    FUZZ_CHECK(model::normalize_name(*fqdn) == *fqdn && model::in_zone(*fqdn, kZone) && *fqdn != kZone,
               "service_fqdn outside the zone: " + *fqdn);
    FUZZ_CHECK(fqdn->size() + model::kCompanionReserve <= model::kMaxNameLength, "service_fqdn too long: " + *fqdn);
    FUZZ_CHECK(dns::detail::name_to_wire(*fqdn, "name").ok(), "a service name libknot refuses: " + *fqdn);
    FUZZ_CHECK(model::names_equal(*fqdn, n + "." + std::string(kZone)), "service_fqdn is not the name in the zone");
  }
  for (std::string_view zone : {std::string_view(kZone), std::string_view("Svc.Test."), std::string_view(v)}) {
    if (!model::in_zone(v, zone)) continue;
    std::string z = model::normalize_name(zone), nn = model::normalize_name(v);
    FUZZ_CHECK(z.empty() || nn == z || nn.ends_with("." + z), fmt::format("in_zone({}, {}) is wrong", v, zone));
  }
}

}  // namespace
}  // namespace ecssd::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ecssd::fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecssd;
  FuzzedDataProvider in(data, size);
  boost::json::value c = fuzz::container(in);
  source::ExtractOptions options;
  auto x = source::extract_services(c, options);
  fuzz::check_extraction(x);
  fuzz::check_records(x.services, fuzz::record_config(in.ConsumeIntegral<uint8_t>()));
  // Every variable that was not used is reported, once, by name.
  for (const auto& r : x.rejections) FUZZ_CHECK(!r.field.empty() && !r.reason.empty(), "an unexplained rejection");
  for (const auto& kv : c.at("Config").at("Labels").as_object()) {
    if (const auto* s = kv.value().if_string()) fuzz::check_names(std::string(*s));
  }
  fuzz::check_names(in.ConsumeRemainingBytesAsString());
  return 0;
}
