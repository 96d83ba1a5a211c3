// aws_tool: drives ecssd's AWS plumbing from tests. Every subcommand prints
// one JSON object on stdout and exits 0 on success, 1 on an error result, 2
// on bad usage. Secrets are printed only as SHA-256 hashes.
//
//   sign                     stdin: {"method","url","headers":[[k,v]...],"body",
//                            "access_key_id","secret_access_key","session_token",
//                            "service","region","time"}; prints the SigV4 steps
//   http --url U [--method M] [--count N] [--body B] [--timeout-ms T] [--header K:V]...
//   credentials [--concurrent N]
//   imds
//   region
//   ecs list-clusters | list-tasks --cluster C [--service S] [--desired-status D]
//       | describe-tasks --cluster C --task ARN... | stop-task --cluster C --task ARN [--reason R]
//   ec2 describe-instances [--id I]... [--filter name=v1,v2]...
//   events put-events --entries '[{"Source":..,"DetailType":..,"Detail":..,"EventBusName":..}]'
#include <chrono>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "aws/aws_stack.h"
#include "aws/crypto.h"
#include "aws/ec2.h"
#include "aws/ecs.h"
#include "aws/endpoint.h"
#include "aws/eventbridge.h"
#include "aws/iso8601.h"
#include "aws/sigv4.h"
#include "common/environment.h"
#include "common/log.h"
#include "common/time_system.h"

