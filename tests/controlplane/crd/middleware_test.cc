// Middleware decoding: each type with its fields set, YAML in, the decoded
// values out, written literally.
#include <catch2/catch.hpp>

#include "controlplane/crd/middleware.h"
#include "tests/controlplane/crd/crd_test_support.h"

namespace portico::controlplane::crd {
namespace {

using namespace std::chrono_literals;

template <typename T>
T DecodeAs(std::string_view spec, std::string expected_type, Middleware* m = nullptr) {
  Middleware local;
  Middleware* out = m ? m : &local;
  INFO(spec);
  REQUIRE(testing::DecodeSpecYaml("Middleware", spec, out) == "");
  CHECK(out->spec.type == expected_type);
  REQUIRE(std::holds_alternative<T>(out->spec.config));
  return std::get<T>(out->spec.config);
}

TEST_CASE("middleware: metadata, group and generation are kept") {
  Middleware m;
  REQUIRE(testing::DecodeSpecYaml("Middleware", "{addPrefix: {prefix: /api}}", &m,
                                  "traefik.io/v1alpha1") == "");
  CHECK(m.crd.group == CrdGroup::kTraefik);
  CHECK(m.crd.generation == 7);
  CHECK(m.crd.warnings.empty());
  CHECK(std::get<AddPrefix>(m.spec.config).prefix == "/api");
}

TEST_CASE("middleware: path rewrites and redirects") {
  CHECK(DecodeAs<StripPrefix>("{stripPrefix: {prefixes: [/a, /b/]}}", "stripPrefix").prefixes ==
        std::vector<std::string>{"/a", "/b/"});
  CHECK(DecodeAs<StripPrefixRegex>("{stripPrefixRegex: {regex: ['^/v[0-9]+']}}", "stripPrefixRegex")
            .regex == std::vector<std::string>{"^/v[0-9]+"});
  CHECK(DecodeAs<ReplacePath>("{replacePath: {path: /new}}", "replacePath").path == "/new");
  auto rpr = DecodeAs<ReplacePathRegex>(
      "{replacePathRegex: {regex: '^/foo/(.*)', replacement: '/bar/$1'}}", "replacePathRegex");
  CHECK(rpr.regex == "^/foo/(.*)");
  CHECK(rpr.replacement == "/bar/$1");
  auto rr = DecodeAs<RedirectRegex>(
      "{redirectRegex: {regex: '^http://(.*)', replacement: 'https://${1}', permanent: true}}",
      "redirectRegex");
  CHECK(rr.replacement == "https://${1}");
  CHECK(rr.permanent);
  auto rs =
      DecodeAs<RedirectScheme>("{redirectScheme: {scheme: https, port: '8443'}}", "redirectScheme");
  CHECK(rs.scheme == "https");
  CHECK(rs.port == "8443");
  CHECK_FALSE(rs.permanent);
  auto chain =
      DecodeAs<Chain>("{chain: {middlewares: [{name: a}, {name: b, namespace: other}]}}", "chain");
  CHECK(chain.middlewares == std::vector<ObjectRef>{{"a", ""}, {"b", "other"}});
}

TEST_CASE("middleware: deprecated fields are accepted with a warning") {
  Middleware m;
  DecodeAs<StripPrefix>("{stripPrefix: {prefixes: [/a], forceSlash: true}}", "stripPrefix", &m);
  CHECK(m.crd.warnings ==
        std::vector<std::string>{"spec.stripPrefix.forceSlash: deprecated, ignored"});
  auto list =
      DecodeAs<IpAllowList>("{ipWhiteList: {sourceRange: [10.0.0.0/8]}}", "ipAllowList", &m);
  CHECK(list.source_range == std::vector<std::string>{"10.0.0.0/8"});
  CHECK(m.crd.warnings ==
        std::vector<std::string>{"spec.ipWhiteList: deprecated, read as ipAllowList"});
  DecodeAs<Headers>("{headers: {sslRedirect: true, featurePolicy: x}}", "headers", &m);
  CHECK(m.crd.warnings ==
        std::vector<std::string>{"spec.headers.sslRedirect: deprecated, ignored",
                                 "spec.headers.featurePolicy: deprecated, ignored"});
}

TEST_CASE("middleware: authentication") {
  auto basic = DecodeAs<BasicAuth>(
      "{basicAuth: {secret: users, realm: Staff, headerField: X-User, removeHeader: true}}",
      "basicAuth");
  CHECK(basic.secret == "users");
  CHECK(basic.realm == "Staff");
  CHECK(basic.header_field == "X-User");
  CHECK(basic.remove_header);
  CHECK(DecodeAs<DigestAuth>("{digestAuth: {secret: users}}", "digestAuth").secret == "users");
  auto fa = DecodeAs<ForwardAuth>(R"yaml({forwardAuth: {
      address: 'https://auth.example/check', trustForwardHeader: true,
      authResponseHeaders: [X-User], authResponseHeadersRegex: '^X-Auth-',
      authRequestHeaders: [Cookie], addAuthCookiesToResponse: [session],
      forwardBody: true, maxBodySize: 1024, maxResponseBodySize: -1, headerField: X-Who,
      preserveLocationHeader: true, preserveRequestMethod: true,
      authSigninURL: 'https://auth.example/login',
      tls: {caSecret: ca, certSecret: client, insecureSkipVerify: false, caOptional: true}}})yaml",
                                  "forwardAuth");
  CHECK(fa.address == "https://auth.example/check");
  CHECK(fa.trust_forward_header);
  CHECK(fa.auth_response_headers == std::vector<std::string>{"X-User"});
  CHECK(fa.auth_response_headers_regex == "^X-Auth-");
  CHECK(fa.add_auth_cookies_to_response == std::vector<std::string>{"session"});
  CHECK(fa.max_body_size == 1024);
  CHECK(fa.max_response_body_size == -1);
  CHECK(fa.auth_signin_url == "https://auth.example/login");
  REQUIRE(fa.tls);
  CHECK(fa.tls->ca_secret == "ca");
  CHECK(fa.tls->cert_secret == "client");
  CHECK(fa.tls->ca_optional);
}

