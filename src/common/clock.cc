#include "common/clock.h"

namespace ecssd::common {

RealTimeSource& RealTimeSource::instance() {
  static RealTimeSource source;
  return source;
}

}  // namespace ecssd::common
