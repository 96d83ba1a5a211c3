// Key files as tsig-keygen, keymgr and pdnsutil write them, and the ways a
// key file can be wrong; no error may contain the secret.
#include "dns/tsig_key.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace ecssd::dns {
namespace {

constexpr const char* kSecret = "TrpneRf56sCXdxqVreEW2DyJGKdqDoiN0poxeyG6Q14=";

TEST(TsigKeyTest, ParsesTsigKeygenOutput) {
  auto keys = parse_tsig_keys(
      "key \"ecssd-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"TrpneRf56sCXdxqVreEW2DyJGKdqDoiN0poxeyG6Q14=\";\n};\n",
      "test");
  ASSERT_TRUE(keys.ok()) << keys.error().describe();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ(keys->front().name(), "ecssd-key");
  EXPECT_EQ(keys->front().algorithm(), TsigAlgorithm::kHmacSha256);
  EXPECT_EQ(keys->front().secret_base64(), kSecret);
  EXPECT_EQ(keys->front().describe(), "ecssd-key (hmac-sha256)");
}

TEST(TsigKeyTest, ParsesSeveralBindClausesWithComments) {
  auto keys = parse_tsig_keys(
      "# made by hand\n// two keys\n/* a\n block */ key agent.example. { algorithm HMAC-SHA512; secret \"" +
          std::string(kSecret) + "\"; };\nkey \"reaper\" { secret \"" + kSecret + "\"; algorithm hmac-sha1; };\n",
      "test");
  ASSERT_TRUE(keys.ok()) << keys.error().describe();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].name(), "agent.example");
  EXPECT_EQ((*keys)[0].algorithm(), TsigAlgorithm::kHmacSha512);
  EXPECT_EQ((*keys)[1].name(), "reaper");
  EXPECT_EQ((*keys)[1].algorithm(), TsigAlgorithm::kHmacSha1);
}

TEST(TsigKeyTest, ParsesKeymgrOutput) {
  auto keys = parse_tsig_keys(
      "# hmac-sha512:ecssd-key:KmIiTGNFRDcCri8/sU/jOIqJMju7DNBzaHwQ2ya1gXAcCWUB2NJziXyzmwGNY6YacCyH1vGIXD9Pf52xKik4BA==\n"
      "key:\n  - id: ecssd-key\n    algorithm: hmac-sha512\n"
      "    secret: KmIiTGNFRDcCri8/sU/jOIqJMju7DNBzaHwQ2ya1gXAcCWUB2NJziXyzmwGNY6YacCyH1vGIXD9Pf52xKik4BA==\n",
      "test");
  ASSERT_TRUE(keys.ok()) << keys.error().describe();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ(keys->front().name(), "ecssd-key");
  EXPECT_EQ(keys->front().algorithm(), TsigAlgorithm::kHmacSha512);
}

TEST(TsigKeyTest, ParsesKdigAndPowerDnsLines) {
  auto kdig = parse_tsig_keys(std::string("hmac-sha384:k1:") + kSecret + "\n", "test");
  ASSERT_TRUE(kdig.ok()) << kdig.error().describe();
  EXPECT_EQ(kdig->front().name(), "k1");
  EXPECT_EQ(kdig->front().algorithm(), TsigAlgorithm::kHmacSha384);
  auto bare = parse_tsig_keys(std::string("k2:") + kSecret, "test");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->front().algorithm(), TsigAlgorithm::kHmacSha256);  // the default
  auto pdns = parse_tsig_keys(std::string("ecssd-key. hmac-sha224. ") + kSecret + "\n", "test");
  ASSERT_TRUE(pdns.ok()) << pdns.error().describe();
  EXPECT_EQ(pdns->front().name(), "ecssd-key");
  EXPECT_EQ(pdns->front().algorithm(), TsigAlgorithm::kHmacSha224);
  auto generated = parse_tsig_keys(std::string("Create new TSIG key k3 hmac-sha512 ") + kSecret + "\n", "test");
  ASSERT_TRUE(generated.ok()) << generated.error().describe();
  EXPECT_EQ(generated->front().name(), "k3");
  EXPECT_EQ(generated->front().algorithm(), TsigAlgorithm::kHmacSha512);
}

