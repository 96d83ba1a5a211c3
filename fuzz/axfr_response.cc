// What a server sends back to ecssd's AXFR client (dns/axfr_client.h): the
// input is the TCP stream after the query, length-prefixed messages, read as
// axfr() reads it and handed to AxfrReader. Invariants of a completed
// transfer: records sorted by name and type, one per RRset, all inside the
// zone, of modelled types, with distinct values each in canonical form (its
// wire form renders back to the same text), the zone's SOA among them with
// the reported serial; no more values than max_records.
#include "dns/axfr_client.h"
#include "dns/knot_util.h"
#include "fuzz_util.h"
#include "model/names.h"

namespace {
constexpr uint16_t kId = 0x4242;  // the id the seeds' answers carry
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ecssd::fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecssd;
  dns::AxfrOptions o;
  o.server = "127.0.0.1:53";
  o.zone = "Svc.Test.";
  o.max_records = 200;
  dns::AxfrReader reader(o, kId);
  std::string_view stream = fuzz::as_text(data, size);
  std::vector<uint8_t> buf;
  bool failed = false;
  while (!reader.done() && stream.size() >= 2) {
    size_t len = (size_t{static_cast<uint8_t>(stream[0])} << 8) | static_cast<uint8_t>(stream[1]);
    if (stream.size() - 2 < len) break;
    buf.assign(stream.begin() + 2, stream.begin() + 2 + static_cast<std::ptrdiff_t>(len));
    stream.remove_prefix(2 + len);
    if (auto s = reader.absorb(buf); !s.ok()) {
      FUZZ_CHECK(!s.error().message.empty(), "an error without a message");
      failed = true;
      break;
    }
  }
  if (failed || !reader.done()) return 0;
  dns::AxfrResult r = reader.finish();
  FUZZ_CHECK(!r.records.empty() && r.messages >= 1, "a completed transfer without records");
  bool soa = false;
  size_t values = 0;
  for (size_t i = 0; i < r.records.size(); ++i) {
    const model::Record& rec = r.records[i];
    auto what = [&] { return model::describe(rec); };
    if (i > 0) {
      const auto& prev = r.records[i - 1];
      FUZZ_CHECK(std::tie(prev.name, prev.type) < std::tie(rec.name, rec.type), "records not sorted: " + what());
    }
    FUZZ_CHECK(model::normalize_name(rec.name) == rec.name && model::in_zone(rec.name, "svc.test"),
               "name not normalized or outside the zone: " + what());
    FUZZ_CHECK(!rec.values.empty(), "a record without values: " + what());
    FUZZ_CHECK(model::parse_record_type(model::to_string(rec.type)).has_value(), "unmodelled type: " + what());
    for (size_t j = 0; j < rec.values.size(); ++j) {
      const std::string& v = rec.values[j];
      for (size_t k = 0; k < j; ++k) FUZZ_CHECK(rec.values[k] != v, "a value listed twice: " + what());
      auto wire = dns::detail::rdata_to_wire(rec.type, v);
      FUZZ_CHECK(wire.ok(), "value \"" + v + "\" does not parse back: " + wire.error().message);
      auto text = dns::detail::rdata_to_text(static_cast<uint16_t>(rec.type),
                                             reinterpret_cast<const uint8_t*>(wire->data()), wire->size());
      FUZZ_CHECK(text.ok() && *text == v, "value \"" + v + "\" is not canonical: \"" + (text.ok() ? *text : "?") + "\"");
    }
    values += rec.values.size();
    if (rec.type == model::RecordType::kSOA && rec.name == "svc.test") {
      soa = true;
      FUZZ_CHECK(rec.values.size() == 1, "several SOAs: " + what());
      auto fields = rec.values[0];
      // "mname rname serial ...": the third field.
      size_t a = fields.find(' '), b = fields.find(' ', a + 1), c = fields.find(' ', b + 1);
      FUZZ_CHECK(fields.substr(b + 1, c - b - 1) == std::to_string(r.serial),
                 fmt::format("serial {} is not the SOA's: {}", r.serial, fields));
    }
  }
  FUZZ_CHECK(soa, "a transfer without the zone's SOA");
  FUZZ_CHECK(values <= o.max_records, fmt::format("{} values over max_records", values));
  return 0;
}
