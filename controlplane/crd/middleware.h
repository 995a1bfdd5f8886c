// A decoded Middleware (HTTP): exactly one of Traefik's middleware types,
// each validated (RE2 expressions compile, status ranges and IP ranges
// parse, header names are tokens, ...) so the compiler only resolves
// references. Types the proxy does not execute yet are decoded all the same;
// the compiler refuses routes that use them. Plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "controlplane/crd/crd_object.h"
#include "controlplane/crd/crd_reader.h"
#include "controlplane/crd/service_ref.h"
#include "controlplane/crd/value_checks.h"
#include "controlplane/model/object_meta.h"

namespace portico::controlplane::crd {

struct AddPrefix {
  std::string prefix;
};
struct StripPrefix {
  std::vector<std::string> prefixes;
};
struct StripPrefixRegex {
  std::vector<std::string> regex;
};
struct ReplacePath {
  std::string path;
};
struct ReplacePathRegex {
  std::string regex;
  std::string replacement;
};
struct RedirectRegex {
  std::string regex;
  std::string replacement;
  bool permanent = false;
};
struct RedirectScheme {
  std::string scheme;
  std::string port;  // "" keeps the request's port
  bool permanent = false;
};
struct Chain {
  std::vector<ObjectRef> middlewares;
};

struct IpStrategy {
  int64_t depth = 0;
  std::vector<std::string> excluded_ips;
  std::optional<int64_t> ipv6_subnet;
};
struct IpAllowList {
  std::vector<std::string> source_range;
  std::optional<IpStrategy> ip_strategy;
  std::optional<int64_t> reject_status_code;
};
struct SourceCriterion {
  std::optional<IpStrategy> ip_strategy;
  std::string request_header_name;
  bool request_host = false;
};

struct ClientTls {
  std::string ca_secret;
  std::string cert_secret;
  bool insecure_skip_verify = false;
  bool ca_optional = false;  // forwardAuth only
};
struct RedisOptions {
  std::vector<std::string> endpoints;
  std::string secret;
  std::optional<int64_t> db;
  std::optional<int64_t> pool_size;
  std::optional<int64_t> min_idle_conns;
  std::optional<int64_t> max_active_conns;
  std::optional<Duration> read_timeout;
  std::optional<Duration> write_timeout;
  std::optional<Duration> dial_timeout;
  std::optional<ClientTls> tls;
};
struct RateLimit {
  std::optional<int64_t> average;  // 0 = no limit
  std::optional<Duration> period;  // default 1s
  std::optional<int64_t> burst;    // default 1
  std::optional<SourceCriterion> source_criterion;
  std::optional<RedisOptions> redis;
};
struct InFlightReq {
  int64_t amount = 0;
  std::optional<SourceCriterion> source_criterion;
};

struct BasicAuth {
  std::string secret;
  std::string realm;
  std::string header_field;
  bool remove_header = false;
};
struct DigestAuth {
  std::string secret;
  std::string realm;
  std::string header_field;
  bool remove_header = false;
};
struct ForwardAuth {
  std::string address;
  bool trust_forward_header = false;
  std::vector<std::string> auth_response_headers;
  std::string auth_response_headers_regex;
  std::vector<std::string> auth_request_headers;
  std::vector<std::string> add_auth_cookies_to_response;
  bool forward_body = false;
  std::optional<int64_t> max_body_size;           // -1: no limit
  std::optional<int64_t> max_response_body_size;  // -1: no limit
  std::string header_field;
  bool preserve_location_header = false;
  bool preserve_request_method = false;
  std::string auth_signin_url;
  std::optional<ClientTls> tls;
};

struct Headers {
  std::map<std::string, std::string> custom_request_headers;   // "" value = remove
  std::map<std::string, std::string> custom_response_headers;  // "" value = remove
  bool access_control_allow_credentials = false;
  std::vector<std::string> access_control_allow_headers;
  std::vector<std::string> access_control_allow_methods;
  std::vector<std::string> access_control_allow_origin_list;
  std::vector<std::string> access_control_allow_origin_list_regex;
  std::vector<std::string> access_control_expose_headers;
  std::optional<int64_t> access_control_max_age;
  bool add_vary_header = false;
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> hosts_proxy_headers;
  std::map<std::string, std::string> ssl_proxy_headers;
  int64_t sts_seconds = 0;
  bool sts_include_subdomains = false;
  bool sts_preload = false;
  bool force_sts_header = false;
  bool frame_deny = false;
  std::string custom_frame_options_value;
  bool content_type_nosniff = false;
  bool browser_xss_filter = false;
  std::string custom_browser_xss_value;
  std::string content_security_policy;
  std::string content_security_policy_report_only;
  std::string public_key;
  std::string referrer_policy;
  std::string permissions_policy;
  bool is_development = false;
};

struct StatusRewrite {
  StatusRange from;
  int64_t to = 0;
};
struct ErrorPages {
  std::vector<StatusRange> status;
  std::vector<StatusRewrite> status_rewrites;  // sorted by `from`
  ServiceRef service;
  std::string query;  // "/{status}.html"
  std::vector<std::string> error_request_headers;
};

struct Buffering {
  std::optional<int64_t> max_request_body_bytes;
  std::optional<int64_t> mem_request_body_bytes;
  std::optional<int64_t> max_response_body_bytes;
  std::optional<int64_t> mem_response_body_bytes;
  std::string retry_expression;
};
struct CircuitBreaker {
  std::string expression;
  std::optional<Duration> check_period;
  std::optional<Duration> fallback_duration;
  std::optional<Duration> recovery_duration;
  std::optional<int64_t> response_code;
};
struct Compress {
  std::vector<std::string> encodings;  // "gzip", "br", "zstd", by preference
  std::string default_encoding;
  std::optional<int64_t> min_response_body_bytes;
  std::vector<std::string> excluded_content_types;
  std::vector<std::string> included_content_types;
};
struct ContentType {
  std::optional<bool> auto_detect;
};
struct GrpcWeb {
  std::vector<std::string> allow_origins;
};

struct DistinguishedNameFields {
  bool country = false;
  bool province = false;
  bool locality = false;
  bool organization = false;
  bool organizational_unit = false;  // subject only
  bool common_name = false;
  bool serial_number = false;
  bool domain_component = false;
};
struct ClientCertInfo {
  bool not_after = false;
  bool not_before = false;
  bool sans = false;
  bool serial_number = false;
  std::optional<DistinguishedNameFields> subject;
  std::optional<DistinguishedNameFields> issuer;
};
struct PassTlsClientCert {
  bool pem = false;
  std::optional<ClientCertInfo> info;
};

struct Retry {
  int64_t attempts = 0;
  std::optional<Duration> initial_interval;
  std::optional<Duration> timeout;
  std::optional<int64_t> max_request_body_bytes;
  std::vector<StatusRange> status;
  bool disable_retry_on_network_error = false;
  bool retry_non_idempotent_method = false;
};

struct EncodedCharacters {
  bool allow_encoded_slash = false;
  bool allow_encoded_back_slash = false;
  bool allow_encoded_null_character = false;
  bool allow_encoded_semicolon = false;
  bool allow_encoded_percent = false;
  bool allow_encoded_question_mark = false;
  bool allow_encoded_hash = false;
};

using MiddlewareConfig =
    std::variant<std::monostate, AddPrefix, StripPrefix, StripPrefixRegex, ReplacePath,
                 ReplacePathRegex, RedirectRegex, RedirectScheme, Chain, IpAllowList, RateLimit,
                 InFlightReq, BasicAuth, DigestAuth, ForwardAuth, Headers, ErrorPages, Buffering,
                 CircuitBreaker, Compress, ContentType, GrpcWeb, PassTlsClientCert, Retry,
                 EncodedCharacters>;

struct MiddlewareSpec {
  std::string type;  // the spec member that was set: "addPrefix", "ipAllowList", ...
  MiddlewareConfig config;
};

struct Middleware {
  ObjectMeta meta;
  CrdInfo crd;
  MiddlewareSpec spec;
};

void ReadMiddlewareSpec(CrdReader& spec, MiddlewareSpec* out);
std::string DecodeCrd(const JsonField& object, Middleware* out);

}  // namespace portico::controlplane::crd