// Found by fuzz/tsig_keys (fuzz/tsig_keys/regressions/): libknot checked the
// secret up to a NUL octet, so a corrupt secret passed, and would have signed
// with its first part only.
TEST(TsigKeyTest, ANulOctetInANameOrSecretIsRefused) {
  const std::string cut = std::string(kSecret).substr(0, 16) + std::string(1, '\0') + "junk";
  auto keys = parse_tsig_keys("key \"ecssd-key\" { algorithm hmac-sha256; secret \"" + cut + "\"; };", "test");
  ASSERT_FALSE(keys.ok());
  EXPECT_NE(keys.error().message.find("NUL"), std::string::npos) << keys.error().message;
  EXPECT_EQ(keys.error().message.find("TrpneRf"), std::string::npos);
  auto name = parse_tsig_keys(std::string("k\0x:") + kSecret, "test");
  EXPECT_FALSE(name.ok());
}

// Found by fuzz/tsig_keys (regressions/secret_in_algorithm_field and
// secret_in_key_name): a file read the wrong way round put the secret in a
// field the error quoted (a kdig line with a stray blank read as a PowerDNS
// line: its "algorithm"; a Knot key with "secret:" on the "id:" line: its name).
TEST(TsigKeyTest, TextThatIsNoNameIsNotQuoted) {
  auto keys = parse_tsig_keys(std::string("hmac-sha384:k1:TrpneRf56sCXdxqVre \fyJGKdqDoiN0poxeyG6Q14=\n"), "test");
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.error().message.find("TrpneRf56s"), std::string::npos) << keys.error().message;
  auto yaml = parse_tsig_keys(std::string("key:\n  - id: ecssd-key  secret: ") + kSecret + "\n", "test");
  ASSERT_FALSE(yaml.ok());
  EXPECT_EQ(yaml.error().message.find("TrpneRf56s"), std::string::npos) << yaml.error().message;
  auto md5 = parse_tsig_keys(std::string("key \"k\" { algorithm hmac-md5; secret \"") + kSecret + "\"; };", "test");
  ASSERT_FALSE(md5.ok());
  EXPECT_NE(md5.error().message.find("\"hmac-md5\""), std::string::npos) << md5.error().message;
}

// Found by fuzz/tsig_keys (regressions/bind_name_ending_in_colon): a BIND
// file whose first key name ended in ':' was taken for Knot's YAML.
TEST(TsigKeyTest, AQuotedNameEndingInAColonIsStillBind) {
  auto keys = parse_tsig_keys(std::string("key \"a:\" { secret \"") + kSecret + "\"; };", "test");
  ASSERT_TRUE(keys.ok()) << keys.error().describe();
  EXPECT_EQ(keys->front().name(), "a:");
}

TEST(TsigKeyTest, ErrorsNameTheLineAndNeverTheSecret) {
  const std::string secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0";
  std::vector<std::string> bad = {
      "key \"k\" { algorithm hmac-sha256; secret \"" + secret + "\" };",   // missing ';'
      "key \"k\" { algorithm hmac-md5; secret \"" + secret + "\"; };",     // MD5 refused
      "key \"k\" { algorithm hmac-sha256; secret \"" + secret + "!!\"; };",  // not base64
      "key \"k\" { algorithm hmac-sha256; };",                             // no secret
      "key \"k\" { secret \"" + secret + "\"; }; key \"K\" { secret \"" + secret + "\"; };",  // twice
      "key \"k\" { colour blue; secret \"" + secret + "\"; };",
      "key \"k\" { secret \"" + secret + "",  // unterminated
      "",
      "hello world",
  };
  for (const auto& text : bad) {
    auto keys = parse_tsig_keys(text, "--tsig-key-file /k");
    ASSERT_FALSE(keys.ok()) << text;
    EXPECT_EQ(keys.error().code, common::ErrorCode::kInvalidArgument);
    EXPECT_NE(keys.error().message.find("--tsig-key-file /k"), std::string::npos) << keys.error().message;
    EXPECT_EQ(keys.error().message.find(secret), std::string::npos) << keys.error().message;
  }
  auto md5 = parse_tsig_keys("key \"k\" { algorithm hmac-md5; secret \"" + secret + "\"; };", "f");
  EXPECT_NE(md5.error().message.find("line 1"), std::string::npos);
  EXPECT_NE(md5.error().message.find("hmac-md5"), std::string::npos);
}

