#pragma once
// The credential sources of the AWS SDKs' default chain, one small class each,
// in the order the chain asks them:
//   1. EnvironmentCredentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
//      AWS_SESSION_TOKEN.
//   2. ProfileCredentials: the shared credentials and config files
//      (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, AWS_PROFILE).
//   3. ContainerCredentials: the ECS (or EKS Pod Identity) credentials
//      endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI,
//      AWS_CONTAINER_AUTHORIZATION_TOKEN / _TOKEN_FILE).
//   4. InstanceProfileCredentials: the EC2 instance role over IMDSv2.
// Not supported (each is reported as such when a profile asks for it):
// role_arn/source_profile (AssumeRole), web identity, SSO, credential_process.
#include <chrono>
#include <string>

#include "aws/credentials.h"
#include "common/environment.h"
#include "aws/http.h"
#include "aws/instance_metadata.h"

namespace ecssd::aws {

// Parses the JSON the ECS endpoint and IMDS answer with: AccessKeyId,
// SecretAccessKey, Token, Expiration (and Code, when present, must be
// "Success"). Errors: kProtocol naming what is missing (never echoing the body,
// which holds secrets).
common::Result<Credentials> parse_credentials_json(std::string_view body, std::string source);

class EnvironmentCredentials final : public CredentialsProvider {
 public:
  explicit EnvironmentCredentials(common::Environment env) : env_(std::move(env)) {}
  // Errors: kNotFound when neither key variable is set; kInvalidArgument when
  // only one of the pair is.
  common::Task<common::Result<Credentials>> credentials() override;
  std::string name() const override { return "environment variables"; }

 private:
  common::Environment env_;
};

class ProfileCredentials final : public CredentialsProvider {
 public:
  explicit ProfileCredentials(common::Environment env) : env_(std::move(env)) {}
  // Reads both files on every call (the caching layer above calls it once).
  // Errors: kNotFound when the default profile has no keys (or no file exists);
  // kInvalidArgument when a profile chosen by AWS_PROFILE does not exist, has
  // only one of the key pair, asks for an unsupported source (role_arn,
  // credential_process, sso_*, web_identity_token_file), or a file is
  // unreadable.
  common::Task<common::Result<Credentials>> credentials() override;
  std::string name() const override { return "shared credentials/config files"; }

 private:
  common::Environment env_;
};

class ContainerCredentials final : public CredentialsProvider {
 public:
  struct Options {
    // Where AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is resolved (tests point it
    // at a loopback stub).
    std::string relative_base = "http://169.254.170.2";
    std::chrono::milliseconds timeout{2000};
    int attempts = 2;
  };
  // `http` must outlive the provider.
  ContainerCredentials(common::Environment env, HttpClient& http, Options options);
  ContainerCredentials(common::Environment env, HttpClient& http)
      : ContainerCredentials(std::move(env), http, Options{}) {}
  // Errors: kNotFound when neither URI variable is set; kInvalidArgument for a
  // full URI that is not https and not a loopback or ECS/EKS address, or an
  // unreadable token file; kUnavailable/kTimeout (transient) when the endpoint
  // cannot be reached or answers 5xx; kPermissionDenied for 4xx (a wrong
  // authorization token); kProtocol for a malformed answer.
  common::Task<common::Result<Credentials>> credentials() override;
  std::string name() const override { return "ECS container credentials endpoint"; }

 private:
  common::Environment env_;
  HttpClient& http_;
  Options options_;
};

class InstanceProfileCredentials final : public CredentialsProvider {
 public:
  // `imds` must outlive the provider.
  explicit InstanceProfileCredentials(InstanceMetadata& imds) : imds_(imds) {}
  // Errors: kNotFound when IMDS is disabled or not reachable (transient in
  // the latter case) or the instance has no role; kProtocol for a malformed
  // answer; other IMDS errors as they are.
  common::Task<common::Result<Credentials>> credentials() override;
  std::string name() const override { return "EC2 instance metadata (instance role)"; }

 private:
  InstanceMetadata& imds_;
};

}  // namespace ecssd::aws
