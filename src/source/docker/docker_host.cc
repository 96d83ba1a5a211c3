#include "source/docker/docker_host.h"

#include <sys/un.h>

#include <fmt/format.h>

namespace ecssd::source {

using common::ErrorCode;

std::string default_docker_host(const common::Environment& env) {
  return env.get_or("DOCKER_HOST", kDefaultDockerHost);
}

common::Result<std::string> socket_path_from_docker_host(std::string_view host) {
  std::string_view path = host;
  if (path.starts_with("unix://")) {
    path.remove_prefix(7);
  } else if (path.find("://") != std::string_view::npos) {
    return common::make_error(ErrorCode::kInvalidArgument,
                              fmt::format("docker host \"{}\": only unix:// sockets are supported", host));
  }
  if (path.empty() || path.front() != '/') {
    return common::make_error(ErrorCode::kInvalidArgument,
                              fmt::format("docker host \"{}\": expected unix:///absolute/path", host));
  }
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return common::make_error(ErrorCode::kInvalidArgument,
                              fmt::format("docker host \"{}\": a unix socket path has at most {} characters", host,
                                          sizeof(sockaddr_un::sun_path) - 1));
  }
  return std::string(path);
}

}  // namespace ecssd::source