TEST(TsigKeyTest, AlgorithmNames) {
  EXPECT_EQ(parse_tsig_algorithm("hmac-sha256."), TsigAlgorithm::kHmacSha256);
  EXPECT_EQ(parse_tsig_algorithm("HMAC-SHA1"), TsigAlgorithm::kHmacSha1);
  EXPECT_EQ(parse_tsig_algorithm("hmac-md5"), std::nullopt);
  EXPECT_EQ(to_string(TsigAlgorithm::kHmacSha384), "hmac-sha384");
}

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ecssd-tsig-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const auto& p : files_) std::remove(p.c_str());
    rmdir(dir_.c_str());
  }
  std::string write(const std::string& name, const std::string& text, mode_t mode) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    chmod(path.c_str(), mode);
    files_.push_back(path);
    return path;
  }
  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(KeyFileTest, PrivateFileLoadsWithoutWarning) {
  auto path = write("k.key", std::string("key \"a\" { algorithm hmac-sha256; secret \"") + kSecret + "\"; };", 0600);
  auto k = load_tsig_key(path, "--tsig-key-file", "", "");
  ASSERT_TRUE(k.ok()) << k.error().describe();
  EXPECT_EQ(k->key.name(), "a");
  EXPECT_FALSE(k->warning);
}

TEST_F(KeyFileTest, WorldReadableFileWarnsWithoutTheSecret) {
  auto path = write("k.key", std::string("key \"a\" { algorithm hmac-sha256; secret \"") + kSecret + "\"; };", 0644);
  auto k = load_tsig_key(path, "--tsig-key-file", "", "");
  ASSERT_TRUE(k.ok());
  ASSERT_TRUE(k->warning);
  EXPECT_NE(k->warning->find("chmod 600"), std::string::npos);
  EXPECT_NE(k->warning->find("0644"), std::string::npos);
  EXPECT_NE(k->warning->find(path), std::string::npos);
  EXPECT_EQ(k->warning->find(kSecret), std::string::npos);
  auto group = load_tsig_key(write("g.key", std::string("g:") + kSecret, 0640), "--tsig-key-file", "", "");
  ASSERT_TRUE(group.ok());
  ASSERT_TRUE(group->warning);
  EXPECT_NE(group->warning->find("its group"), std::string::npos);
}

TEST_F(KeyFileTest, NameAndAlgorithmOverrides) {
  std::string two = std::string("key \"a\" { algorithm hmac-sha256; secret \"") + kSecret + "\"; };\nkey \"b\" { "
                    "algorithm hmac-sha512; secret \"" + kSecret + "\"; };";
  auto path = write("two.key", two, 0600);
  auto none = load_tsig_key(path, "--tsig-key-file", "", "");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("a, b"), std::string::npos);
  EXPECT_NE(none.error().message.find("--tsig-key-name"), std::string::npos);
  auto b = load_tsig_key(path, "--tsig-key-file", "B.", "");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->key.name(), "b");
  EXPECT_EQ(b->key.algorithm(), TsigAlgorithm::kHmacSha512);
  auto missing = load_tsig_key(path, "--tsig-key-file", "c", "");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("no key named \"c\""), std::string::npos);

  auto one = write("one.key", std::string("a:") + kSecret, 0600);
  auto renamed = load_tsig_key(one, "--tsig-key-file", "server-name", "hmac-sha1");
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->key.name(), "server-name");
  EXPECT_EQ(renamed->key.algorithm(), TsigAlgorithm::kHmacSha1);
  EXPECT_EQ(renamed->key.secret_base64(), kSecret);
  auto bad_alg = load_tsig_key(one, "--tsig-key-file", "", "hmac-md5");
  ASSERT_FALSE(bad_alg.ok());
  EXPECT_NE(bad_alg.error().message.find("--tsig-algorithm"), std::string::npos);
}

TEST_F(KeyFileTest, MissingFile) {
  auto k = load_tsig_key(dir_ + "/nope", "--rfc2136-axfr-key-file", "", "");
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.error().message.find("--rfc2136-axfr-key-file"), std::string::npos);
  EXPECT_NE(k.error().message.find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace ecssd::dns
