// TlsServerContext: how a proxy terminates TLS for one set of options (one
// SSL_CTX, one TLSOption) and the certificates it serves. Built off the worker loops with a
// RuntimeConfig and shared, immutable, by every worker; NewSsl is
// thread-safe. Session tickets use a TicketKeyRing shared by every context
// of the process, so tickets outlive snapshots; there is no server-side
// session cache and no 0-RTT.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/tls/certificate_store.h"
#include "dataplane/tls/client_ca.h"
#include "dataplane/tls/client_hello.h"
#include "dataplane/tls/openssl_handles.h"
#include "dataplane/tls/ticket_keys.h"

namespace portico::dataplane {

// TLS 1.2 suites: ECDHE with AEAD only (TLS 1.3 suites are OpenSSL's).
inline constexpr char kDefaultTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

struct TlsServerOptions {
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
  std::string tls12_ciphers = kDefaultTls12Ciphers;  // OpenSSL cipher-list syntax
  std::string groups = "X25519:P-256:P-384";         // key exchange, in preference order
  std::vector<std::string> alpn = {"http/1.1"};      // server preference order
  bool session_tickets = true;
  // Traefik's TLSOption name ("default", "<namespace>/<name>"): sessions
  // resume only under the option that made them.
  std::string name = "default";
  // No SNI, or one no certificate names: the handshake is refused with an
  // unrecognized_name alert instead of serving the default certificate.
  bool sni_strict = false;
  ClientAuth client_auth = ClientAuth::kNone;
  std::string client_ca_pem;  // CA bundle; required when Verifies(client_auth)
};

class TlsServerContext {
 public:
  // Null with *error set when OpenSSL refuses an option (e.g. an unknown
  // cipher or group name).
  static std::shared_ptr<const TlsServerContext> Create(
      const TlsServerOptions& options, std::shared_ptr<const CertificateStore> certificates,
      TicketKeyRing* tickets, std::string* error);

  // A server-side SSL for a connection that sent `hello`, serving the
  // certificate the store selects for it. Under sniStrict a hello without a
  // known name gets an SSL without a certificate whose handshake fails with
  // unrecognized_name. Null only if OpenSSL fails.
  SslPtr NewSsl(const ClientHello& hello) const;

  const CertificateStore& certificates() const { return *certificates_; }
  const std::string& name() const { return name_; }
  bool sni_strict() const { return sni_strict_; }

 private:
  TlsServerContext() = default;

  SslCtxPtr ctx_;
  std::shared_ptr<const CertificateStore> certificates_;
  std::string alpn_wire_;  // length-prefixed protocols, read by the ALPN callback
  std::string name_;
  bool sni_strict_ = false;
};

}  // namespace portico::dataplane
