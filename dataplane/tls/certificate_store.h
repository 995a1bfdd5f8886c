// CertificateStore: the certificates one TLS server context serves, indexed
// by DNS name. Selection for a ClientHello: the exact server name, then the
// single-label wildcard ("*.example.com" for "a.example.com", not for
// "a.b.example.com" or "example.com"), then the default certificate. A name
// may have an ECDSA and an RSA certificate: ECDSA is served when the client
// can verify it, else RSA. Immutable once built; Select is thread-safe.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "dataplane/tls/client_hello.h"
#include "dataplane/tls/serving_certificate.h"

namespace portico::dataplane {

class CertificateStore {
 public:
  // `certificates` in precedence order: of two with the same name and key
  // type, the first is kept. `default_certificate` must not be null.
  CertificateStore(std::vector<std::shared_ptr<const ServingCertificate>> certificates,
                   std::shared_ptr<const ServingCertificate> default_certificate);

  const ServingCertificate& Select(const ClientHello& hello) const;
  // The same without the default certificate: null when no certificate
  // names the server name (or there is none), as sniStrict needs.
  const ServingCertificate* Find(const ClientHello& hello) const;

  const ServingCertificate& default_certificate() const { return *default_; }
  size_t size() const { return certificates_.size(); }

 private:
  struct ByKeyType {
    const ServingCertificate* ecdsa = nullptr;
    const ServingCertificate* rsa = nullptr;
  };
  static const ServingCertificate* Pick(const ByKeyType& candidates, const ClientHello& hello);
  void Add(const std::string& name, const ServingCertificate* cert);

  std::vector<std::shared_ptr<const ServingCertificate>> certificates_;
  std::shared_ptr<const ServingCertificate> default_;
  std::unordered_map<std::string, ByKeyType> exact_;
  std::unordered_map<std::string, ByKeyType> wildcard_;  // keyed by the suffix after "*."
};

// Whether a client that sent `hello` can verify a signature by a key of
// `kind` (TLS 1.3: the curve's signature scheme; TLS 1.2: an ECDSA scheme
// and an ECDHE_ECDSA cipher suite). RSA is assumed always acceptable.
bool ClientAccepts(const ClientHello& hello, KeyKind kind);

}  // namespace portico::dataplane
