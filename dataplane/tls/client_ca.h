// Client certificate authentication (Traefik's clientAuth): the five
// clientAuthType values and the CA bundle client certificates are verified
// against. ParseCaBundle is used by the controller (checking a Secret before
// it goes into a snapshot) and the proxy (building the SSL_CTX's trust
// store). Pure functions; CA certificates are public material.
#pragma once

#include <string>
#include <string_view>

#include "dataplane/tls/openssl_handles.h"

namespace portico::dataplane {

enum class ClientAuth {
  kNone,              // NoClientCert: no certificate is requested
  kRequest,           // RequestClientCert: asked for, not required, not verified
  kRequireAny,        // RequireAnyClientCert: required, not verified
  kVerifyIfGiven,     // VerifyClientCertIfGiven: verified against the CAs when sent
  kRequireAndVerify,  // RequireAndVerifyClientCert: required and verified
};

// Whether `auth` checks the client certificate against the CA bundle.
inline bool Verifies(ClientAuth auth) {
  return auth == ClientAuth::kVerifyIfGiven || auth == ClientAuth::kRequireAndVerify;
}

// Parses every CERTIFICATE block of `pem` (other PEM blocks are skipped).
// Returns "" or why not: no certificate at all, or a block that does not
// parse.
std::string ParseCaBundle(std::string_view pem, X509ChainPtr* out);

}  // namespace portico::dataplane
