// `ecssd status`: what a running agent (or `ecssd reap --every`) shows on
// its status page, for a terminal: a table of services and instances and the
// recent changes, or the JSON documents (--output json). Read from the status
// server at --metrics-listen (/v1/services, /v1/events).
#include <cstdio>
#include <tuple>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/flags.h"
#include "common/listen_address.h"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive (GCC bug 109224)

namespace ecssd::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct StatusFlags {
  std::string metrics_listen = "127.0.0.1:9253";
  std::string output = "text";
  int events = 10;
  std::string timeout = "5s";
};

// GET `target` from host:port; the body of a 200 answer. Errors: kUnavailable
// (cannot connect, timed out, not 200), naming the address.
common::Task<common::Result<std::string>> http_get(tcp::endpoint ep, std::string target,
                                                   std::chrono::milliseconds timeout) {
  auto fail = [&](const std::string& why) {
    return common::make_error(common::ErrorCode::kUnavailable,
                              fmt::format("{}:{}{}: {}", ep.address().to_string(), ep.port(), target, why));
  };
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(timeout);
  std::tuple<boost::system::error_code> connected = co_await stream.async_connect(ep, kTuple);
  if (std::get<0>(connected)) co_return fail(std::get<0>(connected).message());
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, fmt::format("{}:{}", ep.address().to_string(), ep.port()));
  req.set(http::field::connection, "close");
  std::tuple<boost::system::error_code, size_t> written = co_await http::async_write(stream, req, kTuple);
  if (std::get<0>(written)) co_return fail(std::get<0>(written).message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  std::tuple<boost::system::error_code, size_t> read = co_await http::async_read(stream, buffer, parser, kTuple);
  if (std::get<0>(read)) co_return fail(std::get<0>(read).message());
  if (parser.get().result_int() != 200) co_return fail(fmt::format("HTTP {}", parser.get().result_int()));
  co_return parser.get().body();
}

std::string text_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return {};
  if (it->value().is_string()) return std::string(it->value().as_string());
  if (it->value().is_int64()) return std::to_string(it->value().as_int64());
  if (it->value().is_uint64()) return std::to_string(it->value().as_uint64());
  return {};
}

int64_t ms_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return 0;
  if (it->value().is_int64()) return it->value().as_int64();
  if (it->value().is_uint64()) return static_cast<int64_t>(it->value().as_uint64());
  return 0;
}

std::string ago(int64_t now_ms, int64_t then_ms) {
  if (then_ms <= 0) return "-";
  int64_t s = std::max<int64_t>(0, (now_ms - then_ms) / 1000);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{}s", s / 60, s % 60);
  if (s < 172800) return fmt::format("{}h{}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{}h", s / 86400, s % 86400 / 3600);
}

std::string clock_of(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  return fmt::format("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// Rows of cells printed as aligned columns (the last one unpadded).
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    width.resize(std::max(width.size(), r.size()));
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += i + 1 < r.size() ? fmt::format("{:<{}}  ", r[i], width[i]) : r[i];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  }
}

void print_services(const json::object& doc) {
  const int64_t now = ms_of(doc, "now_ms");
  std::string head = text_of(doc, "title");
  for (const char* k : {"zone", "provider"}) {
    if (!text_of(doc, k).empty()) head += fmt::format(" · {} {}", k, text_of(doc, k));
  }
  std::printf("%s\n", head.c_str());
  if (auto it = doc.find("tiles"); it != doc.end() && it->value().is_array()) {
    std::string tiles;
    for (const auto& t : it->value().as_array()) {
      if (!t.is_object()) continue;
      tiles += fmt::format("{}{}: {}", tiles.empty() ? "" : ", ", text_of(t.as_object(), "label"),
                           text_of(t.as_object(), "value"));
    }
    std::printf("%s\n", tiles.c_str());
  }
  std::vector<std::vector<std::string>> rows{
      {"SERVICE", "HEALTH", "INSTANCE", "TARGET", "CHECK", "LAST RESULT", "SINCE", "PUBLISHED"}};
  auto services = doc.find("services");
  if (services != doc.end() && services->value().is_array()) {
    for (const auto& sv : services->value().as_array()) {
      if (!sv.is_object()) continue;
      const auto& s = sv.as_object();
      bool first = true;
      auto instances = s.find("instances");
      if (instances == s.end() || !instances->value().is_array()) continue;
      for (const auto& iv : instances->value().as_array()) {
        if (!iv.is_object()) continue;
        const auto& i = iv.as_object();
        bool published = i.contains("published") && i.at("published").is_bool() && i.at("published").as_bool();
        std::string why = text_of(i, "why_not");
        std::string last = text_of(i, "last_result");
        rows.push_back({first ? text_of(s, "name") : "", text_of(i, "health"), text_of(i, "container"),
                        text_of(i, "target").empty() ? "-" : text_of(i, "target"), text_of(i, "check"),
                        last.empty() ? "-" : last, ago(now, ms_of(i, "since_ms")),
                        published ? "yes" : "no" + (why.empty() ? "" : ": " + why)});
        first = false;
      }
    }
  }
  std::printf("\n");
  if (rows.size() == 1) {
    std::printf("no services\n");
  } else {
    print_table(rows);
  }
}

