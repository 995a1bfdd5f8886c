// Middleware types that authenticate requests.
#include "controlplane/crd/middleware_readers.h"

namespace portico::controlplane::crd {
namespace {

// The realm is sent quoted in WWW-Authenticate.
void CheckRealm(CrdReader& r, const std::string& realm) {
  if (realm.find('"') != std::string::npos || !IsHeaderValue(realm)) {
    r.Fail("realm", "must not contain '\"', CR, LF or NUL");
  }
}

template <typename Auth>
void ReadSecretAuth(CrdReader& r, Auth* out) {
  r.String("secret", &out->secret, Need::kRequired);
  r.String("realm", &out->realm);
  r.String("headerField", &out->header_field);
  r.Bool("removeHeader", &out->remove_header);
  CheckSecretName(r, "secret", out->secret);
  CheckRealm(r, out->realm);
  CheckHeaderName(r, "headerField", out->header_field);
}

}  // namespace

void ReadBasicAuth(CrdReader& r, BasicAuth* out) { ReadSecretAuth(r, out); }
void ReadDigestAuth(CrdReader& r, DigestAuth* out) { ReadSecretAuth(r, out); }

void ReadForwardAuth(CrdReader& r, ForwardAuth* out) {
  r.String("address", &out->address, Need::kRequired);
  r.Bool("trustForwardHeader", &out->trust_forward_header);
  r.StringList("authResponseHeaders", &out->auth_response_headers);
  r.String("authResponseHeadersRegex", &out->auth_response_headers_regex);
  r.StringList("authRequestHeaders", &out->auth_request_headers);
  r.StringList("addAuthCookiesToResponse", &out->add_auth_cookies_to_response);
  r.Bool("forwardBody", &out->forward_body);
  r.Int("maxBodySize", &out->max_body_size, {.min = -1});
  r.Int("maxResponseBodySize", &out->max_response_body_size, {.min = -1});
  r.String("headerField", &out->header_field);
  r.Bool("preserveLocationHeader", &out->preserve_location_header);
  r.Bool("preserveRequestMethod", &out->preserve_request_method);
  r.String("authSigninURL", &out->auth_signin_url);
  r.OptionalObject("tls", &out->tls,
                   [](CrdReader& tls, ClientTls* t) { ReadClientTls(tls, t, true); });
  if (!out->address.empty() && !IsHttpUrl(out->address)) {
    r.Fail("address", "must be an http:// or https:// URL, got " + Quoted(out->address));
  }
  if (!out->auth_signin_url.empty() && !IsHttpUrl(out->auth_signin_url)) {
    r.Fail("authSigninURL",
           "must be an http:// or https:// URL, got " + Quoted(out->auth_signin_url));
  }
  CheckHeaderNames(r, "authResponseHeaders", out->auth_response_headers);
  CheckHeaderNames(r, "authRequestHeaders", out->auth_request_headers);
  CheckHeaderNames(r, "addAuthCookiesToResponse", out->add_auth_cookies_to_response);
  if (!out->auth_response_headers_regex.empty()) {
    CheckRegex(r, "authResponseHeadersRegex", out->auth_response_headers_regex);
  }
  CheckHeaderName(r, "headerField", out->header_field);
}

void ReadHeaders(CrdReader& r, Headers* out) {
  r.StringMap("customRequestHeaders", &out->custom_request_headers);
  r.StringMap("customResponseHeaders", &out->custom_response_headers);
  r.Bool("accessControlAllowCredentials", &out->access_control_allow_credentials);
  r.StringList("accessControlAllowHeaders", &out->access_control_allow_headers);
  r.StringList("accessControlAllowMethods", &out->access_control_allow_methods);
  r.StringList("accessControlAllowOriginList", &out->access_control_allow_origin_list);
  r.StringList("accessControlAllowOriginListRegex", &out->access_control_allow_origin_list_regex);
  r.StringList("accessControlExposeHeaders", &out->access_control_expose_headers);
  r.Int("accessControlMaxAge", &out->access_control_max_age, {.min = 0});
  r.Bool("addVaryHeader", &out->add_vary_header);
  r.StringList("allowedHosts", &out->allowed_hosts);
  r.StringList("hostsProxyHeaders", &out->hosts_proxy_headers);
  r.StringMap("sslProxyHeaders", &out->ssl_proxy_headers);
  r.Int("stsSeconds", &out->sts_seconds, {.min = 0});
  r.Bool("stsIncludeSubdomains", &out->sts_include_subdomains);
  r.Bool("stsPreload", &out->sts_preload);
  r.Bool("forceSTSHeader", &out->force_sts_header);
  r.Bool("frameDeny", &out->frame_deny);
  r.String("customFrameOptionsValue", &out->custom_frame_options_value);
  r.Bool("contentTypeNosniff", &out->content_type_nosniff);
  r.Bool("browserXssFilter", &out->browser_xss_filter);
  r.String("customBrowserXSSValue", &out->custom_browser_xss_value);
  r.String("contentSecurityPolicy", &out->content_security_policy);
  r.String("contentSecurityPolicyReportOnly", &out->content_security_policy_report_only);
  r.String("publicKey", &out->public_key);
  r.String("referrerPolicy", &out->referrer_policy);
  r.String("permissionsPolicy", &out->permissions_policy);
  r.Bool("isDevelopment", &out->is_development);
  r.Deprecated("sslRedirect", SchemaType::kBoolean);
  r.Deprecated("sslTemporaryRedirect", SchemaType::kBoolean);
  r.Deprecated("sslHost", SchemaType::kString);
  r.Deprecated("sslForceHost", SchemaType::kBoolean);
  r.Deprecated("featurePolicy", SchemaType::kString);

  CheckHeaderMap(r, "customRequestHeaders", out->custom_request_headers);
  CheckHeaderMap(r, "customResponseHeaders", out->custom_response_headers);
  CheckHeaderMap(r, "sslProxyHeaders", out->ssl_proxy_headers);
  CheckHeaderNames(r, "accessControlAllowHeaders", out->access_control_allow_headers);
  CheckHeaderNames(r, "accessControlAllowMethods", out->access_control_allow_methods);
  CheckHeaderNames(r, "accessControlExposeHeaders", out->access_control_expose_headers);
  CheckHeaderNames(r, "hostsProxyHeaders", out->hosts_proxy_headers);
  for (size_t i = 0; i < out->access_control_allow_origin_list.size(); ++i) {
    if (out->access_control_allow_origin_list[i] == "null") {
      r.Fail(Item("accessControlAllowOriginList", i),
             "must not be \"null\" (any sandboxed page could claim it)");
    }
  }
  for (size_t i = 0; i < out->access_control_allow_origin_list_regex.size(); ++i) {
    CheckRegex(r, Item("accessControlAllowOriginListRegex", i),
               out->access_control_allow_origin_list_regex[i]);
  }
  for (auto [name, value] :
       {std::pair{"customFrameOptionsValue", &out->custom_frame_options_value},
        std::pair{"customBrowserXSSValue", &out->custom_browser_xss_value},
        std::pair{"contentSecurityPolicy", &out->content_security_policy},
        std::pair{"contentSecurityPolicyReportOnly", &out->content_security_policy_report_only},
        std::pair{"publicKey", &out->public_key},
        std::pair{"referrerPolicy", &out->referrer_policy},
        std::pair{"permissionsPolicy", &out->permissions_policy}}) {
    CheckHeaderValue(r, name, *value);
  }
}

}  // namespace portico::controlplane::crd
