#include "provider/rfc2136/descriptor.h"

#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <fmt/format.h>

#include "common/duration.h"
#include "common/listen_address.h"
#include "common/log.h"
#include "dns/tsig.h"
#include "dns/tsig_key.h"
#include "provider/rfc2136/rfc2136_provider.h"
#include "provider/rfc2136/transport.h"

namespace ecssd::provider::rfc2136 {
namespace {

namespace asio = boost::asio;
using common::ErrorCode;
using common::make_error;
using Made = common::Result<std::unique_ptr<provider::Provider>>;

// "HOST[:PORT]" with the port defaulting to 53, split (an IPv6 literal is
// written in brackets: "[::1]:53").
common::Result<std::pair<std::string, std::string>> split_server(std::string_view text, std::string_view flag) {
  auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{} \"{}\": {}", flag, text, why));
  };
  if (text.empty()) return bad("give the server as HOST:PORT");
  std::string host(text), port = "53";
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return bad("an IPv6 address needs its closing ']'");
    host = std::string(text.substr(1, close - 1));
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return bad("expected ':' and a port after ']'");
      port = std::string(text.substr(close + 2));
    }
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    if (text.find(':') != colon) return bad("write an IPv6 address in brackets: [::1]:53");
    host = std::string(text.substr(0, colon));
    port = std::string(text.substr(colon + 1));
  }
  if (host.empty() || port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoul(port) == 0 || std::stoul(port) > 65535) {
    return bad("expected HOST:PORT with a port of 1-65535");
  }
  return std::make_pair(host, port);
}

// The server as "address:port" for the clients: an IP literal as given, a
// host name resolved once here (at start-up).
common::Result<std::string> resolve_server(std::string_view text, std::string_view flag) {
  auto parts = split_server(text, flag);
  if (!parts.ok()) return parts.error();
  const auto& [host, port] = *parts;
  boost::system::error_code ec;
  auto literal = asio::ip::make_address(host, ec);
  if (!ec) return literal.is_v6() ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  auto results = resolver.resolve(host, port, ec);
  if (ec || results.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{} \"{}\": cannot resolve {}: {}", flag, text, host, ec.message()));
  }
  auto ep = results.begin()->endpoint();
  return ep.address().is_v6() ? fmt::format("[{}]:{}", ep.address().to_string(), ep.port())
                              : fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

CLI::Validator duration_check() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        auto d = common::parse_duration(v);
        return d.ok() ? std::string() : d.error().message;
      },
      "DURATION");
}

std::unique_ptr<provider::Settings> make_settings() { return std::make_unique<Settings>(); }

void add_flags(CLI::App& app, provider::Settings& base, Role) {
  auto& s = static_cast<Settings&>(base);
  app.add_option("--rfc2136-server", s.server,
                 "rfc2136: the primary server that takes the dynamic updates, HOST:PORT (PORT defaults to 53)")
      ->envname("ECSSD_RFC2136_SERVER");
  app.add_option("--tsig-key-file", s.key_file,
                 "rfc2136: TSIG key file as tsig-keygen, keymgr -t or pdnsutil write it (keep it mode 600: a "
                 "file others can read gets a warning)")
      ->envname("ECSSD_TSIG_KEY_FILE");
  app.add_option("--tsig-key-name", s.key_name,
                 "rfc2136: the key's name as the server knows it: picks one key of a file with several, or "
                 "renames the file's only key")
      ->envname("ECSSD_TSIG_KEY_NAME");
  app.add_option("--tsig-algorithm", s.algorithm,
                 "rfc2136: hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha224 or hmac-sha1, instead of the key "
                 "file's (which defaults to hmac-sha256)")
      ->envname("ECSSD_TSIG_ALGORITHM")
      ->check(CLI::IsMember({"hmac-sha256", "hmac-sha512", "hmac-sha384", "hmac-sha224", "hmac-sha1"},
                            CLI::ignore_case));
  app.add_option("--rfc2136-axfr-server", s.axfr_server,
                 "rfc2136: read the zone (SOA, IXFR, AXFR) from this server instead, HOST:PORT [default: "
                 "--rfc2136-server]")
      ->envname("ECSSD_RFC2136_AXFR_SERVER");
  app.add_option("--rfc2136-axfr-key-file", s.axfr_key_file,
                 "rfc2136: TSIG key file for the zone reads [default: --tsig-key-file]")
      ->envname("ECSSD_RFC2136_AXFR_KEY_FILE");
  app.add_option("--rfc2136-timeout", s.timeout,
                 "rfc2136: the longest one exchange with a server may take (connect, send, every answer)")
      ->envname("ECSSD_RFC2136_TIMEOUT")
      ->check(duration_check())
      ->capture_default_str();
}

