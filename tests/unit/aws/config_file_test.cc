// The shared credentials/config file dialect and how the environment selects
// files and profiles.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "aws/config_file.h"

namespace ecssd::aws {
namespace {

TEST(ConfigFile, CredentialsFileSectionsAreProfileNames) {
  auto f = parse_config_file("[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key=secret0\n"
                             "[dev]\naws_access_key_id=AKIDDEV\n",
                             ConfigFileKind::kCredentials);
  ASSERT_EQ(f.profiles.size(), 2u);
  EXPECT_EQ(f.profiles.at("default").at("aws_access_key_id"), "AKIDDEFAULT");
  EXPECT_EQ(f.profiles.at("default").at("aws_secret_access_key"), "secret0");
  EXPECT_EQ(f.profiles.at("dev").at("aws_access_key_id"), "AKIDDEV");
  EXPECT_TRUE(f.warnings.empty());
}

TEST(ConfigFile, ConfigFileNeedsProfilePrefixExceptForDefault) {
  auto f = parse_config_file("[default]\nregion = eu-west-1\n[profile  dev ]\nregion=us-west-2\n"
                             "[profile default]\noutput = json\n[staging]\nregion=ap-south-1\n"
                             "[sso-session corp]\nsso_region = us-east-1\n",
                             ConfigFileKind::kConfig, "cfg");
  ASSERT_EQ(f.profiles.count("default"), 1u);
  EXPECT_EQ(f.profiles.at("default").at("region"), "eu-west-1");
  EXPECT_EQ(f.profiles.at("default").at("output"), "json");  // [profile default] merges into default
  EXPECT_EQ(f.profiles.at("dev").at("region"), "us-west-2");
  EXPECT_EQ(f.profiles.count("staging"), 0u);  // not a profile in the config file
  EXPECT_EQ(f.profiles.count("corp"), 0u);
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_NE(f.warnings[0].find("cfg:7"), std::string::npos) << f.warnings[0];
  EXPECT_NE(f.warnings[0].find("[profile staging]"), std::string::npos) << f.warnings[0];
}

TEST(ConfigFile, CommentsWhitespaceAndCase) {
  auto f = parse_config_file("# full-line comment\n; another\n\n  [dev]   # trailing comment\n"
                             "\tAWS_Access_Key_ID\t=\tAKID  \r\n"
                             "aws_secret_access_key = abc#notacomment ; but this is\n"
                             "region = us-east-1 # comment\n"
                             "empty =\n",
                             ConfigFileKind::kCredentials);
  ASSERT_EQ(f.profiles.count("dev"), 1u);
  const auto& p = f.profiles.at("dev");
  EXPECT_EQ(p.at("aws_access_key_id"), "AKID");  // key lower-cased, value trimmed, CR dropped
  EXPECT_EQ(p.at("aws_secret_access_key"), "abc#notacomment");
  EXPECT_EQ(p.at("region"), "us-east-1");
  EXPECT_EQ(p.at("empty"), "");
  EXPECT_TRUE(f.warnings.empty()) << f.warnings[0];
}

TEST(ConfigFile, SubPropertiesAndOverrides) {
  auto f = parse_config_file("[profile a]\ns3 =\n  max_concurrent_requests = 10\n  addressing_style=path\n"
                             "region = us-east-1\nregion = eu-central-1\n[profile a]\noutput = text\n",
                             ConfigFileKind::kConfig);
  const auto& p = f.profiles.at("a");
  EXPECT_EQ(p.at("s3.max_concurrent_requests"), "10");
  EXPECT_EQ(p.at("s3.addressing_style"), "path");
  EXPECT_EQ(p.at("region"), "eu-central-1");  // later key wins
  EXPECT_EQ(p.at("output"), "text");          // repeated section merges
  EXPECT_TRUE(f.warnings.empty());
}

TEST(ConfigFile, MalformedLinesAreSkippedWithWarnings) {
  auto f = parse_config_file("orphan = 1\n[default\nkey=value\n[ok]\njust words\n= novalue\nk = v\n",
                             ConfigFileKind::kCredentials, "creds");
  ASSERT_EQ(f.profiles.count("ok"), 1u);
  EXPECT_EQ(f.profiles.at("ok").at("k"), "v");
  EXPECT_EQ(f.profiles.at("ok").size(), 1u);
  ASSERT_EQ(f.warnings.size(), 4u);
  EXPECT_NE(f.warnings[0].find("creds:1: key outside any section"), std::string::npos) << f.warnings[0];
  EXPECT_NE(f.warnings[1].find("creds:2: malformed section header"), std::string::npos) << f.warnings[1];
  EXPECT_NE(f.warnings[2].find("creds:5"), std::string::npos) << f.warnings[2];
  EXPECT_NE(f.warnings[3].find("creds:6"), std::string::npos) << f.warnings[3];
}

TEST(ConfigFile, EmptyAndNoTrailingNewline) {
  EXPECT_TRUE(parse_config_file("", ConfigFileKind::kConfig).profiles.empty());
  auto f = parse_config_file("[default]\nregion=x", ConfigFileKind::kConfig);
  EXPECT_EQ(f.profiles.at("default").at("region"), "x");
}

class SharedConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ecssd-aws-cfg-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ / ".aws");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ / rel) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(SharedConfigTest, DefaultsUnderHome) {
  write(".aws/credentials", "[default]\naws_access_key_id=A\naws_secret_access_key=S\n");
  write(".aws/config", "[default]\nregion=eu-west-3\n");
  auto cfg = load_shared_config(common::Environment::from_map({{"HOME", dir_.string()}}));
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  EXPECT_EQ(cfg->profile, "default");
  EXPECT_FALSE(cfg->profile_explicit);
  EXPECT_TRUE(cfg->credentials_found);
  EXPECT_TRUE(cfg->config_found);
  EXPECT_EQ(cfg->credentials_path, (dir_ / ".aws/credentials").string());
  EXPECT_EQ(cfg->get("region"), "eu-west-3");
  EXPECT_EQ(cfg->get("aws_access_key_id"), "A");
}

