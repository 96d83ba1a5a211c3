#pragma once
// DNS name rules for the names ecssd publishes (RFC 1035 section 2.3.1 as
// relaxed by RFC 1123, plus RFC 2782 underscore labels for SRV owner names).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ecssd::model {

inline constexpr size_t kMaxNameLength = 253;  // presentation form, no trailing dot
inline constexpr size_t kMaxLabelLength = 63;

// Lower-cases and strips one trailing dot: "Web.Zone." -> "web.zone"; an
// escaped dot is part of its label and stays ("a\." is the label "a.").
std::string normalize_name(std::string_view name);

// One label: 1-63 octets of letters, digits and hyphens, not starting or ending
// with a hyphen; or, when allow_underscore, "_" followed by such a label
// (e.g. "_tcp"). Errors: kInvalidArgument with the reason.
common::Status validate_label(std::string_view label, bool allow_underscore);

// A whole host name: every label valid (no underscores), total <= 253.
common::Status validate_hostname(std::string_view name);

// A zone name: as a host name, at least one label.
common::Status validate_zone(std::string_view zone);

// A declared service name (the value of SERVICE_<port>_NAME) placed inside
// `zone`: letters-digits-hyphen labels, or underscore labels as in "_calc._tcp".
// `reserve` octets are kept free for the registry's companion names.
// Returns the fully qualified, normalized name.
common::Result<std::string> service_fqdn(std::string_view service, std::string_view zone, size_t reserve = 0);

// True when `name` equals `zone` or lies below it (both normalized).
bool in_zone(std::string_view name, std::string_view zone);

// The zone of `zones` that holds `name` when several are served: the longest
// matching suffix ("a.b.example" under "example" and "b.example" is in
// "b.example"). Index into `zones`, or nullopt when no zone holds the name.
std::optional<size_t> zone_for(std::string_view name, const std::vector<std::string>& zones);

// True when the presentation name `name` (one trailing dot allowed, "\\."
// escapes a dot inside a label) has an empty label: "a..b", ".a", "a..".
// The root alone ("." or "") has none.
bool has_empty_label(std::string_view name);

// True when the presentation name `name` ends in a backslash that escapes
// nothing: an odd run of backslashes at its end. Written with its trailing
// dot it would be another name, the lone backslash escaping the dot (found by
// fuzzing route53_xml).
bool has_dangling_escape(std::string_view name);

// Case-insensitive comparison of two presentation names (trailing dots ignored).
bool names_equal(std::string_view a, std::string_view b);

}  // namespace ecssd::model
