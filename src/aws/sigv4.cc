#include "aws/sigv4.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "aws/crypto.h"
#include "aws/url.h"
#include "common/log.h"

namespace ecssd::aws {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

// Trimall from the SigV4 specification: no leading or trailing white space,
// every inner run of white space (folded lines too) becomes one space.
std::string trim_all(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

bool unsigned_header(std::string_view lname) {
  return lname == "user-agent" || lname == "expect" || lname == "x-amzn-trace-id" || lname == "authorization" ||
         lname == "connection" || lname == "transfer-encoding";
}

// RFC 3986 section 5.2.4 dot-segment removal, plus AWS's rule that empty
// segments ("//") collapse.
std::string normalize_path(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!seg.empty() && seg != ".") {
      out.push_back(seg);
    }
    start = end + 1;
  }
  std::string result = "/";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i) result += '/';
    result += out[i];
  }
  if (!out.empty() && path.back() == '/') result += '/';
  return result;
}

std::string date_part(common::SystemTime t) { return SigV4Signer::amz_date(t).substr(0, 8); }

void remove_header(Headers& headers, std::string_view name) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
}

bool has_header(const Headers& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); });
}

}  // namespace

SigV4Signer::SigV4Signer(std::string service, std::string region, SigV4Options options)
    : service_(std::move(service)), region_(std::move(region)), options_(options) {}

std::string SigV4Signer::amz_date(common::SystemTime t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string SigV4Signer::canonical_uri(std::string_view path) const {
  std::string p = options_.normalize_path ? normalize_path(path) : std::string(path.empty() ? "/" : path);
  return uri_encode(p, /*keep_slash=*/true);
}

std::string SigV4Signer::canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string_view k = pair.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      params.emplace_back(uri_encode(uri_decode(k)), uri_encode(uri_decode(v)));
    }
    start = end + 1;
  }
  // Sorted by encoded key, then encoded value, byte-wise.
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

SigV4Signer::CanonicalHeaders SigV4Signer::canonical_headers(const Headers& headers) {
  std::map<std::string, std::string> merged;
  for (const auto& [name, value] : headers) {
    std::string lname = lower(trim_all(name));
    if (unsigned_header(lname)) continue;
    auto [it, inserted] = merged.try_emplace(lname, trim_all(value));
    if (!inserted) {
      it->second += ',';
      it->second += trim_all(value);
    }
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : merged) {
    out.block += name + ":" + value + "\n";
    if (!out.signed_headers.empty()) out.signed_headers += ';';
    out.signed_headers += name;
  }
  return out;
}

std::string SigV4Signer::canonical_request(const SigningInput& in) const {
  auto headers = canonical_headers(in.headers);
  std::string out;
  out += in.method;
  out += '\n';
  out += canonical_uri(in.path);
  out += '\n';
  out += canonical_query(in.query);
  out += '\n';
  out += headers.block;
  out += '\n';
  out += headers.signed_headers;
  out += '\n';
  out += in.payload_hash;
  return out;
}

std::string SigV4Signer::credential_scope(common::SystemTime t) const {
  return date_part(t) + "/" + region_ + "/" + service_ + "/aws4_request";
}

std::string SigV4Signer::string_to_sign(std::string_view canonical_request, common::SystemTime t) const {
  std::string out(kSigV4Algorithm);
  out += '\n';
  out += amz_date(t);
  out += '\n';
  out += credential_scope(t);
  out += '\n';
  out += sha256_hex(canonical_request);
  return out;
}

std::string SigV4Signer::signature(std::string_view secret_access_key, common::SystemTime t,
                                   std::string_view string_to_sign) const {
  std::string seed = "AWS4";
  seed += secret_access_key;
  Digest k_date = hmac_sha256(seed, date_part(t));
  wipe(seed.data(), seed.size());
  Digest k_region = hmac_sha256(k_date, region_);
  Digest k_service = hmac_sha256(k_region, service_);
  Digest k_signing = hmac_sha256(k_service, "aws4_request");
  std::string sig = to_hex(hmac_sha256(k_signing, string_to_sign));
  for (Digest* k : {&k_date, &k_region, &k_service, &k_signing}) wipe(k->data(), k->size());
  return sig;
}

