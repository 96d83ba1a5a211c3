#pragma once
// Which names the containers of this host may publish (agent --allow-name,
// --deny-name). Without it a container can claim any name, so one container
// on one host can pull another team's traffic (in Route 53 its weighted
// record joins theirs at the same name).
//
// Patterns are globs matched against the full name of the record a service
// would become, after the record mode (web.sd.internal in cname and a modes,
// _web._tcp.sd.internal in srv mode): what clients resolve is what is
// checked, so no spelling of a declaration gets past a rule (in srv mode
// "web" and "_web._tcp" make the same record). Matching is DNS-name aware:
//  - case-insensitive, a trailing dot ignored;
//  - label by label: `*` matches any run of characters inside one label and
//    `?` one character; neither matches a dot;
//  - a first label that is `*` alone matches one or more labels, as a DNS
//    wildcard does (RFC 4592): "*.team-a" matches web.team-a and
//    x.web.team-a, not team-a itself;
//  - a pattern is relative to the zone, as names in a zone file are, unless
//    it ends with a dot or with the zone: with --zone sd.internal, "web-*",
//    "web-*.sd.internal" and "web-*.sd.internal." are the same pattern.
//    With several zones a relative pattern stands in each of them ("web-*"
//    is web-*.a.internal and web-*.b.internal), and one that ends with one
//    of the zones, or with a dot, stands for that name only.
// A name is published when no --deny-name pattern matches it and, if any
// --allow-name is given, one of those does: deny wins.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ecssd::model {

class NamePolicy {
 public:
  // Publishes every name.
  NamePolicy() = default;

  // Patterns as given on the command line, for names in `zones` (each
  // normalized; at least one). Errors: kInvalidArgument naming the flag and
  // the pattern: empty, an empty label, a character no DNS name has (only
  // letters, digits, '-', '_', '*' and '?'), too long, or one that can match
  // no name in any of the zones.
  static common::Result<NamePolicy> make(const std::vector<std::string>& allow, const std::vector<std::string>& deny,
                                         const std::vector<std::string>& zones);
  // One zone.
  static common::Result<NamePolicy> make(const std::vector<std::string>& allow, const std::vector<std::string>& deny,
                                         std::string_view zone) {
    return make(allow, deny, std::vector<std::string>{std::string(zone)});
  }

  // The rule that refuses `name` (a record name in the zone), as the
  // operator wrote it: "--deny-name payments-*", or "--allow-name: no pattern
  // matches (web-*, api-*)". nullopt when the name may be published.
  std::optional<std::string> refuses(std::string_view name) const;

  bool empty() const { return allow_.empty() && deny_.empty(); }
  // "allow=web-*,api-* deny=payments-*" for the start-up log line ("" when empty).
  std::string describe() const;

  // True when `pattern` (completed, lower-case labels) matches `name`. Exposed for tests.
  static bool matches(const std::vector<std::string>& pattern, std::string_view name);

 private:
  struct Pattern {
    std::string written;                           // as given
    std::vector<std::vector<std::string>> forms;   // completed with each zone it stands in, lower case
  };
  static common::Result<Pattern> parse(std::string_view flag, const std::string& written,
                                       const std::vector<std::string>& zones);
  static bool any_form_matches(const Pattern& p, std::string_view name);

  std::vector<Pattern> allow_;
  std::vector<Pattern> deny_;
};

}  // namespace ecssd::model
