#include "source/docker/docker_host.h"

#include <gtest/gtest.h>

namespace ecssd::source {
namespace {

using common::ErrorCode;

TEST(DockerHost, UnixUrlsAndBarePathsGiveTheSocketPath) {
  EXPECT_EQ(*socket_path_from_docker_host("unix:///var/run/docker.sock"), "/var/run/docker.sock");
  EXPECT_EQ(*socket_path_from_docker_host("/run/podman/podman.sock"), "/run/podman/podman.sock");
}

TEST(DockerHost, OtherSchemesAndRelativePathsAreRejectedNamingTheValue) {
  for (const char* bad : {"tcp://127.0.0.1:2375", "ssh://me@host", "npipe:////./pipe/docker_engine", "unix://relative",
                          "docker.sock", ""}) {
    auto p = socket_path_from_docker_host(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(p.error().message.find(std::string("\"") + bad + "\""), std::string::npos) << p.error().message;
  }
}

TEST(DockerHost, PathsTooLongForAUnixSocketAreRejected) {
  auto p = socket_path_from_docker_host("unix:///" + std::string(120, 'a'));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("at most 107"), std::string::npos) << p.error().message;
}

TEST(DockerHost, DefaultComesFromDockerHostThenTheStandardSocket) {
  EXPECT_EQ(default_docker_host(common::Environment::from_map({})), "unix:///var/run/docker.sock");
  EXPECT_EQ(default_docker_host(common::Environment::from_map({{"DOCKER_HOST", ""}})), "unix:///var/run/docker.sock");
  EXPECT_EQ(default_docker_host(common::Environment::from_map({{"DOCKER_HOST", "unix:///tmp/x.sock"}})),
            "unix:///tmp/x.sock");
}

}  // namespace
}  // namespace ecssd::source