common::Result<dns::TsigSigner> signer(const std::string& path, std::string_view flag, std::string_view name,
                                       std::string_view algorithm, std::string* description) {
  auto loaded = dns::load_tsig_key(path, flag, name, algorithm);
  if (!loaded.ok()) return loaded.error();
  if (loaded->warning) log::warn("TSIG key file readable by others", {{"warning", *loaded->warning}});
  *description = loaded->key.describe();
  return dns::TsigSigner::make(loaded->key);
}

common::Task<Made> build(const BuildContext& context, const provider::Settings& base) {
  const auto& s = static_cast<const Settings&>(base);
  if (auto v = s.validate(context.role); !v.ok()) co_return v.error();
  auto update_server = resolve_server(s.server, "--rfc2136-server");
  if (!update_server.ok()) co_return update_server.error();
  auto transfer_server = s.axfr_server.empty() ? update_server : resolve_server(s.axfr_server, "--rfc2136-axfr-server");
  if (!transfer_server.ok()) co_return transfer_server.error();
  const auto timeout = common::parse_duration(s.timeout).value();

  ProviderOptions o;
  o.zone = context.zone;
  o.update_server = *update_server;
  o.transfer_server = *transfer_server;
  auto update_key = signer(s.key_file, "--tsig-key-file", s.key_name, s.algorithm, &o.update_key);
  if (!update_key.ok()) co_return update_key.error();
  std::optional<dns::TsigSigner> transfer_key = *update_key;
  o.transfer_key = o.update_key;
  if (!s.axfr_key_file.empty()) {
    auto k = signer(s.axfr_key_file, "--rfc2136-axfr-key-file", "", "", &o.transfer_key);
    if (!k.ok()) co_return k.error();
    transfer_key = *k;
    o.transfer_key_flag = "--rfc2136-axfr-key-file";
  }

  DnsTransportOptions t;
  t.zone = context.zone;
  t.update = dns::ServerOptions{o.update_server, *update_key, timeout, &context.time};
  t.transfer = dns::ServerOptions{o.transfer_server, transfer_key, timeout, &context.time};
  log::info("rfc2136 provider", {{"zone", o.zone},
                                 {"server", o.update_server},
                                 {"axfr_server", o.transfer_server},
                                 {"key", o.update_key},
                                 {"axfr_key", o.transfer_key}});
  auto provider = std::make_unique<Rfc2136Provider>(std::make_unique<DnsTransport>(std::move(t)), std::move(o),
                                                    context.time, context.metrics);
  co_return std::unique_ptr<provider::Provider>(std::move(provider));
}

}  // namespace

common::Status Settings::validate(Role) const {
  if (server.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "--provider rfc2136 needs --rfc2136-server HOST:PORT");
  }
  if (key_file.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--provider rfc2136 needs --tsig-key-file (dynamic updates and transfers are TSIG-signed)");
  }
  if (auto p = split_server(server, "--rfc2136-server"); !p.ok()) return p.error();
  if (!axfr_server.empty()) {
    if (auto p = split_server(axfr_server, "--rfc2136-axfr-server"); !p.ok()) return p.error();
  }
  auto t = common::parse_duration(timeout);
  if (!t.ok() || t->count() <= 0) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("--rfc2136-timeout \"{}\": give a duration above 0 "
                                                               "(500ms, 5s)",
                                                               timeout));
  }
  if (!algorithm.empty() && !dns::parse_tsig_algorithm(algorithm)) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("--tsig-algorithm \"{}\" is not supported", algorithm));
  }
  return {};
}

std::vector<std::pair<std::string, std::string>> Settings::describe() const {
  return {{"rfc2136_server", server},
          {"rfc2136_axfr_server", axfr_server.empty() ? server : axfr_server},
          {"tsig_key_file", key_file},
          {"tsig_key_name", key_name.empty() ? std::string("(from the file)") : key_name},
          {"rfc2136_axfr_key_file", axfr_key_file.empty() ? key_file : axfr_key_file}};
}

const provider::Descriptor& descriptor() {
  static const provider::Descriptor d{
      .name = "rfc2136",
      .summary = "dynamic updates with TSIG to BIND, Knot, PowerDNS or any RFC 2136 server",
      .defaults = {.batch_interval = std::chrono::milliseconds(500),
                   .batch_max_delay = std::chrono::milliseconds(3000),
                   .records_outlive_agent = true,
                   .uses_aws = false,
                   .reap_deletes = true},
      .make_settings = &make_settings,
      .add_flags = &add_flags,
      .build = &build,
  };
  return d;
}

}  // namespace ecssd::provider::rfc2136