TEST_CASE("middleware: headers") {
  auto h = DecodeAs<Headers>(R"yaml({headers: {
      customRequestHeaders: {X-Script-Name: test, X-Remove: ''},
      customResponseHeaders: {X-Server: portico},
      accessControlAllowCredentials: true, accessControlAllowHeaders: [Content-Type],
      accessControlAllowMethods: [GET, OPTIONS], accessControlAllowOriginList: ['*'],
      accessControlAllowOriginListRegex: ['^https://.*\.example$'],
      accessControlExposeHeaders: [X-Id], accessControlMaxAge: 100, addVaryHeader: true,
      allowedHosts: [a.example], hostsProxyHeaders: [X-Forwarded-Host],
      sslProxyHeaders: {X-Forwarded-Proto: https}, stsSeconds: 31536000,
      stsIncludeSubdomains: true, stsPreload: true, forceSTSHeader: true, frameDeny: true,
      customFrameOptionsValue: SAMEORIGIN, contentTypeNosniff: true, browserXssFilter: true,
      customBrowserXSSValue: '1; mode=block', contentSecurityPolicy: "default-src 'self'",
      contentSecurityPolicyReportOnly: "default-src 'none'", publicKey: pin,
      referrerPolicy: no-referrer, permissionsPolicy: 'camera=()', isDevelopment: false}})yaml",
                             "headers");
  CHECK(h.custom_request_headers ==
        std::map<std::string, std::string>{{"X-Remove", ""}, {"X-Script-Name", "test"}});
  CHECK(h.custom_response_headers.at("X-Server") == "portico");
  CHECK(h.access_control_allow_credentials);
  CHECK(h.access_control_allow_methods == std::vector<std::string>{"GET", "OPTIONS"});
  CHECK(h.access_control_allow_origin_list_regex ==
        std::vector<std::string>{"^https://.*\\.example$"});
  CHECK(h.access_control_max_age == 100);
  CHECK(h.ssl_proxy_headers.at("X-Forwarded-Proto") == "https");
  CHECK(h.sts_seconds == 31536000);
  CHECK(h.sts_include_subdomains);
  CHECK(h.force_sts_header);
  CHECK(h.custom_frame_options_value == "SAMEORIGIN");
  CHECK(h.custom_browser_xss_value == "1; mode=block");
  CHECK(h.content_security_policy == "default-src 'self'");
  CHECK(h.referrer_policy == "no-referrer");
  CHECK(h.permissions_policy == "camera=()");
  CHECK_FALSE(h.is_development);
}

