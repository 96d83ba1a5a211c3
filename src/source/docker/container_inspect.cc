#include "source/docker/container_inspect.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <boost/json/parse.hpp>

#include "common/duration.h"
#include "model/names.h"

namespace ecssd::source {
namespace {

namespace json = boost::json;

constexpr std::string_view kPrefix = "SERVICE_";
constexpr std::string_view kTaskArnLabel = "com.amazonaws.ecs.task-arn";
constexpr std::string_view kClusterLabel = "com.amazonaws.ecs.cluster";

// The attributes a SERVICE_ variable may set. Longest first: a suffix search
// must see "_CHECK_HTTP_STATUS" before "_CHECK_HTTP".
constexpr std::string_view kAttributes[] = {"CHECK_HTTP_STATUS", "CHECK_INTERVAL", "CHECK_TIMEOUT", "CHECK_HTTP",
                                             "CHECK_RISE",        "CHECK_FALL",     "CHECK_TCP",     "IGNORE",
                                             "PRIORITY",          "WEIGHT",         "TAGS",          "NAME"};

// Bounds of the agent's check settings: a check every 100 ms at most, once an
// hour at least; thresholds of 1 to 100 checks.
constexpr std::chrono::milliseconds kMinInterval{100};
constexpr std::chrono::milliseconds kMaxInterval{3'600'000};
constexpr uint32_t kMaxThreshold = 100;

// --- tolerant JSON access: the engine's payload is input, any field may be
// missing or of another type, and nothing here may throw.

const json::value* member(const json::value* v, std::string_view key) {
  if (!v) return nullptr;
  const auto* o = v->if_object();
  if (!o) return nullptr;
  auto it = o->find(key);
  return it == o->end() ? nullptr : &it->value();
}

const json::object* object_at(const json::value* v, std::string_view key) {
  const auto* m = member(v, key);
  return m ? m->if_object() : nullptr;
}

std::string_view string_at(const json::value* v, std::string_view key) {
  const auto* m = member(v, key);
  const auto* s = m ? m->if_string() : nullptr;
  return s ? std::string_view(*s) : std::string_view();
}

bool bool_at(const json::value* v, std::string_view key) {
  const auto* m = member(v, key);
  const auto* b = m ? m->if_bool() : nullptr;
  return b && *b;
}

std::optional<uint32_t> parse_number(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  uint32_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return n;
}

bool truthy(std::string_view v) {
  std::string l(v);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  return !(l.empty() || l == "0" || l == "false" || l == "no");
}

std::vector<std::string> split_tags(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view t = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
    if (!t.empty()) out.emplace_back(t);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// The settings of one port (or, with port 0, the container-wide defaults).
struct Declaration {
  std::optional<std::string> name;
  bool ignore = false;
  std::optional<std::string> check_http;
  std::optional<std::string> check_http_status;
  std::optional<std::string> check_timeout;
  std::optional<bool> check_tcp;
  std::optional<std::string> check_interval;
  std::optional<int> check_rise;
  std::optional<int> check_fall;
  std::optional<std::vector<std::string>> tags;
  std::optional<uint16_t> priority;
  std::optional<uint16_t> weight;
};

struct PortKey {
  uint16_t port;
  std::string protocol;
  auto operator<=>(const PortKey&) const = default;
};

class Extractor {
 public:
  Extractor(const json::value& inspect, const ExtractOptions& options) : root_(&inspect), options_(options) {
    id_ = std::string(string_at(root_, "Id"));
    name_ = container_name(string_at(root_, "Name"));
  }

  Extraction run() {
    collect_variables();
    auto general_ignore = vars_.find("SERVICE_IGNORE");
    if (general_ignore != vars_.end() && truthy(general_ignore->second)) return std::move(out_);
    parse_declarations();
    collect_ports();
    build_services();
    if (!out_.services.empty()) choose_addresses();
    std::sort(out_.services.begin(), out_.services.end(), [](const model::Service& a, const model::Service& b) {
      return std::tie(a.container_port, a.protocol, a.name) < std::tie(b.container_port, b.protocol, b.name);
    });
    return std::move(out_);
  }

 private:
  void reject(std::string field, std::string reason) {
    out_.rejections.push_back({id_, name_, std::move(field), std::move(reason)});
  }

  // Env first, then labels over it: labels win.
  void collect_variables() {
    const json::value* config = member(root_, "Config");
    if (const auto* env = member(config, "Env"); env && env->is_array()) {
      for (const auto& e : env->get_array()) {
        const auto* s = e.if_string();
        if (!s) continue;
        std::string_view kv = *s;
        size_t eq = kv.find('=');
        if (eq == std::string_view::npos) continue;
        std::string_view key = kv.substr(0, eq);
        if (key.starts_with(kPrefix)) vars_.insert_or_assign(std::string(key), std::string(kv.substr(eq + 1)));
      }
    }
    if (const auto* labels = object_at(config, "Labels")) {
      for (const auto& kv : *labels) {
        const auto* s = kv.value().if_string();
        if (!s) continue;
        std::string_view key = kv.key();
        if (key.starts_with(kPrefix)) vars_.insert_or_assign(std::string(key), std::string(*s));
        if (key == kTaskArnLabel) task_arn_ = std::string(*s);
        if (key == kClusterLabel) cluster_ = std::string(*s);
      }
    }
  }

  // Validates one attribute's value into `d`; a bad value is rejected and left unset.
  void set_attribute(Declaration& d, std::string_view attribute, const std::string& field, const std::string& value) {
    if (attribute == "NAME") {
      if (auto s = validate_service_name(value); !s.ok()) {
        reject(field, s.error().message);
        return;
      }
      d.name = value;
    } else if (attribute == "IGNORE") {
      d.ignore = truthy(value);
    } else if (attribute == "TAGS") {
      d.tags = split_tags(value);
    } else if (attribute == "CHECK_HTTP") {
      if (value.empty() || value.front() != '/' ||
          std::any_of(value.begin(), value.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; })) {
        reject(field, fmt::format("\"{}\" is not an HTTP path (it must start with '/' and contain no spaces)", value));
        return;
      }
      d.check_http = value;
    } else if (attribute == "CHECK_HTTP_STATUS") {
      if (!valid_status_range(value)) {
        reject(field, fmt::format("\"{}\" is not an HTTP status or range (e.g. \"200\" or \"200-299\")", value));
        return;
      }
      d.check_http_status = value;
    } else if (attribute == "CHECK_TIMEOUT") {
      auto t = common::parse_duration(value);
      if (!t.ok() || t->count() <= 0) {
        reject(field, fmt::format("\"{}\" is not a positive duration (e.g. \"2s\")", value));
        return;
      }
      d.check_timeout = value;
    } else if (attribute == "CHECK_TCP") {
      d.check_tcp = truthy(value);
    } else if (attribute == "CHECK_INTERVAL") {
      auto t = common::parse_duration(value);
      if (!t.ok() || *t < kMinInterval || *t > kMaxInterval) {
        reject(field, fmt::format("\"{}\" is not a duration from 100ms to 1h (e.g. \"10s\")", value));
        return;
      }
      d.check_interval = value;
    } else if (attribute == "PRIORITY" || attribute == "WEIGHT") {
      auto n = parse_number(value);
      if (!n || *n > 65535) {
        reject(field, fmt::format("\"{}\" is not an SRV {} from 0 to 65535", value,
                                  attribute == "PRIORITY" ? "priority" : "weight"));
        return;
      }
      (attribute == "PRIORITY" ? d.priority : d.weight) = static_cast<uint16_t>(*n);
    } else if (attribute == "CHECK_RISE" || attribute == "CHECK_FALL") {
      auto n = parse_number(value);
      if (!n || *n < 1 || *n > kMaxThreshold) {
        reject(field, fmt::format("\"{}\" is not a number of checks from 1 to {}", value, kMaxThreshold));
        return;
      }
      (attribute == "CHECK_RISE" ? d.check_rise : d.check_fall) = static_cast<int>(*n);
    }
  }

  static common::Status validate_service_name(std::string_view name) {
    // A trailing dot makes the name absolute: the record builder checks it
    // lies in a served zone (several --zone).
    const std::string_view written = name;
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty()) {
      return common::make_error(common::ErrorCode::kInvalidArgument,
                                written.empty() ? std::string("the name is empty")
                                                : fmt::format("\"{}\" is not a service name", written));
    }
    size_t start = 0;
    while (true) {
      size_t dot = name.find('.', start);
      std::string_view label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
      if (auto s = model::validate_label(label, true); !s.ok()) {
        return common::make_error(common::ErrorCode::kInvalidArgument,
                                  fmt::format("\"{}\" is not a valid DNS name: {}", written, s.error().message));
      }
      if (dot == std::string_view::npos) return {};
      start = dot + 1;
    }
  }

