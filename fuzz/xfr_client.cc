// What an authoritative server answers the RFC 2136 provider's clients
// (dns/xfr_client.h, dns/update_client.h): the SOA query, AXFR and IXFR, a
// refresh of a zone copy, an UPDATE, each over a real loopback connection to
// a server that answers with the input's messages (length-prefixed; an empty
// one ends a connection). The server gives each message the query's id and,
// when the input says so, signs them with the client's TSIG key as a real
// server would (the first over the request's MAC, the next over the
// previous), so that what lies behind a verified signature is reached too.
// Invariants: with a key, an answer not signed with it is never taken; a
// transfer taken is well-formed (a full one holds the apex SOA once with the
// reported serial; IXFR steps end at the server's; values canonical); a refresh that fails or is refused leaves the
// copy exactly as it was, one that succeeds leaves it at the server's serial;
// an SOA taken has the serial reported.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/time_system.h"
#include "dns/knot_util.h"
#include "dns/update_client.h"
#include "dns/xfr_client.h"
#include "fuzz_util.h"
#include "model/names.h"

namespace ecssd::fuzz {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using model::RecordType;

constexpr const char* kSecret = "TrpneRf56sCXdxqVreEW2DyJGKdqDoiN0poxeyG6Q14=";

// The messages of each connection, in the order the client connects.
struct Script {
  std::vector<std::vector<std::vector<uint8_t>>> connections;
  bool sign = false;
};

Script read_script(std::string_view data, bool sign) {
  Script s;
  s.sign = sign;
  s.connections.emplace_back();
  while (data.size() >= 2) {
    size_t len = (size_t{static_cast<uint8_t>(data[0])} << 8) | static_cast<uint8_t>(data[1]);
    data.remove_prefix(2);
    if (len == 0) {
      s.connections.emplace_back();
      continue;
    }
    len = std::min(len, data.size());
    s.connections.back().emplace_back(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(len));
    data.remove_prefix(len);
  }
  return s;
}

// The query's id and, when signed, its MAC.
struct Query {
  uint16_t id = 0;
  std::vector<uint8_t> mac;
};

Query read_query(std::vector<uint8_t> wire) {
  Query q;
  dns::detail::PktPtr pkt(knot_pkt_new(wire.data(), wire.size(), nullptr));
  FUZZ_CHECK(pkt && knot_pkt_parse(pkt.get(), 0) == KNOT_EOK, "the client sent a malformed query");
  q.id = knot_wire_get_id(pkt->wire);
  if (pkt->tsig_rr) {
    const uint8_t* mac = knot_tsig_rdata_mac(pkt->tsig_rr);
    q.mac.assign(mac, mac + knot_tsig_rdata_mac_length(pkt->tsig_rr));
  }
  return q;
}

// Signs `msgs` as a server answering `q` would; a message libknot cannot
// sign (not a DNS message) goes as it is.
void sign_all(const Query& q, std::vector<std::vector<uint8_t>>& msgs) {
  knot_tsig_key_t key{};
  FUZZ_CHECK(knot_tsig_key_init(&key, "hmac-sha256", "ecssd-key", kSecret) == KNOT_EOK, "the fuzz key");
  std::vector<uint8_t> prev = q.mac;
  for (size_t i = 0; i < msgs.size(); ++i) {
    auto& m = msgs[i];
    if (m.size() < KNOT_WIRE_HEADER_SIZE) continue;
    std::vector<uint8_t> original = m;
    size_t size = m.size();
    m.resize(65535);
    uint8_t mac[64];
    size_t mac_len = sizeof mac;
    int ret = i == 0 ? knot_tsig_sign(m.data(), &size, m.size(), prev.data(), prev.size(), mac, &mac_len, &key, 0, 0)
                     : knot_tsig_sign_next(m.data(), &size, m.size(), prev.data(), prev.size(), mac, &mac_len, &key,
                                           original.data(), original.size());
    if (ret != KNOT_EOK) {
      m = std::move(original);
      continue;
    }
    m.resize(size);
    prev.assign(mac, mac + mac_len);
  }
  knot_tsig_key_deinit(&key);
}

// One server for the whole run (a listening socket per input costs more
// than the rest of the input); each input sets its script.
class ScriptedServer {
 public:
  explicit ScriptedServer(asio::io_context& io) : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(io, serve(), asio::detached);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  void set_script(Script s) {
    script_ = std::move(s);
    connections = 0;
  }
  size_t connections = 0;

