#pragma once
// Where the container engine listens: DOCKER_HOST values and the one default.
#include <string>
#include <string_view>

#include "common/environment.h"
#include "common/result.h"

namespace ecssd::source {

// The engine's socket when nothing says otherwise.
inline constexpr std::string_view kDefaultDockerHost = "unix:///var/run/docker.sock";

// The docker host to use when none is given: $DOCKER_HOST from `env`, else
// kDefaultDockerHost. The CLI calls this for its --docker-host default; nothing
// else in ecssd reads DOCKER_HOST.
std::string default_docker_host(const common::Environment& env);

// "unix:///var/run/docker.sock" (or a bare absolute path) -> the socket path.
// Errors: kInvalidArgument, naming the value, for other schemes (tcp://,
// ssh://, npipe://), a relative path, or a path too long for a unix socket.
common::Result<std::string> socket_path_from_docker_host(std::string_view docker_host);

}  // namespace ecssd::source