void print_events(const json::object& doc) {
  auto events = doc.find("events");
  if (events == doc.end() || !events->value().is_array() || events->value().as_array().empty()) return;
  std::printf("\nRECENT CHANGES\n");
  std::vector<std::vector<std::string>> rows;
  const auto& list = events->value().as_array();
  for (auto it = list.rbegin(); it != list.rend(); ++it) {  // oldest first, as a log reads
    if (!it->is_object()) continue;
    const auto& e = it->as_object();
    rows.push_back({clock_of(ms_of(e, "at_ms")), text_of(e, "service"), text_of(e, "kind"), text_of(e, "container"),
                    text_of(e, "detail")});
  }
  print_table(rows);
}

int unreachable(const common::Error& e) {
  std::fprintf(stderr, "ecssd status: cannot read the status server (is the agent running with this "
               "--metrics-listen?): %s\n", e.message.c_str());
  return kExitFailure;
}

common::Task<int> status_main(StatusFlags f) {
  auto listen = common::parse_listen(f.metrics_listen.starts_with(':') ? "127.0.0.1" + f.metrics_listen
                                                                        : f.metrics_listen);
  if (!listen.ok()) {
    std::fprintf(stderr, "ecssd status: --metrics-listen: %s\n", listen.error().message.c_str());
    co_return kExitUsage;
  }
  auto address = asio::ip::make_address(listen->address);
  if (address.is_unspecified()) address = address.is_v6() ? asio::ip::address(asio::ip::address_v6::loopback())
                                                           : asio::ip::address(asio::ip::address_v4::loopback());
  const tcp::endpoint ep(address, listen->port);
  const auto timeout = to_duration(f.timeout);
  // Named results, no co_await inside a conditional expression (g++ 12 frees them twice).
  std::string services_target = "/v1/services";
  common::Result<std::string> services = co_await http_get(ep, services_target, timeout);
  if (!services.ok()) co_return unreachable(services.error());
  std::string events_target = fmt::format("/v1/events?limit={}", std::max(f.events, 0));
  common::Result<std::string> events = co_await http_get(ep, events_target, timeout);
  if (!events.ok()) co_return unreachable(events.error());
  if (f.output == "json") {
    std::printf("{\"services\":%s,\"events\":%s}\n", services->c_str(), events->c_str());
    co_return kExitOk;
  }
  boost::system::error_code ec;
  json::value s = json::parse(*services, ec);
  json::value e = ec ? json::value() : json::parse(*events, ec);
  if (ec || !s.is_object() || !e.is_object()) {
    std::fprintf(stderr, "ecssd status: the status server answered something that is not its JSON\n");
    co_return kExitFailure;
  }
  print_services(s.as_object());
  if (f.events > 0) print_events(e.as_object());
  co_return kExitOk;
}

int run_status(const StatusFlags& f) {
  asio::io_context io;
  int code = kExitFailure;
  asio::co_spawn(io, status_main(f), [&code](std::exception_ptr e, int c) { code = e ? kExitFailure : c; });
  io.run();
  return code;
}

}  // namespace

void register_status(CLI::App& app, const Context& context, std::function<int()>* run) {
  (void)context;
  auto flags = std::make_shared<StatusFlags>();
  auto* cmd = app.add_subcommand("status",
                                 "Show what a running agent checks and publishes (its status page, for a terminal): "
                                 "every service and instance with its health, and the recent changes.");
  cmd->footer("Reads /v1/services and /v1/events from the agent's status server (or from `ecssd reap --every\n"
              "--metrics-listen`). Exit codes: 0 shown, 1 the status server cannot be read, 2 bad flags.");
  cmd->add_option("--metrics-listen", flags->metrics_listen,
                  "address:port of the agent's status server (its --metrics-listen)")
      ->envname("ECSSD_METRICS_LISTEN")
      ->capture_default_str()
      ->check(listen_validator(false));
  cmd->add_option("--output", flags->output, "text: a table and the recent changes; json: the two documents")
      ->envname("ECSSD_OUTPUT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--events", flags->events, "Recent changes shown (0: none, 200 at most)")
      ->check(CLI::Range(0, 200))
      ->capture_default_str();
  cmd->add_option("--timeout", flags->timeout, "Deadline of each request")
      ->check(duration_validator())
      ->capture_default_str();
  cmd->callback([flags, run] { *run = [flags] { return run_status(*flags); }; });
}

}  // namespace ecssd::cli
