#pragma once
// The process's limit on open files (RLIMIT_NOFILE): every socket a reap pass
// or a responder holds counts against it.
#include <cstddef>

namespace ecssd::common {

// The soft limit now (what open(2) and socket(2) are held to).
size_t open_file_limit();

// Raises the soft limit to the hard one, at most to `cap`, as an unprivileged
// process may (systemd's default is 1024 soft, 524288 hard; Lambda's 1024
// both), and returns the soft limit after. A limit already higher is kept.
size_t raise_open_file_limit(size_t cap = 65536);

}  // namespace ecssd::common