  static bool valid_status_range(std::string_view v) {
    size_t dash = v.find('-');
    auto lo = parse_number(v.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : parse_number(v.substr(dash + 1));
    return lo && hi && *lo >= 100 && *hi <= 599 && *lo <= *hi;
  }

  void parse_declarations() {
    for (const auto& [key, value] : vars_) {
      std::string_view rest = std::string_view(key).substr(kPrefix.size());
      // Other SERVICE_ variables (no known attribute) are someone else's metadata.
      for (std::string_view attribute : kAttributes) {
        if (rest == attribute) {
          set_attribute(general_, attribute, key, value);
          break;
        }
        if (rest.size() >= attribute.size() + 1 && rest.ends_with(attribute) &&
            rest[rest.size() - attribute.size() - 1] == '_') {
          std::string_view port_text = rest.substr(0, rest.size() - attribute.size() - 1);
          auto port = parse_number(port_text);
          if (!port) {
            reject(key, fmt::format("\"{}\" is not a port number", port_text));
          } else if (*port < 1 || *port > 65535) {
            reject(key, fmt::format("port {} is out of range 1-65535", *port));
          } else {
            set_attribute(per_port_[static_cast<uint16_t>(*port)], attribute, key, value);
          }
          break;
        }
      }
    }
  }

  // Every port the container exposes or publishes, with its protocol.
  void collect_ports() {
    auto add_keys = [this](const json::object* o) {
      if (!o) return;
      for (const auto& kv : *o) {
        std::string_view k = kv.key();
        size_t slash = k.find('/');
        auto port = parse_number(k.substr(0, slash));
        if (!port || *port < 1 || *port > 65535) continue;
        std::string proto = slash == std::string_view::npos ? "tcp" : std::string(k.substr(slash + 1));
        ports_.insert({static_cast<uint16_t>(*port), proto});
      }
    };
    add_keys(object_at(member(root_, "Config"), "ExposedPorts"));
    add_keys(object_at(member(root_, "NetworkSettings"), "Ports"));
    add_keys(object_at(member(root_, "HostConfig"), "PortBindings"));
    host_network_ = string_at(member(root_, "HostConfig"), "NetworkMode") == "host";
  }

  std::vector<std::string> protocols_of(uint16_t port, std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& k : ports_) {
      if (k.port == port) out.push_back(k.protocol);
    }
    if (out.empty()) out.push_back(name == "_udp" || name.ends_with("._udp") ? "udp" : "tcp");
    return out;
  }

