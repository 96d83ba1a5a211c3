#include "cli/heap_trim.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ecssd::cli {

void HeapTrim::on_applied(const model::ChangeSet& applied, const std::vector<model::Record>&) {
  changed_ = changed_ || !applied.empty();
}

// A run that changed nothing frees little: only runs with changes trim (the
// bench's idle and checked CPU figures include it; its own cost is not timed).
void HeapTrim::on_owned(const std::vector<model::Record>&) {
  if (!changed_) return;
  changed_ = false;
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace ecssd::cli
