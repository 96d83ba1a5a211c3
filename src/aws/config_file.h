#pragma once
// The AWS shared credentials and config files (~/.aws/credentials,
// ~/.aws/config): INI-style files, parsed by hand because no Debian library
// reads this dialect (profile sections named "[profile x]" in the config file
// but "[x]" in the credentials file, indented sub-properties, comment rules).
//
// Rules, as the AWS SDKs apply them:
// - "#" or ";" at the start of a line is a comment; in a value, "#" or ";"
//   preceded by white space starts a comment (secrets cannot hold spaces).
// - Section and key names are trimmed; keys are lower-cased. Later keys and
//   repeated sections override earlier ones.
// - Config file: "[default]" and "[profile default]" are the default profile,
//   "[profile x]" is profile x, other sections ("[sso-session x]",
//   "[services x]") and "[x]" without the prefix are not profiles.
//   Credentials file: "[x]" is profile x.
// - An indented line after "key =" with an empty value is a sub-property
//   ("s3 =\n  max_concurrent_requests = 10" gives "s3.max_concurrent_requests").
// - A line that is none of these is skipped with a warning (file and line).
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/environment.h"
#include "common/result.h"

namespace ecssd::aws {

enum class ConfigFileKind { kCredentials, kConfig };

using Profile = std::map<std::string, std::string, std::less<>>;

struct ConfigFile {
  std::map<std::string, Profile, std::less<>> profiles;
  std::vector<std::string> warnings;  // "file:line: why"
};

// Parses file text. Never fails: bad lines become warnings.
ConfigFile parse_config_file(std::string_view text, ConfigFileKind kind, std::string_view filename = "config");

// Both shared files as the environment selects them.
struct SharedConfig {
  std::string profile;            // AWS_PROFILE, AWS_DEFAULT_PROFILE or "default"
  bool profile_explicit = false;  // chosen by a variable, not the default
  std::string credentials_path;   // empty when HOME is unknown and no variable names it
  std::string config_path;
  bool credentials_found = false;  // the file exists
  bool config_found = false;
  ConfigFile credentials;
  ConfigFile config;

  // The selected profile's section in each file (nullptr when absent).
  const Profile* credentials_profile() const;
  const Profile* config_profile() const;
  // A key of the selected profile: the credentials file first, then the
  // config file (region and other settings live in the config file).
  std::optional<std::string> get(std::string_view key) const;
};

// Reads the files named by AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE
// (default $HOME/.aws/credentials and $HOME/.aws/config; "~/" expands to HOME)
// and selects the profile. A missing file is not an error.
// Errors: kInvalidArgument when a file exists but cannot be read.
common::Result<SharedConfig> load_shared_config(const common::Environment& env);

}  // namespace ecssd::aws