  void add_service(const std::string& name, uint16_t port, const std::string& protocol, const Declaration& d) {
    model::Service s;
    s.container_id = id_;
    s.container_name = name_;
    s.started_unix = parse_rfc3339_seconds(string_at(member(root_, "State"), "StartedAt"));
    s.name = name;
    s.container_port = port;
    s.protocol = protocol;
    if (port != 0) {
      if (host_network_) {
        s.host_port = port;
      } else {
        publish_binding(s);
      }
    }
    auto pick = [&](const auto& specific, const auto& general) { return specific ? specific : general; };
    set_check(s.check, d);
    if (auto st = pick(d.check_http_status, general_.check_http_status)) s.check.http_status = *st;
    if (auto t = pick(d.check_timeout, general_.check_timeout)) s.check.timeout = *t;
    if (auto t = pick(d.check_interval, general_.check_interval)) s.check.interval = *t;
    if (auto n = pick(d.check_rise, general_.check_rise)) s.check.rise = *n;
    if (auto n = pick(d.check_fall, general_.check_fall)) s.check.fall = *n;
    if (auto tags = pick(d.tags, general_.tags)) s.tags = *tags;
    if (auto n = pick(d.priority, general_.priority)) s.priority = *n;
    if (auto n = pick(d.weight, general_.weight)) s.weight = *n;
    s.task_arn = task_arn_;
    s.cluster = cluster_;
    out_.services.push_back(std::move(s));
  }

