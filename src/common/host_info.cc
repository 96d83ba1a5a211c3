#include "common/host_info.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace ecssd::common {
namespace {

// The interface of the default route: the /proc/net/route line whose
// destination is 00000000 (the kernel's own table; no netlink needed).
std::string default_route_interface() {
  std::ifstream in("/proc/net/route");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string iface, dest, gateway, flags;
    if (!(fields >> iface >> dest >> gateway >> flags)) continue;
    if (dest == "00000000" && iface != "lo") return iface;
  }
  return {};
}

std::string first_address(int family, bool want_default_iface) {
  std::string iface = want_default_iface ? default_route_interface() : std::string();
  if (want_default_iface && iface.empty()) return {};
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return {};
  std::string out;
  for (ifaddrs* a = list; a && out.empty(); a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != family) continue;
    if (a->ifa_flags & IFF_LOOPBACK) continue;
    if (!iface.empty() && iface != a->ifa_name) continue;
    char buf[INET6_ADDRSTRLEN] = {};
    if (family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
      inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(a->ifa_addr);
      if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) || IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) continue;
      inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
    }
    out = buf;
  }
  freeifaddrs(list);
  return out;
}

}  // namespace

std::string local_host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return {};
  std::string name(buf);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

std::string primary_ipv4() {
  std::string ip = first_address(AF_INET, true);
  return ip.empty() ? first_address(AF_INET, false) : ip;
}

std::string primary_ipv6() { return first_address(AF_INET6, true); }

}  // namespace ecssd::common
