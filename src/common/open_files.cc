#include "common/open_files.h"

#include <sys/resource.h>

#include <algorithm>

namespace ecssd::common {

size_t open_file_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return 1024;
  return static_cast<size_t>(r.rlim_cur);
}

size_t raise_open_file_limit(size_t cap) {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return open_file_limit();
  rlim_t wanted = r.rlim_max == RLIM_INFINITY ? static_cast<rlim_t>(cap) : std::min<rlim_t>(r.rlim_max, cap);
  if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < wanted) {
    r.rlim_cur = wanted;
    setrlimit(RLIMIT_NOFILE, &r);  // on failure the old limit stands, and is returned
  }
  return open_file_limit();
}

}  // namespace ecssd::common