  // The check a service declares: CHECK_HTTP or CHECK_TCP of its port, else
  // the container-wide one. An HTTP path wins over CHECK_TCP of the same
  // scope; CHECK_TCP=false opts the port out of the agent's --check-all.
  void set_check(model::HealthCheck& check, const Declaration& port) const {
    const Declaration& d = port.check_http || port.check_tcp ? port : general_;
    if (d.check_http) {
      check.kind = model::HealthCheck::Kind::kHttp;
      check.http_path = *d.check_http;
      check.declared = true;
    } else if (d.check_tcp) {
      check.declared = *d.check_tcp;
      check.opted_out = !*d.check_tcp;
    }
  }

  // NetworkSettings.Ports["80/tcp"] = [{"HostIp":"0.0.0.0","HostPort":"18081"}, {"HostIp":"::",...}]:
  // the first IPv4 binding wins, else the first one.
  void publish_binding(model::Service& s) const {
    const auto* ports = object_at(member(root_, "NetworkSettings"), "Ports");
    if (!ports) return;
    auto it = ports->find(fmt::format("{}/{}", s.container_port, s.protocol));
    if (it == ports->end() || !it->value().is_array()) return;
    const json::value* chosen = nullptr;
    for (const auto& b : it->value().get_array()) {
      if (!b.is_object()) continue;
      if (!chosen) chosen = &b;
      if (string_at(&b, "HostIp").find(':') == std::string_view::npos) {
        chosen = &b;
        break;
      }
    }
    if (!chosen) return;
    auto port = parse_number(string_at(chosen, "HostPort"));
    if (!port || *port < 1 || *port > 65535) return;
    s.host_port = static_cast<uint16_t>(*port);
    std::string_view ip = string_at(chosen, "HostIp");
    if (ip != "0.0.0.0" && ip != "::") s.host_ip = std::string(ip);
  }

  void build_services() {
    for (const auto& [port, d] : per_port_) {
      if (!d.name || d.ignore) continue;
      for (const auto& proto : protocols_of(port, *d.name)) add_service(*d.name, port, proto, d);
    }
    if (!general_.name) return;
    std::set<uint16_t> numbers;
    for (const auto& k : ports_) numbers.insert(k.port);
    if (numbers.size() > 1) {
      std::string list;
      for (const auto& k : ports_) list += fmt::format("{}{}/{}", list.empty() ? "" : ", ", k.port, k.protocol);
      reject("SERVICE_NAME", fmt::format("the container has several ports ({}); SERVICE_NAME needs exactly one: "
                                         "name each with SERVICE_<port>_NAME",
                                         list));
      return;
    }
    uint16_t port = numbers.empty() ? 0 : *numbers.begin();
    auto specific = per_port_.find(port);
    if (port != 0 && specific != per_port_.end() && (specific->second.name || specific->second.ignore)) return;
    Declaration none;
    const Declaration& d = specific != per_port_.end() ? specific->second : none;
    if (port == 0) {
      add_service(*general_.name, 0, protocols_of(0, *general_.name).front(), d);
    } else {
      for (const auto& proto : protocols_of(port, *general_.name)) add_service(*general_.name, port, proto, d);
    }
  }

