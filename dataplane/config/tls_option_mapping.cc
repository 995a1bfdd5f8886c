#include "dataplane/config/tls_option_mapping.h"

#include <openssl/err.h>

#include <array>
#include <utility>

#include "absl/strings/str_join.h"

namespace portico::dataplane {
namespace {

// The TLS <= 1.2 suites a TLSOption can name (controlplane/crd/tls_option.h),
// in IANA spelling.
constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kCipherNames = {{
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
}};

// The protocols the proxy speaks after the handshake.
constexpr std::array<std::string_view, 1> kServedAlpn = {"http/1.1"};

bool Version(v1::TlsVersion version, int fallback, int* out) {
  switch (version) {
    case v1::TLS_VERSION_UNSPECIFIED:
      *out = fallback;
      return true;
    case v1::TLS_1_0:
      *out = TLS1_VERSION;
      return true;
    case v1::TLS_1_1:
      *out = TLS1_1_VERSION;
      return true;
    case v1::TLS_1_2:
      *out = TLS1_2_VERSION;
      return true;
    case v1::TLS_1_3:
      *out = TLS1_3_VERSION;
      return true;
    default:
      return false;
  }
}

ClientAuth MapClientAuth(v1::ClientAuthType type) {
  switch (type) {
    case v1::REQUEST_CLIENT_CERT:
      return ClientAuth::kRequest;
    case v1::REQUIRE_ANY_CLIENT_CERT:
      return ClientAuth::kRequireAny;
    case v1::VERIFY_CLIENT_CERT_IF_GIVEN:
      return ClientAuth::kVerifyIfGiven;
    case v1::REQUIRE_AND_VERIFY_CLIENT_CERT:
      return ClientAuth::kRequireAndVerify;
    default:
      return ClientAuth::kNone;
  }
}

// The groups this OpenSSL accepts, in the given order.
std::vector<std::string> KnownGroups(const v1::TlsOption& option,
                                     std::vector<std::string>* warnings) {
  std::vector<std::string> known;
  SslCtxPtr scratch(SSL_CTX_new(TLS_server_method()));
  for (const std::string& group : option.curve_preferences()) {
    if (scratch != nullptr && SSL_CTX_set1_groups_list(scratch.get(), group.c_str()) == 1) {
      known.push_back(group);
    } else {
      warnings->push_back("TLS option " + option.name() + ": curve " + group +
                          " is not supported by this proxy's TLS library; left out");
    }
  }
  ERR_clear_error();
  return known;
}

}  // namespace

std::string_view OpenSslCipherName(std::string_view iana_name) {
  for (const auto& [iana, openssl] : kCipherNames) {
    if (iana == iana_name) return openssl;
  }
  return "";
}

namespace {

// Versions and TLS 1.2 suites, which TlsOption and ServersTransport share.
template <typename Message>
std::string MapProtocol(const Message& message, int* min_version, int* max_version,
                        std::string* tls12_ciphers) {
  if (!Version(message.min_version(), TLS1_2_VERSION, min_version) ||
      !Version(message.max_version(), TLS1_3_VERSION, max_version)) {
    return "unknown TLS version";
  }
  if (*min_version > *max_version) return "minVersion is above maxVersion";
  if (message.cipher_suites_size() > 0) {
    std::vector<std::string> names;
    for (const std::string& suite : message.cipher_suites()) {
      std::string_view name = OpenSslCipherName(suite);
      if (name.empty()) return "unknown TLS 1.2 cipher suite " + suite;
      names.emplace_back(name);
    }
    *tls12_ciphers = absl::StrJoin(names, ":");
  }
  return "";
}

}  // namespace

std::string MapServersTransport(const v1::ServersTransport& transport, UpstreamTlsOptions* out) {
  out->name = transport.name();
  out->server_name = transport.server_name();
  out->verify = !transport.insecure_skip_verify();
  out->root_cas_pem = transport.root_cas_pem();
  if (transport.certificates_size() > 0) {
    out->client_chain_pem = transport.certificates(0).cert_chain_pem();
    out->client_key_pem = transport.certificates(0).private_key_pem();
  }
  out->peer_cert_uri = transport.peer_cert_uri();
  return MapProtocol(transport, &out->min_version, &out->max_version, &out->tls12_ciphers);
}

std::string MapTlsOption(const v1::TlsOption& option, TlsServerOptions* out,
                         std::vector<std::string>* warnings) {
  out->name = option.name();
  if (std::string e =
          MapProtocol(option, &out->min_version, &out->max_version, &out->tls12_ciphers);
      !e.empty()) {
    return e;
  }
  if (option.curve_preferences_size() > 0) {
    std::vector<std::string> groups = KnownGroups(option, warnings);
    if (!groups.empty()) out->groups = absl::StrJoin(groups, ":");
  }
  if (option.alpn_protocols_size() > 0) {
    std::vector<std::string> alpn;
    for (const std::string& protocol : option.alpn_protocols()) {
      bool served = false;
      for (std::string_view s : kServedAlpn) served = served || s == protocol;
      if (served) {
        alpn.push_back(protocol);
      } else {
        warnings->push_back("TLS option " + option.name() + ": ALPN protocol " + protocol +
                            " is not served by this proxy; left out");
      }
    }
    if (!alpn.empty()) out->alpn = std::move(alpn);
  }
  out->session_tickets = !option.disable_session_tickets();
  out->sni_strict = option.sni_strict();
  out->client_auth = MapClientAuth(option.client_auth().type());
  out->client_ca_pem = option.client_auth().ca_bundle_pem();
  if (Verifies(out->client_auth) && out->client_ca_pem.empty()) {
    return "client authentication verifies certificates but the option has no CA bundle";
  }
  return "";
}

}  // namespace portico::dataplane
