// Decoded TLSOption and TLSStore: the TLS parameters routers refer to by
// name (the one named "default" applies to every TLS router without one) and
// the certificate store (only the store named "default" is used). Plain values.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/crd/crd_object.h"
#include "controlplane/crd/crd_reader.h"
#include "controlplane/crd/route_tls.h"
#include "controlplane/model/object_meta.h"

namespace portico::controlplane::crd {

struct TlsOptionSpec {
  std::string min_version;  // "VersionTLS10".."VersionTLS13"; "" = VersionTLS12
  std::string max_version;
  std::vector<std::string> cipher_suites;      // Go names, TLS <= 1.2
  std::vector<std::string> curve_preferences;  // Go or RFC names
  std::vector<std::string> client_auth_secret_names;
  std::string client_auth_type;  // "" = NoClientCert
  bool sni_strict = false;
  std::vector<std::string> alpn_protocols;
  bool disable_session_tickets = false;
};

struct TlsOption {
  ObjectMeta meta;
  CrdInfo crd;
  TlsOptionSpec spec;
};

struct TlsStoreSpec {
  std::vector<std::string> certificate_secret_names;
  std::string default_certificate_secret_name;
  std::optional<std::string> default_generated_cert_resolver;
  std::optional<CertDomain> default_generated_cert_domain;
};

struct TlsStore {
  ObjectMeta meta;
  CrdInfo crd;
  TlsStoreSpec spec;
};

// The values the TLS fields accept, shared with ServersTransport.
inline constexpr std::array<std::string_view, 4> kTlsVersions = {"VersionTLS10", "VersionTLS11",
                                                                 "VersionTLS12", "VersionTLS13"};
inline constexpr std::array<std::string_view, 19> kCipherSuites = {
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
};

// "" when max is unset or not below min.
std::string CheckTlsVersionOrder(const std::string& min_version, const std::string& max_version);

void ReadTlsOptionSpec(CrdReader& spec, TlsOptionSpec* out);
void ReadTlsStoreSpec(CrdReader& spec, TlsStoreSpec* out);
std::string DecodeCrd(const JsonField& object, TlsOption* out);
std::string DecodeCrd(const JsonField& object, TlsStore* out);

}  // namespace portico::controlplane::crd
