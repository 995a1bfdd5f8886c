// UpstreamTlsContext: the client side of TLS to backends, one per
// ServersTransport (Traefik's serverName, insecureSkipVerify, rootCAs,
// client certificates, peerCertURI, versions and TLS 1.2 suites). It holds
// one SSL_CTX, built off the worker loops while a config is built (the CA
// bundle and the system trust store are read then, never during a
// handshake), and hands out one SSL per upstream connection. Verification
// is on unless the transport skips it: the chain against rootCAs (or the
// system trust store), the name (serverName, else the Host sent upstream)
// against the certificate's DNS or IP SANs, and peerCertURI against its
// URI SANs. Immutable after Create: shared by every worker, thread-safe.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dataplane/tls/openssl_handles.h"
#include "dataplane/tls/tls_server_context.h"
#include "dataplane/tls/tls_session_cache.h"

namespace portico::dataplane {

// Where the sessions of one upstream connection go: `cache` under `key`
// (the connection's pool key). Owned by the connection, so it outlives the
// SSL it is attached to.
struct TlsSessionTarget {
  TlsSessionCache* cache = nullptr;
  std::string key;
};

struct UpstreamTlsOptions {
  std::string name;              // the ServersTransport's "<namespace>/<name>"; "" the default
  std::string server_name;       // SNI and the name verified; "": the Host sent upstream
  bool verify = true;            // false: insecureSkipVerify
  std::string root_cas_pem;      // "": the system trust store (SSL_CERT_FILE honoured)
  std::string client_chain_pem;  // set: presented when the backend asks (mutual TLS)
  std::string client_key_pem;    // SECRET
  std::string peer_cert_uri;     // set: a URI SAN the backend's certificate must hold
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
  std::string tls12_ciphers = kDefaultTls12Ciphers;  // OpenSSL cipher-list syntax
};

class UpstreamTlsContext : public std::enable_shared_from_this<UpstreamTlsContext> {
 public:
  // Null with *error set when the options cannot be applied (a CA bundle or
  // client certificate that does not parse, a key that does not match, an
  // unknown cipher). Errors never contain key material.
  static std::shared_ptr<const UpstreamTlsContext> Create(const UpstreamTlsOptions& options,
                                                          std::string* error);

  const std::string& name() const { return name_; }
  // Unique per context ever created in this process: pooled connections
  // are reused only under the very settings that made them.
  uint64_t id() const { return id_; }
  // The name a connection to a request with Host `host` presents and
  // verifies: serverName when set, else the Host without its port, else
  // (a Host with no name in it, "[]") the endpoint's address.
  std::string_view PeerName(std::string_view host, std::string_view endpoint_address = {}) const;
  // A client SSL for `peer_name` (from PeerName), in connect state: SNI
  // (DNS names only) and the hostname or IP check set. Null if OpenSSL
  // fails, or if verification is on and `peer_name` is empty. With
  // `sessions`, it offers the session kept there (resumption) and keeps
  // the ones the backend sends.
  SslPtr NewSsl(std::string_view peer_name, TlsSessionTarget* sessions = nullptr) const;
  // After the handshake: "" when the peer passes the checks OpenSSL does not
  // make itself (peerCertURI); else why not.
  std::string CheckPeer(SSL* ssl) const;
  // Why a handshake failed, for the log: the verification error when there
  // is one ("certificate verify failed: unable to get local issuer
  // certificate"), else the reason of `failure` (TlsConnection::failure()).
  // Sets *untrusted when it was this side's verification that refused the
  // backend.
  std::string HandshakeError(SSL* ssl, unsigned long failure, bool* untrusted = nullptr) const;
  // After a TLS failure on a connection whose handshake looked complete
  // here (TLS 1.3 finishes the client's side first): if `failure` is the
  // backend aborting its side of the handshake with an alert (certificate
  // required, bad or unknown certificate, access denied, ...), so that its
  // HTTP server never read the request, why; else "".
  static std::string PeerAbortedHandshake(unsigned long failure);
  // Before an SSL whose handshake completed is freed: OpenSSL marks the
  // session of an SSL freed without a close_notify exchange as not
  // resumable, and with it the copy the worker's TlsSessionCache holds.
  // Upstream connections end without one as a rule (idle timeout, the
  // backend closing), which says nothing against the session.
  static void KeepSessionResumable(SSL* ssl);
  // Whether the backend asked for a client certificate that this context
  // does not have: a TLS 1.3 backend that requires one closes the
  // connection after the handshake, often before its alert can be read.
  static bool MissingClientCertificate(SSL* ssl);

 private:
  UpstreamTlsContext() = default;

  std::string name_;
  uint64_t id_ = 0;
  std::string server_name_;
  bool verify_ = true;
  std::string peer_cert_uri_;
  SslCtxPtr ctx_;
};

// The system trust store file as it is now ("path size mtime"; "path" alone
// when it cannot be read): a context that loaded it is built again once
// this changes, so an updated CA bundle is used without a restart.
std::string SystemTrustStoreStamp();

// Sets the name a client SSL sends as SNI and verifies (an IP literal is
// checked against IP SANs and not sent as SNI). False if OpenSSL refuses it
// or the name is empty.
bool SetPeerName(SSL* ssl, std::string_view name);

}  // namespace portico::dataplane
