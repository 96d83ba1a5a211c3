#pragma once
// Maps model::Record to Route 53 ResourceRecordSets and back, so that a record
// listed from Route 53 compares equal to the record ecssd would write.
//
// Route 53's presentation rules differ from RFC 1035 in one place that matters:
// its escapes are \DDD in *octal* (names: "\052" is '*'; TXT: control and
// non-ASCII octets), where model::txt_encode writes decimal. Conversion happens
// here, at the wire boundary, and nowhere else.
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/result.h"
#include "model/record.h"
#include "provider/route53/route53_xml.h"

namespace ecssd::provider::route53 {

// "\\052.Example.COM." -> "*.example.com": octal escapes decoded, lower case,
// no trailing dot.
std::string decode_name(std::string_view wire);

// Route 53 TXT presentation -> character-strings: quoted or bare strings, \"
// and \\ escapes, \ooo octal escapes. Errors: kInvalidArgument for unterminated
// quotes, bad escapes, or a string over 255 octets.
common::Result<std::vector<std::string>> decode_txt(std::string_view wire);
// Character-strings -> Route 53 TXT presentation: each string quoted, quotes and
// backslashes backslash-escaped, octets outside printable ASCII as \ooo. For printable
// ASCII this is exactly model::txt_encode.
std::string encode_txt(const std::vector<std::string>& strings);

// A listed record set as a canonical model record (name decoded, CNAME/NS/SRV
// targets normalized, AAAA compressed, TXT as model::txt_encode writes it; no
// labels). Alias record sets list their target's DNS name as the one value and
// TTL 0. Returns nullopt for record types model::RecordType lacks (MX, CAA...).
std::optional<model::Record> to_record(const RecordSet& rs);

// The record set to send for `r` (targets as absolute names with a trailing
// dot, TXT in Route 53's form). Errors: kInvalidArgument when a TXT value is
// not valid presentation form.
common::Result<RecordSet> to_record_set(const model::Record& r);

// `r` as Route 53 would list it after writing it; labels are kept. A record
// to_record_set refuses is returned unchanged.
model::Record canonical(model::Record r);

// The identity the plan keys on, computed from a wire record set.
using Key = model::RecordKey;
std::optional<Key> key_of(const RecordSet& rs);

}  // namespace ecssd::provider::route53
