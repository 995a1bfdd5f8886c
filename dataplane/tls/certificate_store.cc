#include "dataplane/tls/certificate_store.h"

#include <algorithm>

namespace portico::dataplane {
namespace {

bool IsEcdsa(KeyKind kind) { return kind != KeyKind::kRsa; }

uint16_t Tls13Scheme(KeyKind kind) {
  switch (kind) {
    case KeyKind::kEcdsaP256:
      return 0x0403;  // ecdsa_secp256r1_sha256
    case KeyKind::kEcdsaP384:
      return 0x0503;
    case KeyKind::kEcdsaP521:
      return 0x0603;
    case KeyKind::kRsa:
      break;
  }
  return 0;
}

bool IsEcdheEcdsaSuite(uint16_t suite) {
  switch (suite) {
    case 0xC009:
    case 0xC00A:
    case 0xC023:
    case 0xC024:  // AES-CBC
    case 0xC02B:
    case 0xC02C:  // AES-GCM
    case 0xCCA9:  // ChaCha20-Poly1305
    case 0xC0AC:
    case 0xC0AD:
    case 0xC0AE:
    case 0xC0AF:  // AES-CCM
      return true;
    default:
      return false;
  }
}

}  // namespace

bool ClientAccepts(const ClientHello& hello, KeyKind kind) {
  if (!IsEcdsa(kind)) return true;
  const std::vector<uint16_t>& schemes = hello.signature_schemes;
  if (hello.offers_tls13) {
    return std::find(schemes.begin(), schemes.end(), Tls13Scheme(kind)) != schemes.end();
  }
  // TLS 1.2: no signature_algorithms means the client's defaults, which
  // include ECDSA when it offers ECDSA suites (RFC 5246 7.4.1.4.1).
  bool ecdsa_scheme = schemes.empty() || std::any_of(schemes.begin(), schemes.end(),
                                                     [](uint16_t s) { return (s & 0xff) == 3; });
  return ecdsa_scheme &&
         std::any_of(hello.cipher_suites.begin(), hello.cipher_suites.end(), IsEcdheEcdsaSuite);
}

CertificateStore::CertificateStore(
    std::vector<std::shared_ptr<const ServingCertificate>> certificates,
    std::shared_ptr<const ServingCertificate> default_certificate)
    : certificates_(std::move(certificates)), default_(std::move(default_certificate)) {
  for (const auto& cert : certificates_) {
    for (const std::string& name : cert->dns_names) Add(name, cert.get());
  }
}

void CertificateStore::Add(const std::string& name, const ServingCertificate* cert) {
  ByKeyType* slot = nullptr;
  if (name.starts_with("*.")) {
    slot = &wildcard_[name.substr(2)];
  } else {
    slot = &exact_[name];
  }
  const ServingCertificate*& place = IsEcdsa(cert->kind) ? slot->ecdsa : slot->rsa;
  if (place == nullptr) place = cert;
}

const ServingCertificate* CertificateStore::Pick(const ByKeyType& candidates,
                                                 const ClientHello& hello) {
  if (candidates.ecdsa != nullptr &&
      (candidates.rsa == nullptr || ClientAccepts(hello, candidates.ecdsa->kind))) {
    return candidates.ecdsa;
  }
  return candidates.rsa;
}

const ServingCertificate& CertificateStore::Select(const ClientHello& hello) const {
  const ServingCertificate* found = Find(hello);
  return found != nullptr ? *found : *default_;
}

const ServingCertificate* CertificateStore::Find(const ClientHello& hello) const {
  const std::string& sni = hello.server_name;
  if (!sni.empty()) {
    if (auto it = exact_.find(sni); it != exact_.end()) return Pick(it->second, hello);
    size_t dot = sni.find('.');
    if (dot != std::string::npos && dot > 0) {
      // Heterogeneous lookup would avoid this copy; names are short.
      if (auto it = wildcard_.find(sni.substr(dot + 1)); it != wildcard_.end()) {
        return Pick(it->second, hello);
      }
    }
  }
  return nullptr;
}

}  // namespace portico::dataplane