TEST_CASE("middleware: admission and limits") {
  auto ip = DecodeAs<IpAllowList>(
      "{ipAllowList: {sourceRange: [10.0.0.0/8, '2001:db8::/32', 192.0.2.1], "
      "ipStrategy: {depth: 2, excludedIPs: [203.0.113.0/24], ipv6Subnet: 64}, "
      "rejectStatusCode: 404}}",
      "ipAllowList");
  CHECK(ip.source_range.size() == 3);
  REQUIRE(ip.ip_strategy);
  CHECK(ip.ip_strategy->depth == 2);
  CHECK(ip.ip_strategy->ipv6_subnet == 64);
  CHECK(ip.reject_status_code == 404);

  auto rl = DecodeAs<RateLimit>(
      "{rateLimit: {average: 100, period: 1m, burst: 50, sourceCriterion: "
      "{requestHeaderName: X-Api-Key}, redis: {endpoints: ['redis:6379'], db: 2, "
      "readTimeout: 3s, dialTimeout: 5, tls: {caSecret: ca}}}}",
      "rateLimit");
  CHECK(rl.average == 100);
  CHECK(rl.period == Duration(60s));
  CHECK(rl.burst == 50);
  REQUIRE(rl.source_criterion);
  CHECK(rl.source_criterion->request_header_name == "X-Api-Key");
  REQUIRE(rl.redis);
  CHECK(rl.redis->endpoints == std::vector<std::string>{"redis:6379"});
  CHECK(rl.redis->db == 2);
  CHECK(rl.redis->read_timeout == Duration(3s));
  CHECK(rl.redis->dial_timeout == Duration(5s));  // an integer is seconds
  CHECK(rl.redis->tls->ca_secret == "ca");

  auto inflight = DecodeAs<InFlightReq>(
      "{inFlightReq: {amount: 10, sourceCriterion: {ipStrategy: {depth: 1}}}}", "inFlightReq");
  CHECK(inflight.amount == 10);
  CHECK(inflight.source_criterion->ip_strategy->depth == 1);

  auto cb = DecodeAs<CircuitBreaker>(
      "{circuitBreaker: {expression: 'LatencyAtQuantileMS(50.0) > 100', checkPeriod: 100ms, "
      "fallbackDuration: '10', recoveryDuration: 1m30s, responseCode: 503}}",
      "circuitBreaker");
  CHECK(cb.expression == "LatencyAtQuantileMS(50.0) > 100");
  CHECK(cb.check_period == Duration(100ms));
  CHECK(cb.fallback_duration == Duration(10s));  // a numeric string is seconds too
  CHECK(cb.recovery_duration == Duration(90s));
  CHECK(cb.response_code == 503);

  auto retry = DecodeAs<Retry>(
      "{retry: {attempts: 4, initialInterval: 100ms, timeout: 2s, maxRequestBodyBytes: -1, "
      "status: ['500-503', '429'], disableRetryOnNetworkError: true, "
      "retryNonIdempotentMethod: true}}",
      "retry");
  CHECK(retry.attempts == 4);
  CHECK(retry.initial_interval == Duration(100ms));
  CHECK(retry.timeout == Duration(2s));
  CHECK(retry.max_request_body_bytes == -1);
  CHECK(retry.status == std::vector<StatusRange>{{500, 503}, {429, 429}});
  CHECK(retry.disable_retry_on_network_error);
  CHECK(retry.retry_non_idempotent_method);

  auto buffering = DecodeAs<Buffering>(
      "{buffering: {maxRequestBodyBytes: 2000000, memRequestBodyBytes: 1048576, "
      "maxResponseBodyBytes: 0, memResponseBodyBytes: 1048576, "
      "retryExpression: 'IsNetworkError() && Attempts() < 2'}}",
      "buffering");
  CHECK(buffering.max_request_body_bytes == 2000000);
  CHECK(buffering.max_response_body_bytes == 0);
  CHECK(buffering.retry_expression == "IsNetworkError() && Attempts() < 2");
}

