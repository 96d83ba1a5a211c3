#pragma once
// TSIG keys (RFC 8945) and the key files the DNS servers' own tools write.
//
// A TsigKey holds its secret for the signing code only: nothing in ecssd
// formats it. describe() names the key and its algorithm, errors name the
// file and the line, never a secret; there is no operator<< on purpose.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ecssd::dns {

// HMAC-MD5 is left out on purpose: RFC 8945 section 6 keeps it for
// compatibility only, and none of the servers' tools make such keys by default.
enum class TsigAlgorithm { kHmacSha1, kHmacSha224, kHmacSha256, kHmacSha384, kHmacSha512 };

// "hmac-sha256".
std::string_view to_string(TsigAlgorithm a);
// "hmac-sha256", "HMAC-SHA256" or "hmac-sha256." (PowerDNS writes the
// trailing dot). nullopt for anything else, hmac-md5 included.
std::optional<TsigAlgorithm> parse_tsig_algorithm(std::string_view text);

class TsigKey {
 public:
  // name: a DNS name (normalized here: lower case, no trailing dot);
  // secret_base64: the key's secret as the key file writes it.
  TsigKey(std::string name, TsigAlgorithm algorithm, std::string secret_base64);

  const std::string& name() const { return name_; }
  TsigAlgorithm algorithm() const { return algorithm_; }
  // For the signing code (dns/tsig.cc) only: never log, format or compare it.
  const std::string& secret_base64() const { return secret_; }

  // "ecssd-key (hmac-sha256)": safe for logs and errors.
  std::string describe() const;

  TsigKey with_name(std::string name) const;
  TsigKey with_algorithm(TsigAlgorithm algorithm) const;

 private:
  std::string name_;
  TsigAlgorithm algorithm_;
  std::string secret_;
};

// Every key in the text of a key file. Understood formats:
//  - BIND's key clause, as written by tsig-keygen, ddns-confgen and used by
//    nsupdate -k and named.conf: key "name" { algorithm hmac-sha256; secret "..."; };
//    (several clauses, comments #, // and /* */).
//  - Knot's YAML, as printed by `keymgr -t name`: key: / - id: / algorithm: / secret:.
//  - One "[algorithm:]name:secret" line (kdig -y, knsupdate -y; Knot's own
//    key files read by knot_tsig_key_init_file).
//  - PowerDNS: the lines of `pdnsutil list-tsig-keys` ("name. algorithm. secret")
//    and the line `pdnsutil generate-tsig-key` prints.
// A key with no algorithm gets hmac-sha256. Errors: kInvalidArgument naming
// `source` and the line (never its text, which may hold the secret): no
// key, a syntax error, an unknown algorithm, a secret that is not base64, a
// bad key name, the same key name twice.
common::Result<std::vector<TsigKey>> parse_tsig_keys(std::string_view text, std::string_view source);

// What load_tsig_key() chose and what it noticed.
struct LoadedTsigKey {
  TsigKey key;
  // Set when the file is readable by its group or by others: one line for
  // the log (it names the file and its mode, and says to chmod 600 it).
  std::optional<std::string> warning;
};

// Reads `path` (flag names the flag, for messages: "--tsig-key-file") and
// picks the key: the one named `name` when given; else the only key of the
// file. A `name` given for a file of one key with another name renames it
// (the name the server knows it by); `algorithm` (when given) replaces the
// file's. Errors: kInvalidArgument for an unreadable file, a file that does
// not parse (see parse_tsig_keys), several keys and no `name` (the message
// lists their names), an unknown `algorithm`.
common::Result<LoadedTsigKey> load_tsig_key(const std::string& path, std::string_view flag, std::string_view name,
                                            std::string_view algorithm);

}  // namespace ecssd::dns