TEST_F(SharedConfigTest, VariablesChooseFilesAndProfileWithTildeExpansion) {
  write("creds", "[team]\naws_access_key_id=T\n");
  write("conf", "[profile team]\nregion=ap-northeast-1\naws_access_key_id=FROMCONFIG\n");
  auto cfg = load_shared_config(common::Environment::from_map({{"HOME", dir_.string()},
                                                               {"AWS_SHARED_CREDENTIALS_FILE", "~/creds"},
                                                               {"AWS_CONFIG_FILE", (dir_ / "conf").string()},
                                                               {"AWS_PROFILE", "team"}}));
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->profile, "team");
  EXPECT_TRUE(cfg->profile_explicit);
  EXPECT_EQ(cfg->credentials_path, (dir_ / "creds").string());
  EXPECT_EQ(cfg->get("aws_access_key_id"), "T");  // the credentials file wins
  EXPECT_EQ(cfg->get("region"), "ap-northeast-1");
}

TEST_F(SharedConfigTest, AwsDefaultProfileIsTheFallbackVariable) {
  auto cfg =
      load_shared_config(common::Environment::from_map({{"HOME", dir_.string()}, {"AWS_DEFAULT_PROFILE", "old"}}));
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->profile, "old");
  EXPECT_TRUE(cfg->profile_explicit);
}

TEST_F(SharedConfigTest, MissingFilesAreNotErrors) {
  auto cfg = load_shared_config(common::Environment::from_map({{"HOME", (dir_ / "nowhere").string()}}));
  ASSERT_TRUE(cfg.ok());
  EXPECT_FALSE(cfg->credentials_found);
  EXPECT_FALSE(cfg->config_found);
  EXPECT_EQ(cfg->get("region"), std::nullopt);
  auto no_home = load_shared_config(common::Environment::from_map({}));
  ASSERT_TRUE(no_home.ok());
  EXPECT_TRUE(no_home->credentials_path.empty());
}

TEST_F(SharedConfigTest, UnreadableFileIsAnError) {
  // A directory where the file should be: unreadable even for root.
  std::filesystem::create_directories(dir_ / "creds-dir");
  auto cfg = load_shared_config(
      common::Environment::from_map({{"AWS_SHARED_CREDENTIALS_FILE", (dir_ / "creds-dir").string()}}));
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().code, common::ErrorCode::kInvalidArgument);
  EXPECT_NE(cfg.error().message.find("creds-dir"), std::string::npos) << cfg.error().message;
}

}  // namespace
}  // namespace ecssd::aws
