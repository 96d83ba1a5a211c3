// TSIG key files (dns/tsig_key.h): BIND key clauses, Knot's YAML, kdig and
// pdnsutil lines. Invariants: an error never repeats a secret of the file;
// a key read has a normalized name, a
// secret that is base64, distinct names; written back out as BIND clauses
// (tsig-keygen's form) and as kdig lines, the keys read back identical; and
// libknot accepts each as a signing key.
#include <algorithm>

#include "dns/tsig.h"
#include "dns/tsig_key.h"
#include "fuzz_util.h"
#include "model/names.h"

namespace ecssd::fuzz {
namespace {

bool base64_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
}

// What a key file holds as secrets: the base64 word after "secret" (BIND:
// secret "X"; YAML: secret: X) and the last field of an "a:b:c" line, when
// at least 16 long (as the base64 of a key of 12 octets or more, and no word
// of an error's own text) and found nowhere else in the file (so that it is
// not also a key name an error may quote).
std::vector<std::string_view> secrets(std::string_view text) {
  std::vector<std::string_view> out;
  auto word_at = [&](size_t i) {
    size_t j = i;
    while (j < text.size() && base64_char(text[j])) ++j;
    return text.substr(i, j - i);
  };
  for (size_t at = text.find("secret"); at != std::string_view::npos; at = text.find("secret", at + 1)) {
    // The keyword, not "secret" inside a name: a token of its own.
    if (at > 0 && std::string_view(" \t\n;{").find(text[at - 1]) == std::string_view::npos) continue;
    size_t i = at + 6;
    if (i < text.size() && std::string_view(" \t:").find(text[i]) == std::string_view::npos) continue;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '"' || text[i] == ':')) ++i;
    out.push_back(word_at(i));
  }
  size_t line = 0;
  while (line < text.size()) {
    size_t end = std::min(text.find('\n', line), text.size());
    std::string_view l = text.substr(line, end - line);
    if (std::count(l.begin(), l.end(), ':') == 2) out.push_back(word_at(line + l.rfind(':') + 1));
    line = end + 1;
  }
  std::erase_if(out, [&](std::string_view w) {
    return w.size() < 16 || text.find(w) != text.rfind(w);
  });
  return out;
}

bool same(const std::vector<dns::TsigKey>& a, const std::vector<dns::TsigKey>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) {
           return x.name() == y.name() && x.algorithm() == y.algorithm() && x.secret_base64() == y.secret_base64();
         });
}

}  // namespace
}  // namespace ecssd::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ecssd::fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecssd;
  std::string_view text = fuzz::as_text(data, size);
  auto keys = dns::parse_tsig_keys(text, "keys.conf");
  if (!keys.ok()) {
    FUZZ_CHECK(keys.error().code == common::ErrorCode::kInvalidArgument, keys.error().describe());
    const std::string& msg = keys.error().message;
    for (auto secret : fuzz::secrets(text)) {
      // Quoted as the key's name, it was read as the name (e.g. a kdig line
      // "secret:<name>:<secret>" has "secret" as its algorithm), not the secret.
      if (fuzz::written_elsewhere(text, secret) || msg.find("key \"" + std::string(secret)) != std::string::npos) {
        continue;
      }
      FUZZ_CHECK(msg.find(secret) == std::string::npos, "an error repeats a secret: " + msg);
    }
    return 0;
  }
  FUZZ_CHECK(!keys->empty(), "a file read as no key at all");
  std::string bind, kdig;
  for (size_t i = 0; i < keys->size(); ++i) {
    const dns::TsigKey& k = (*keys)[i];
    FUZZ_CHECK(!k.name().empty() && model::normalize_name(k.name()) == k.name(), "key name: " + k.name());
    FUZZ_CHECK(!k.secret_base64().empty() && std::all_of(k.secret_base64().begin(), k.secret_base64().end(),
                                                          fuzz::base64_char),
               "a secret that is not base64 for key " + k.name());
    for (size_t j = 0; j < i; ++j) FUZZ_CHECK((*keys)[j].name() != k.name(), "key " + k.name() + " twice");
    FUZZ_CHECK(k.describe().find(k.secret_base64()) == std::string::npos ||
                   k.name().find(k.secret_base64()) != std::string::npos || k.secret_base64().size() < 8,
               "describe() shows the secret");
    bind += fmt::format("key \"{}\" {{\n\talgorithm {};\n\tsecret \"{}\";\n}};\n", k.name(), dns::to_string(k.algorithm()),
                        k.secret_base64());
    kdig += fmt::format("{}:{}:{}\n", dns::to_string(k.algorithm()), k.name(), k.secret_base64());
    auto signer = dns::TsigSigner::make(k);
    FUZZ_CHECK(signer.ok(), "libknot refuses key " + k.describe() + ": " + signer.error().message);
  }
  // A BIND clause quotes the name: only names a quoted string can carry.
  bool quotable = std::none_of(keys->begin(), keys->end(), [](const dns::TsigKey& k) {
    return k.name().find_first_of("\"\\\n") != std::string::npos;
  });
  auto again = dns::parse_tsig_keys(bind, "bind");
  FUZZ_CHECK(!quotable || (again.ok() && fuzz::same(*keys, *again)),
             "the keys written as BIND clauses read back differently:\n" + bind);
  // A kdig file holds one line; its fields are cut at ':'.
  const std::string& name = keys->front().name();
  if (keys->size() == 1 && name.find_first_of(": \t\n\v\f\r") == std::string::npos) {
    auto line = dns::parse_tsig_keys(kdig, "kdig");
    FUZZ_CHECK(line.ok() && fuzz::same(*keys, *line), "the key written as a kdig line reads back differently: " + kdig);
  }
  return 0;
}