 private:
  asio::awaitable<void> serve() {
    while (acceptor_.is_open()) {
      boost::system::error_code ec;
      tcp::socket s = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      uint8_t len[2];
      co_await asio::async_read(s, asio::buffer(len), asio::redirect_error(asio::use_awaitable, ec));
      std::vector<uint8_t> wire((len[0] << 8) | len[1]);
      co_await asio::async_read(s, asio::buffer(wire), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) continue;
      Query q = read_query(std::move(wire));
      auto msgs = connections < script_.connections.size() ? script_.connections[connections]
                                                           : std::vector<std::vector<uint8_t>>{};
      ++connections;
      for (auto& m : msgs) {
        if (m.size() >= 2) knot_wire_set_id(m.data(), q.id);
      }
      if (script_.sign) sign_all(q, msgs);
      for (const auto& m : msgs) {
        uint8_t prefix[2] = {static_cast<uint8_t>(m.size() >> 8), static_cast<uint8_t>(m.size() & 0xff)};
        std::array<asio::const_buffer, 2> bufs{asio::buffer(prefix), asio::buffer(m)};
        co_await asio::async_write(s, bufs, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
      }
    }
  }
  tcp::acceptor acceptor_;
  Script script_;
};

template <typename T>
T run(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> out;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T v) {
    FUZZ_CHECK(!e, "an exception escaped");
    out.emplace(std::move(v));
    io.stop();
  });
  io.restart();
  io.run();
  FUZZ_CHECK(out.has_value(), "the client did not finish");
  return std::move(*out);
}

std::string soa(uint32_t serial) {
  return "ns.svc.test hostmaster.svc.test " + std::to_string(serial) + " 3600 600 86400 5";
}

void check_rr(const dns::Rr& rr) {
  FUZZ_CHECK(model::in_zone(rr.name, "svc.test") && model::normalize_name(rr.name) == rr.name, "name: " + rr.name);
  auto wire = dns::detail::rdata_to_wire(rr.type, rr.value);
  FUZZ_CHECK(wire.ok(), "value \"" + rr.value + "\" does not parse back");
  auto text = dns::detail::rdata_to_text(static_cast<uint16_t>(rr.type), reinterpret_cast<const uint8_t*>(wire->data()),
                                         wire->size());
  FUZZ_CHECK(text.ok() && *text == rr.value, "value \"" + rr.value + "\" is not canonical");
}