namespace {

using namespace ecssd;
using namespace ecssd::aws;
namespace json = boost::json;
namespace net = boost::asio;

// What main() reads once and every command runs with.
struct Process {
  common::Environment env = common::Environment::snapshot();
  common::RealTimeSystem time;
};

json::object error_json(const common::Error& e) {
  return json::object{{"code", common::to_string(e.code)}, {"message", e.message}, {"transient", e.transient}};
}

int print(const json::object& o, bool ok) {
  std::cout << json::serialize(o) << std::endl;
  return ok ? 0 : 1;
}

// Runs `task` to completion on `io`; the value is stored from inside a void
// coroutine, so T needs no default constructor.
template <typename T>
common::Task<void> store(common::Task<T> task, std::optional<T>* out) {
  out->emplace(co_await std::move(task));
}
template <typename T>
T run(net::io_context& io, common::Task<T> task) {
  std::optional<T> out;
  net::co_spawn(io, store(std::move(task), &out), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  io.restart();
  return std::move(*out);
}

int cmd_sign() {
  std::stringstream ss;
  ss << std::cin.rdbuf();
  boost::system::error_code ec;
  auto v = json::parse(ss.str(), ec);
  if (ec || !v.is_object()) {
    std::cerr << "sign: stdin is not a JSON object\n";
    return 2;
  }
  const auto& in = v.as_object();
  auto s = [&](const char* k) { return in.contains(k) ? std::string(in.at(k).as_string()) : std::string(); };
  HttpRequest req;
  req.method = s("method");
  req.url = s("url");
  req.body = s("body");
  if (in.contains("headers")) {
    for (const auto& h : in.at("headers").as_array()) {
      req.headers.emplace_back(std::string(h.as_array().at(0).as_string()), std::string(h.as_array().at(1).as_string()));
    }
  }
  Credentials creds;
  creds.access_key_id = s("access_key_id");
  creds.secret_access_key = s("secret_access_key");
  creds.session_token = s("session_token");
  auto t = parse_iso8601(s("time"));
  if (!t) {
    std::cerr << "sign: bad time\n";
    return 2;
  }
  SigV4Signer signer(s("service"), s("region"));
  auto r = signer.sign(req, creds, *t);
  if (!r) return print({{"error", error_json(r.error())}}, false);
  json::array headers;
  for (const auto& [k, val] : req.headers) headers.push_back(json::array{json::string(k), json::string(val)});
  return print({{"canonical_request", r->canonical_request},
                {"string_to_sign", r->string_to_sign},
                {"signature", r->signature},
                {"signed_headers", r->signed_headers},
                {"headers", headers}},
               true);
}

struct HttpArgs {
  std::string url, method = "GET", body;
  int count = 1;
  int timeout_ms = 10'000;
  std::vector<std::string> headers;
};

int cmd_http(Process& p, const HttpArgs& a) {
  net::io_context io;
  auto client = BeastHttpClient::create(io.get_executor(), HttpClientOptions::from_env(p.env), p.time);
  if (!client) return print({{"error", error_json(client.error())}}, false);
  json::array results;
  bool all_ok = true;
  for (int i = 0; i < a.count; ++i) {
    HttpRequest req;
    req.method = a.method;
    req.url = a.url;
    req.body = a.body;
    req.timeout = std::chrono::milliseconds(a.timeout_ms);
    for (const auto& h : a.headers) {
      auto colon = h.find(':');
      req.headers.emplace_back(h.substr(0, colon), colon == std::string::npos ? "" : h.substr(colon + 1));
    }
    auto r = run(io, (*client)->send(req));
    if (r) {
      results.push_back(json::object{{"status", r->status}, {"body", r->body}, {"bytes", r->body.size()}});
    } else {
      all_ok = false;
      results.push_back(json::object{{"error", error_json(r.error())}});
    }
  }
  auto st = (*client)->stats();
  return print({{"results", results},
                {"stats", json::object{{"requests", st.requests},
                                       {"connections_opened", st.connections_opened},
                                       {"connections_reused", st.connections_reused},
                                       {"stale_retries", st.stale_retries}}},
                {"idle_connections", (*client)->idle_connections()}},
               all_ok);
}

int cmd_credentials(Process& p, int concurrent) {
  net::io_context io;
  auto stack = make_aws_stack(io.get_executor(), p.env, p.time);
  if (!stack) return print({{"error", error_json(stack.error())}}, false);
  std::vector<std::optional<common::Result<Credentials>>> out(static_cast<size_t>(std::max(1, concurrent)));
  for (auto& slot : out) {
    net::co_spawn(io, store(stack->credentials->credentials(), &slot), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  }
  io.run();
  const auto& first = *out[0];
  for (const auto& o : out) {
    if (o->ok() != first.ok() || (o->ok() && (*o)->access_key_id != first->access_key_id)) {
      return print({{"error", json::object{{"message", "concurrent callers got different answers"}}}}, false);
    }
  }
  if (!first) return print({{"error", error_json(first.error())}, {"fetches", stack->credentials->fetches()}}, false);
  const Credentials& c = *first;
  return print({{"access_key_id", c.access_key_id},
                {"secret_sha256", sha256_hex(c.secret_access_key)},
                {"token_sha256", c.session_token.empty() ? "" : sha256_hex(c.session_token)},
                {"source", c.source},
                {"expiration", c.expiration ? format_iso8601(*c.expiration) : ""},
                {"fetches", stack->credentials->fetches()}},
               true);
}

int cmd_imds(Process& p) {
  net::io_context io;
  auto stack = make_aws_stack(io.get_executor(), p.env, p.time);
  if (!stack) return print({{"error", error_json(stack.error())}}, false);
  json::object o;
  bool ok = true;
  auto start = std::chrono::steady_clock::now();
  for (const char* item : {"instance-id", "local-hostname", "local-ipv4", "placement/region"}) {
    auto r = run(io, stack->imds->get(item));
    if (r) {
      o[item] = *r;
    } else {
      ok = false;
      o[item] = json::object{{"error", error_json(r.error())}};
    }
  }
  o["elapsed_ms"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  return print(o, ok);
}

int cmd_region(Process& p) {
  net::io_context io;
  auto stack = make_aws_stack(io.get_executor(), p.env, p.time);
  if (!stack) return print({{"error", error_json(stack.error())}}, false);
  auto r = run(io, resolve_region(p.env, stack->imds.get()));
  if (!r) return print({{"error", error_json(r.error())}}, false);
  return print({{"region", *r}}, true);
}

// The stack, the region and the endpoint of `service`, or an error printed.
struct Ready {
  net::io_context io;
  std::optional<AwsStack> stack;
  ServiceEndpoint endpoint;
};
int prepare(Process& p, Ready& ready, Service service) {
  auto stack = make_aws_stack(ready.io.get_executor(), p.env, p.time);
  if (!stack) return print({{"error", error_json(stack.error())}}, false);
  ready.stack.emplace(std::move(stack.value()));
  auto region = run(ready.io, resolve_region(p.env, ready.stack->imds.get()));
  if (!region) return print({{"error", error_json(region.error())}}, false);
  auto ep = resolve_endpoint(service, p.env, *region);
  if (!ep) return print({{"error", error_json(ep.error())}}, false);
  ready.endpoint = *ep;
  return -1;
}

json::object task_json(const EcsTask& t) {
  json::array containers;
  for (const auto& c : t.containers) {
    json::array bindings;
    for (const auto& b : c.network_bindings) {
      bindings.push_back(json::object{{"container_port", b.container_port}, {"host_port", b.host_port},
                                      {"protocol", b.protocol}, {"bind_ip", b.bind_ip}});
    }
    containers.push_back(json::object{{"name", c.name}, {"last_status", c.last_status}, {"bindings", bindings}});
  }
  json::object tags;
  for (const auto& [k, v] : t.tags) tags[k] = v;
  return json::object{{"task_arn", t.task_arn},
                      {"cluster_arn", t.cluster_arn},
                      {"task_definition_arn", t.task_definition_arn},
                      {"group", t.group},
                      {"last_status", t.last_status},
                      {"desired_status", t.desired_status},
                      {"containers", containers},
                      {"tags", tags}};
}

struct EcsArgs {
  std::string cluster, service, desired_status, reason;
  std::vector<std::string> tasks;
};

int cmd_ecs(Process& p, const std::string& op, const EcsArgs& a) {
  Ready ready;
  if (int rc = prepare(p, ready, Service::kEcs); rc >= 0) return rc;
  EcsClient ecs(*ready.stack->transport, ready.endpoint);
  auto strings = [](const std::vector<std::string>& v) {
    json::array arr;
    for (const auto& s : v) arr.emplace_back(s);
    return arr;
  };
  if (op == "list-clusters") {
    auto r = run(ready.io, ecs.list_clusters());
    if (!r) return print({{"error", error_json(r.error())}}, false);
    return print({{"clusters", strings(*r)}}, true);
  }
  if (op == "list-tasks") {
    EcsTaskFilter f;
    f.service_name = a.service;
    f.desired_status = a.desired_status;
    auto r = run(ready.io, ecs.list_tasks(a.cluster, f));
    if (!r) return print({{"error", error_json(r.error())}}, false);
    return print({{"tasks", strings(*r)}}, true);
  }
  if (op == "describe-tasks") {
    auto r = run(ready.io, ecs.describe_tasks(a.cluster, a.tasks));
    if (!r) return print({{"error", error_json(r.error())}}, false);
    json::array tasks, failures;
    for (const auto& t : r->tasks) tasks.push_back(task_json(t));
    for (const auto& f : r->failures) failures.push_back(json::object{{"arn", f.arn}, {"reason", f.reason}});
    return print({{"tasks", tasks}, {"failures", failures}}, true);
  }
  if (op == "stop-task") {
    auto r = run(ready.io, ecs.stop_task(a.cluster, a.tasks.empty() ? "" : a.tasks[0], a.reason));
    if (!r) return print({{"error", error_json(r.error())}}, false);
    return print({{"task", task_json(*r)}}, true);
  }
  return 2;
}

int cmd_ec2(Process& p, const std::vector<std::string>& ids, const std::vector<std::string>& filters) {
  Ready ready;
  if (int rc = prepare(p, ready, Service::kEc2); rc >= 0) return rc;
  Ec2Client ec2(*ready.stack->transport, ready.endpoint);
  std::vector<Ec2Filter> fs;
  for (const auto& f : filters) {
    auto eq = f.find('=');
    Ec2Filter filter;
    filter.name = f.substr(0, eq);
    std::stringstream values(eq == std::string::npos ? "" : f.substr(eq + 1));
    for (std::string v; std::getline(values, v, ',');) filter.values.push_back(v);
    fs.push_back(std::move(filter));
  }
  auto r = run(ready.io, ec2.describe_instances(ids, fs));
  if (!r) return print({{"error", error_json(r.error())}}, false);
  json::array out;
  for (const auto& i : *r) {
    json::object tags;
    for (const auto& [k, v] : i.tags) tags[k] = v;
    out.push_back(json::object{{"instance_id", i.instance_id},
                               {"state", i.state},
                               {"instance_type", i.instance_type},
                               {"private_ip", i.private_ip},
                               {"private_dns_name", i.private_dns_name},
                               {"availability_zone", i.availability_zone},
                               {"tags", tags}});
  }
  return print({{"instances", out}}, true);
}

int cmd_events(Process& p, const std::string& entries_json) {
  boost::system::error_code ec;
  auto v = json::parse(entries_json, ec);
  if (ec || !v.is_array()) {
    std::cerr << "events: --entries must be a JSON array\n";
    return 2;
  }
  std::vector<EventEntry> entries;
  for (const auto& e : v.as_array()) {
    const auto& o = e.as_object();
    auto s = [&](const char* k) { return o.contains(k) ? std::string(o.at(k).as_string()) : std::string(); };
    EventEntry entry;
    entry.source = s("Source");
    entry.detail_type = s("DetailType");
    entry.detail = s("Detail");
    entry.event_bus_name = s("EventBusName");
    entries.push_back(std::move(entry));
  }
  Ready ready;
  if (int rc = prepare(p, ready, Service::kEventBridge); rc >= 0) return rc;
  EventBridgeClient events(*ready.stack->transport, ready.endpoint);
  auto r = run(ready.io, events.put_events(std::move(entries)));
  if (!r) return print({{"error", error_json(r.error())}}, false);
  json::array out;
  for (const auto& e : r->entries) {
    out.push_back(json::object{{"event_id", e.event_id}, {"error_code", e.error_code}});
  }
  return print({{"failed_entry_count", r->failed_entry_count}, {"entries", out}}, true);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"aws_tool: drives ecssd's AWS plumbing for tests"};
  app.require_subcommand(1);
  std::string log_level = "warn";
  app.add_option("--log-level", log_level);

  auto* sign = app.add_subcommand("sign", "SigV4-sign a request read as JSON from stdin");

  HttpArgs http_args;
  auto* http = app.add_subcommand("http", "send requests through one BeastHttpClient");
  http->add_option("--url", http_args.url)->required();
  http->add_option("--method", http_args.method);
  http->add_option("--count", http_args.count);
  http->add_option("--body", http_args.body);
  http->add_option("--timeout-ms", http_args.timeout_ms);
  http->add_option("--header", http_args.headers);

  int concurrent = 1;
  auto* creds = app.add_subcommand("credentials", "resolve credentials with the default chain");
  creds->add_option("--concurrent", concurrent);

  auto* imds = app.add_subcommand("imds", "read instance metadata");
  auto* region = app.add_subcommand("region", "resolve the region");

  EcsArgs ecs_args;
  std::string ecs_op;
  auto* ecs = app.add_subcommand("ecs", "ECS calls");
  ecs->add_option("op", ecs_op)->required()->check(
      CLI::IsMember({"list-clusters", "list-tasks", "describe-tasks", "stop-task"}));
  ecs->add_option("--cluster", ecs_args.cluster);
  ecs->add_option("--service", ecs_args.service);
  ecs->add_option("--desired-status", ecs_args.desired_status);
  ecs->add_option("--task", ecs_args.tasks);
  ecs->add_option("--reason", ecs_args.reason);

  std::vector<std::string> ec2_ids, ec2_filters;
  std::string ec2_op;
  auto* ec2 = app.add_subcommand("ec2", "EC2 calls");
  ec2->add_option("op", ec2_op)->required()->check(CLI::IsMember({"describe-instances"}));
  ec2->add_option("--id", ec2_ids);
  ec2->add_option("--filter", ec2_filters);

  std::string entries, events_op;
  auto* events = app.add_subcommand("events", "EventBridge calls");
  events->add_option("op", events_op)->required()->check(CLI::IsMember({"put-events"}));
  events->add_option("--entries", entries)->required();

  CLI11_PARSE(app, argc, argv);
  if (!ecssd::log::configure(ecssd::log::Format::kText, log_level)) return 2;
  Process p;
  if (*sign) return cmd_sign();
  if (*http) return cmd_http(p, http_args);
  if (*creds) return cmd_credentials(p, concurrent);
  if (*imds) return cmd_imds(p);
  if (*region) return cmd_region(p);
  if (*ecs) return cmd_ecs(p, ecs_op, ecs_args);
  if (*ec2) return cmd_ec2(p, ec2_ids, ec2_filters);
  if (*events) return cmd_events(p, entries);
  return 2;
}
