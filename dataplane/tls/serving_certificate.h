// ServingCertificate: a certificate chain and its private key, parsed from
// PEM (a kubernetes.io/tls Secret's tls.crt and tls.key) and checked, with
// the DNS names it is served for. Immutable once parsed; share it const
// between threads. Used by the proxy (serving) and the controller
// (validating before a certificate goes into a snapshot).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/tls/openssl_handles.h"

namespace portico::dataplane {

// The key types a server can present; ECDSA is bound to its curve because
// TLS 1.3 signature schemes name the curve.
enum class KeyKind { kEcdsaP256, kEcdsaP384, kEcdsaP521, kRsa };

struct ServingCertificate {
  std::string name;  // where it came from, for messages: "<namespace>/<secret>"
  X509Ptr leaf;
  X509ChainPtr chain;  // intermediates after the leaf, possibly empty
  EvpPkeyPtr key;
  KeyKind kind = KeyKind::kRsa;
  // Lowercase DNS names from subjectAltName (the subject CN when there are
  // none), wildcards as "*.example.com".
  std::vector<std::string> dns_names;
  int64_t not_before = 0;  // unix seconds
  int64_t not_after = 0;
};

// Parses `chain_pem` (leaf first, then intermediates) and `key_pem`, checks
// that the key matches the leaf and is ECDSA (P-256/384/521) or RSA >= 2048
// bits. Returns "" or a precise error naming tls.crt or tls.key; errors
// never contain key material.
std::string ParseServingCertificate(std::string_view chain_pem, std::string_view key_pem,
                                    ServingCertificate* out);

// "" when `now_unix` is inside the certificate's validity period, else why
// not ("expired at 2024-01-31T00:00:00Z").
std::string CheckValidityPeriod(const ServingCertificate& cert, int64_t now_unix);

// "2024-01-31T00:00:00Z".
std::string FormatUnixTime(int64_t unix_seconds);

}  // namespace portico::dataplane