void check_transfer(const dns::Transfer& t, std::optional<uint32_t> since) {
  switch (t.kind) {
    case dns::Transfer::Kind::kUpToDate:
      FUZZ_CHECK(since && t.serial == *since, "up to date at another serial");
      break;
    case dns::Transfer::Kind::kFull: {
      size_t soas = 0;
      for (const auto& rr : t.rrs) {
        check_rr(rr);
        if (rr.type == RecordType::kSOA && rr.name == "svc.test") {
          ++soas;
          FUZZ_CHECK(dns::soa_serial(rr.value) == t.serial, "the SOA's serial is not the one reported");
        }
      }
      FUZZ_CHECK(soas == 1, fmt::format("a full transfer with {} apex SOAs", soas));
      break;
    }
    case dns::Transfer::Kind::kIncremental: {
      // That the steps start at the client's serial and chain is the zone
      // copy's to check (ZoneCopy::apply refuses them otherwise, see refresh).
      FUZZ_CHECK(since && !t.steps.empty(), "IXFR steps for an AXFR");
      FUZZ_CHECK(t.steps.back().to_serial == t.serial, "IXFR steps that end elsewhere");
      for (const auto& s : t.steps) {
        for (const auto& rr : s.removed) check_rr(rr);
        for (const auto& rr : s.added) check_rr(rr);
      }
      break;
    }
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
  using fuzz::soa;
  FuzzedDataProvider in(data, size);
  const int op = in.ConsumeIntegralInRange(0, 4);
  const bool keyed = in.ConsumeBool();
  const bool sign = keyed && in.ConsumeBool();
  const uint32_t since = in.ConsumeIntegralInRange<uint32_t>(0, 3);
  std::string rest = in.ConsumeRemainingBytesAsString();

  static common::RealTimeSystem time;
  static boost::asio::io_context io;
  static fuzz::ScriptedServer server(io);
  server.set_script(fuzz::read_script(rest, sign));
  dns::ServerOptions o;
  o.server = server.address();
  o.time = &time;
  o.timeout = std::chrono::milliseconds(5000);
  if (keyed) o.key = dns::TsigSigner::make(dns::TsigKey("ecssd-key", dns::TsigAlgorithm::kHmacSha256, fuzz::kSecret)).value();
  const bool unsigned_with_key = keyed && !sign;

  switch (op) {
    case 0: {
      auto r = fuzz::run(io, dns::query_soa(o, "Svc.Test."));
      if (!r.ok() || !r->answer.ok()) break;
      FUZZ_CHECK(!unsigned_with_key, "an unsigned SOA answer taken with a key");
      FUZZ_CHECK(r->soa && dns::soa_serial(r->soa->value) == r->serial, "the SOA's serial is not the one reported");
      fuzz::check_rr(*r->soa);
      break;
    }
    case 1:
    case 2: {
      std::optional<dns::Rr> from;
      if (op == 2) from = dns::Rr{"svc.test", model::RecordType::kSOA, 60, soa(since)};
      auto r = fuzz::run(io, dns::transfer(o, "svc.test", from, dns::XfrLimits{1 << 20, 300}));
      if (!r.ok() || !r->answer.ok()) break;
      FUZZ_CHECK(!unsigned_with_key, "an unsigned transfer taken with a key");
      fuzz::check_transfer(*r, op == 2 ? std::optional<uint32_t>(since) : std::nullopt);
      break;
    }
    case 3: {
      dns::ZoneCopy copy("svc.test");
      if (since > 0) {
        auto s = copy.replace({{"svc.test", model::RecordType::kSOA, 60, soa(since)},
                               {"svc.test", model::RecordType::kNS, 60, "ns.svc.test"},
                               {"web.svc.test", model::RecordType::kA, 10, "10.0.0.1"}});
        FUZZ_CHECK(s.ok(), "the fuzz copy");
      }
      const auto before = copy.records();
      const uint32_t serial_before = copy.serial();
      auto r = fuzz::run(io, dns::refresh(o, copy, dns::XfrLimits{1 << 20, 300}));
      if (!r.ok() || !r->answer.ok()) {
        FUZZ_CHECK(copy.records() == before && copy.serial() == serial_before, "a failed refresh changed the copy");
        break;
      }
      FUZZ_CHECK(!unsigned_with_key, "an unsigned answer taken with a key");
      FUZZ_CHECK(copy.loaded() && copy.serial() == r->serial, "the copy is not at the server's serial");
      for (const auto& rec : copy.records()) {
        for (const auto& v : rec.values) fuzz::check_rr({rec.name, rec.type, rec.ttl, v});
      }
      break;
    }
    default: {
      dns::UpdateRequest req;
      req.prerequisites.push_back({dns::Prerequisite::Kind::kRrsetAbsent, "web.svc.test", model::RecordType::kA, {}});
      req.updates.push_back({dns::UpdateOp::Kind::kAdd, "web.svc.test", model::RecordType::kA, 10, "10.0.0.7"});
      auto r = fuzz::run(io, dns::send_update(o, "svc.test", req));
      if (r.ok() && unsigned_with_key) {
        FUZZ_CHECK(!r->answer.signature.ok(), "an unsigned UPDATE answer passed as signed");
      }
      break;
    }
  }
  return 0;
}