  void choose_addresses() {
    const json::value* settings = member(root_, "NetworkSettings");
    const json::object* networks = object_at(settings, "Networks");
    const json::value* chosen = nullptr;
    std::vector<std::string> sorted;
    if (networks) {
      for (const auto& kv : *networks) sorted.emplace_back(kv.key());
    }
    std::sort(sorted.begin(), sorted.end());
    std::string names;
    for (const auto& n : sorted) names += (names.empty() ? "" : ", ") + n;
    if (!options_.network.empty()) {
      auto it = networks ? networks->find(options_.network) : nullptr;
      if (networks && it != networks->end()) {
        chosen = &it->value();
      } else {
        out_.notes.push_back(
            fmt::format("the container is not on network \"{}\" (it is on: {}); it has no container "
                        "address",
                        options_.network, names.empty() ? "none" : names));
      }
    } else if (networks && networks->size() == 1) {
      chosen = &networks->begin()->value();
    } else if (networks && networks->size() > 1) {
      out_.notes.push_back(
          fmt::format("the container is on several networks ({}); pass --network to choose its "
                      "address",
                      names));
    } else {
      chosen = settings;  // API < 1.21 had only the top-level fields
    }
    if (!chosen) return;
    std::string ip(string_at(chosen, "IPAddress"));
    std::string ip6(string_at(chosen, "GlobalIPv6Address"));
    for (auto& s : out_.services) {
      s.container_ip = ip;
      s.container_ip6 = ip6;
    }
  }

  const json::value* root_;
  const ExtractOptions& options_;
  std::string id_, name_, task_arn_, cluster_;
  std::map<std::string, std::string> vars_;
  Declaration general_;
  std::map<uint16_t, Declaration> per_port_;
  std::set<PortKey> ports_;
  bool host_network_ = false;
  Extraction out_;
};

}  // namespace

Extraction extract_services(const json::value& inspect, const ExtractOptions& options) {
  return Extractor(inspect, options).run();
}

common::Result<InspectedContainer> parse_inspect(std::string_view body, const ExtractOptions& options) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) {
    return common::make_error(common::ErrorCode::kProtocol,
                              fmt::format("container inspect is not valid JSON: {}", ec.message()));
  }
  InspectedContainer c;
  c.id = std::string(string_at(&v, "Id"));
  if (c.id.empty()) return common::make_error(common::ErrorCode::kProtocol, "container inspect has no Id");
  c.name = container_name(string_at(&v, "Name"));
  const json::value* state = member(&v, "State");
  c.status = std::string(string_at(state, "Status"));
  if (c.status.empty()) {
    bool run = bool_at(state, "Running") && !bool_at(state, "Paused") && !bool_at(state, "Restarting");
    c.status = run ? "running" : "exited";
  }
  c.running = c.status == "running";
  c.health = std::string(string_at(member(state, "Health"), "Status"));
  c.started_at = std::string(string_at(state, "StartedAt"));
  c.extraction = extract_services(v, options);
  return c;
}

std::string container_name(std::string_view engine_name) {
  const size_t start = engine_name.find_first_not_of('/');
  return start == std::string_view::npos ? std::string() : std::string(engine_name.substr(start));
}

int64_t parse_rfc3339_seconds(std::string_view text) {
  // Hand-written: neither Boost nor libstdc++ 12 (no std::chrono::parse) reads RFC 3339.
  int y, mo, d, h, mi, s;
  int consumed = 0;
  std::string t(text);
  if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) != 6) return 0;
  std::string_view rest = std::string_view(t).substr(static_cast<size_t>(consumed));
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
  }
  int64_t offset = 0;
  if (rest == "Z" || rest == "z") {
    offset = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    auto oh = parse_number(rest.substr(1, 2));
    auto om = parse_number(rest.substr(4, 2));
    if (!oh || !om) return 0;
    offset = (static_cast<int64_t>(*oh) * 3600 + *om * 60) * (rest[0] == '+' ? 1 : -1);
  } else {
    return 0;
  }
  using namespace std::chrono;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || y < 1970) return 0;
  int64_t days = sys_days{ymd}.time_since_epoch().count();
  return days * 86400 + h * 3600 + mi * 60 + s - offset;
}

}  // namespace ecssd::source
