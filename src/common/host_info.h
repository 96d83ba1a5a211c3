#pragma once
// Facts about this machine used as defaults for --host-name and --host-ip.
#include <string>

namespace ecssd::common {

// gethostname(), lower-cased. Empty if it fails.
std::string local_host_name();

// The IPv4 address of the interface that carries the default route
// (/proc/net/route), else the first non-loopback IPv4, else empty. Sends no
// packet anywhere.
std::string primary_ipv4();

// The first global IPv6 address of that interface, else empty.
std::string primary_ipv6();

}  // namespace ecssd::common