SigV4Result SigV4Signer::sign_headers(SigningInput in, const Credentials& creds, common::SystemTime t) const {
  SigV4Result r;
  std::string date = amz_date(t);
  r.headers_to_add.emplace_back("X-Amz-Date", date);
  if (options_.add_content_sha256) r.headers_to_add.emplace_back("x-amz-content-sha256", in.payload_hash);
  bool token = !creds.session_token.empty();
  if (token && options_.sign_session_token) r.headers_to_add.emplace_back("X-Amz-Security-Token", creds.session_token);
  for (const auto& h : r.headers_to_add) in.headers.push_back(h);

  r.canonical_request = canonical_request(in);
  r.signed_headers = canonical_headers(in.headers).signed_headers;
  r.credential_scope = credential_scope(t);
  r.string_to_sign = string_to_sign(r.canonical_request, t);
  r.signature = signature(creds.secret_access_key, t, r.string_to_sign);

  if (token && !options_.sign_session_token) r.headers_to_add.emplace_back("X-Amz-Security-Token", creds.session_token);
  std::string auth(kSigV4Algorithm);
  auth += " Credential=";
  auth += creds.access_key_id;
  auth += '/';
  auth += r.credential_scope;
  auth += ", SignedHeaders=";
  auth += r.signed_headers;
  auth += ", Signature=";
  auth += r.signature;
  r.headers_to_add.emplace_back("Authorization", std::move(auth));
  // Only names and hashes: the canonical request itself may hold the session
  // token, so it is never logged.
  if (log::enabled(spdlog::level::debug)) {
    log::debug("sigv4 signed request", {{"method", in.method},
                                        {"path", in.path},
                                        {"scope", r.credential_scope},
                                        {"signed_headers", r.signed_headers},
                                        {"canonical_request_sha256", sha256_hex(r.canonical_request)}});
  }
  return r;
}

SigV4Result SigV4Signer::presign(SigningInput in, const Credentials& creds, common::SystemTime t,
                                 std::chrono::seconds expires) const {
  SigV4Result r;
  r.credential_scope = credential_scope(t);
  r.signed_headers = canonical_headers(in.headers).signed_headers;
  QueryParams added = {{"X-Amz-Algorithm", std::string(kSigV4Algorithm)},
                       {"X-Amz-Credential", creds.access_key_id + "/" + r.credential_scope},
                       {"X-Amz-Date", amz_date(t)},
                       {"X-Amz-Expires", std::to_string(expires.count())},
                       {"X-Amz-SignedHeaders", r.signed_headers}};
  bool token = !creds.session_token.empty();
  if (token && options_.sign_session_token) added.emplace_back("X-Amz-Security-Token", creds.session_token);
  std::string query = in.query;
  std::string extra = encode_query(added);
  in.query = query.empty() ? extra : query + "&" + extra;

  r.canonical_request = canonical_request(in);
  r.string_to_sign = string_to_sign(r.canonical_request, t);
  r.signature = signature(creds.secret_access_key, t, r.string_to_sign);

  r.presigned_query = in.query;
  if (token && !options_.sign_session_token) {
    r.presigned_query += "&" + encode_query({{"X-Amz-Security-Token", creds.session_token}});
  }
  r.presigned_query += "&X-Amz-Signature=" + r.signature;
  return r;
}

common::Result<SigV4Result> SigV4Signer::sign(HttpRequest& req, const Credentials& creds, common::SystemTime t) const {
  auto url = parse_url(req.url);
  if (!url) return url.error();
  for (auto name : {"Authorization", "X-Amz-Date", "X-Amz-Security-Token"}) remove_header(req.headers, name);
  if (options_.add_content_sha256) remove_header(req.headers, "x-amz-content-sha256");
  if (!has_header(req.headers, "Host")) req.headers.insert(req.headers.begin(), {"Host", url->authority});

  SigningInput in;
  in.method = req.method;
  in.path = url->path;
  in.query = url->query;
  in.headers = req.headers;
  in.payload_hash = sha256_hex(req.body);
  auto r = sign_headers(std::move(in), creds, t);
  for (const auto& h : r.headers_to_add) req.headers.push_back(h);
  return r;
}

}  // namespace ecssd::aws
