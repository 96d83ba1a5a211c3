#pragma once
// AWS Signature Version 4 (header and query signing), written from AWS's
// specification ("Create a signed AWS API request") and checked against the
// AWS signing test suite and botocore. Pure: no I/O, no clock (the time is a
// parameter), so each step can be tested on its own.
//
// Not supported: S3's single-encoding/no-normalisation rules (set
// SigV4Options), chunked (streaming) payload signing, SigV4a.
#include <chrono>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "aws/http.h"
#include "common/clock.h"
#include "common/result.h"

namespace ecssd::aws {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

// The parts of an HTTP request that SigV4 covers.
struct SigningInput {
  std::string method;  // "GET", "POST"...
  // The request path as sent. The canonical URI encodes it once more (AWS's
  // rule for every service but S3), so "/a%20b" is signed as "/a%2520b".
  std::string path = "/";
  std::string query;         // without '?'; keys and values are decoded and re-encoded
  Headers headers;           // every header to sign; must include Host
  std::string payload_hash;  // sha256_hex(body) or kUnsignedPayload
};

struct SigV4Options {
  // Remove "." and ".." segments and empty segments from the path (every
  // service but S3).
  bool normalize_path = true;
  // Sign X-Amz-Security-Token (true, as the SDKs do) or add it after signing
  // (false: the few services that want it unsigned).
  bool sign_session_token = true;
  // Add and sign an x-amz-content-sha256 header (header signing only).
  bool add_content_sha256 = false;
};

struct SigV4Result {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;         // lower-case hex
  std::string signed_headers;    // "host;x-amz-date"
  std::string credential_scope;  // "20150830/us-east-1/service/aws4_request"
  // Header signing: the headers to add, in this order: X-Amz-Date,
  // [x-amz-content-sha256], [X-Amz-Security-Token], Authorization.
  Headers headers_to_add;
  // Query signing: the complete query string to send (without '?').
  std::string presigned_query;
};

class SigV4Signer {
 public:
  // `service` is the signing name ("route53", "events", "ecs", "ec2"),
  // `region` the signing region ("us-east-1").
  SigV4Signer(std::string service, std::string region, SigV4Options options = {});

  // Step 1: the canonical request and its parts.
  std::string canonical_uri(std::string_view path) const;
  static std::string canonical_query(std::string_view query);
  struct CanonicalHeaders {
    std::string block;           // "name:value\n" per header, sorted by name
    std::string signed_headers;  // "name1;name2"
  };
  // Names are lower-cased, values trimmed with inner runs of white space
  // (including folded lines) collapsed to one space; repeated names are joined
  // with ',' in their original order. Headers SigV4 must not cover (user-agent,
  // expect, x-amzn-trace-id, authorization, connection, transfer-encoding) are
  // left out, because proxies and HTTP clients rewrite them.
  static CanonicalHeaders canonical_headers(const Headers& headers);
  std::string canonical_request(const SigningInput& in) const;

  // Step 2: the string to sign.
  std::string credential_scope(common::SystemTime t) const;
  std::string string_to_sign(std::string_view canonical_request, common::SystemTime t) const;

  // Steps 3 and 4: derive the signing key and sign.
  std::string signature(std::string_view secret_access_key, common::SystemTime t,
                        std::string_view string_to_sign) const;

  // Header signing (the Authorization header). `in.headers` must not yet hold
  // X-Amz-Date or Authorization.
  SigV4Result sign_headers(SigningInput in, const Credentials& creds, common::SystemTime t) const;

  // Query signing (a presigned URL valid for `expires`).
  SigV4Result presign(SigningInput in, const Credentials& creds, common::SystemTime t,
                      std::chrono::seconds expires) const;

  // Signs an HttpRequest in place with header signing: adds Host (when
  // absent), X-Amz-Date, X-Amz-Security-Token (with a session token) and
  // Authorization, replacing any earlier ones (a retried request is re-signed).
  // Returns the steps, for tests and tools. Errors: kInvalidArgument for a
  // malformed URL.
  common::Result<SigV4Result> sign(HttpRequest& req, const Credentials& creds, common::SystemTime t) const;

  // "20150830T123600Z"
  static std::string amz_date(common::SystemTime t);

  const std::string& service() const { return service_; }
  const std::string& region() const { return region_; }

 private:
  std::string service_;
  std::string region_;
  SigV4Options options_;
};

}  // namespace ecssd::aws
