// TlsServerContext: how a proxy terminates TLS for one set of options (one
// SSL_CTX) and the certificates it serves. Built off the worker loops with a
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
};

class TlsServerContext {
 public:
  // Null with *error set when OpenSSL refuses an option (e.g. an unknown
  // cipher or group name).
  static std::shared_ptr<const TlsServerContext> Create(
      const TlsServerOptions& options, std::shared_ptr<const CertificateStore> certificates,
      TicketKeyRing* tickets, std::string* error);

  // A server-side SSL for a connection that sent `hello`, serving the
  // certificate the store selects for it. Null only if OpenSSL fails.
  SslPtr NewSsl(const ClientHello& hello) const;

  const CertificateStore& certificates() const { return *certificates_; }

 private:
  TlsServerContext() = default;

  SslCtxPtr ctx_;
  std::shared_ptr<const CertificateStore> certificates_;
  std::string alpn_wire_;  // length-prefixed protocols, read by the ALPN callback
};

}  // namespace portico::dataplane