TEST_CASE("middleware: responses and the rest") {
  auto compress = DecodeAs<Compress>(
      "{compress: {encodings: [zstd, br, gzip], defaultEncoding: gzip, "
      "minResponseBodyBytes: 512, excludedContentTypes: [text/event-stream]}}",
      "compress");
  CHECK(compress.encodings == std::vector<std::string>{"zstd", "br", "gzip"});
  CHECK(compress.default_encoding == "gzip");
  CHECK(compress.min_response_body_bytes == 512);
  CHECK(compress.excluded_content_types == std::vector<std::string>{"text/event-stream"});

  CHECK_FALSE(DecodeAs<ContentType>("{contentType: {}}", "contentType").auto_detect.has_value());
  CHECK(DecodeAs<ContentType>("{contentType: {autoDetect: true}}", "contentType").auto_detect ==
        true);

  auto errors = DecodeAs<ErrorPages>(
      "{errors: {status: ['500-599', '404,418'], statusRewrites: {'418': 404, '502-504': 500}, "
      "service: {name: pages, port: http}, query: '/{status}.html', "
      "errorRequestHeaders: [Accept]}}",
      "errors");
  CHECK(errors.status == std::vector<StatusRange>{{500, 599}, {404, 404}, {418, 418}});
  REQUIRE(errors.status_rewrites.size() == 2);
  CHECK(errors.status_rewrites[0].from == StatusRange{418, 418});
  CHECK(errors.status_rewrites[0].to == 404);
  CHECK(errors.status_rewrites[1].from == StatusRange{502, 504});
  CHECK(errors.service.name == "pages");
  CHECK(errors.service.port == PortRef{.name = "http"});
  CHECK(errors.query == "/{status}.html");

  CHECK(DecodeAs<GrpcWeb>("{grpcWeb: {allowOrigins: ['*']}}", "grpcWeb").allow_origins ==
        std::vector<std::string>{"*"});

  auto pass = DecodeAs<PassTlsClientCert>(
      "{passTLSClientCert: {pem: true, info: {notAfter: true, sans: true, "
      "subject: {commonName: true, organizationalUnit: true}, issuer: {country: true}}}}",
      "passTLSClientCert");
  CHECK(pass.pem);
  REQUIRE(pass.info);
  CHECK(pass.info->not_after);
  CHECK_FALSE(pass.info->not_before);
  CHECK(pass.info->subject->common_name);
  CHECK(pass.info->subject->organizational_unit);
  CHECK(pass.info->issuer->country);

  auto enc = DecodeAs<EncodedCharacters>(
      "{encodedCharacters: {allowEncodedSlash: true, allowEncodedHash: true}}",
      "encodedCharacters");
  CHECK(enc.allow_encoded_slash);
  CHECK(enc.allow_encoded_hash);
  CHECK_FALSE(enc.allow_encoded_percent);
}

}  // namespace
}  // namespace portico::controlplane::crd
