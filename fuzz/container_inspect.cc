// A container inspect body (GET /containers/{id}/json) through parse_inspect
// and the record builder (source/docker/container_inspect.h,
// model/record_builder.h). Invariants: service_checks.h (well-formed
// services; records publishable and read back as written in every mode), a
// parsed container has an id, and its run state is one the source knows.
#include <boost/json/parse.hpp>

#include "fuzz_util.h"
#include "service_checks.h"

namespace {

namespace json = boost::json;

bool hex_id(std::string_view id) {
  return id.size() >= 12 && id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// Port keys as engines write them: "80/tcp", "53/udp", "9/sctp".
bool engine_ports(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* at = &v;
  for (auto key : path) {
    const auto* o = at->if_object();
    if (!o || !o->contains(key)) return true;
    at = &o->at(key);
  }
  const auto* ports = at->if_object();
  if (!ports) return true;
  for (const auto& kv : *ports) {
    std::string_view k = kv.key();
    size_t slash = k.find('/');
    std::string_view proto = slash == std::string_view::npos ? "tcp" : k.substr(slash + 1);
    if (proto != "tcp" && proto != "udp" && proto != "sctp") return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ecssd::fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecssd;
  std::string_view body = fuzz::as_text(data, size);
  source::ExtractOptions options;
  switch (fuzz::hash(body) % 3) {
    case 0: break;  // the container's only network, if it has one
    case 1: options.network = "bridge"; break;
    case 2: options.network = "net1"; break;
  }
  auto c = source::parse_inspect(body, options);
  if (!c.ok()) {
    FUZZ_CHECK(c.error().code == common::ErrorCode::kProtocol, c.error().describe());
    return 0;
  }
  FUZZ_CHECK(!c->id.empty(), "a container without an id");
  FUZZ_CHECK(c->name.empty() || c->name.front() != '/', "the name keeps its slash");
  FUZZ_CHECK(!c->status.empty() && c->running == (c->status == "running"), "run state: " + c->status);
  for (const auto& s : c->extraction.services) FUZZ_CHECK(s.container_id == c->id, "a service of another container");
  fuzz::check_extraction(c->extraction);
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  const bool sane = !ec && hex_id(c->id) && engine_ports(v, {"Config", "ExposedPorts"}) &&
                    engine_ports(v, {"NetworkSettings", "Ports"}) && engine_ports(v, {"HostConfig", "PortBindings"});
  fuzz::check_records(c->extraction.services, fuzz::record_config(fuzz::hash(body) / 3), sane);
  return 0;
}
