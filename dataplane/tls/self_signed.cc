#include "dataplane/tls/self_signed.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <ctime>

namespace portico::dataplane {
namespace {

EvpPkeyPtr GenerateP256Key() {
  std::unique_ptr<EVP_PKEY_CTX, OpenSslFree<&EVP_PKEY_CTX_free>> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &key) != 1) {
    return nullptr;
  }
  return EvpPkeyPtr(key);
}

bool SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  bytes[0] &= 0x7f;  // positive
  std::unique_ptr<BIGNUM, OpenSslFree<&BN_free>> bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  return bn != nullptr && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

}  // namespace

std::unique_ptr<ServingCertificate> GenerateSelfSigned(const std::string& common_name,
                                                       int valid_days) {
  auto out = std::make_unique<ServingCertificate>();
  out->name = "generated default";
  out->key = GenerateP256Key();
  out->leaf.reset(X509_new());
  out->chain.reset(sk_X509_new_null());
  X509* cert = out->leaf.get();
  if (out->key == nullptr || cert == nullptr || out->chain == nullptr) return nullptr;
  int64_t now = static_cast<int64_t>(time(nullptr));
  X509_NAME* subject = X509_get_subject_name(cert);
  bool ok = X509_set_version(cert, 2) == 1 && SetRandomSerial(cert) &&
            X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * valid_days) != nullptr &&
            X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                       -1, -1, 0) == 1 &&
            X509_set_issuer_name(cert, subject) == 1 &&
            X509_set_pubkey(cert, out->key.get()) == 1 &&
            X509_sign(cert, out->key.get(), EVP_sha256()) > 0;
  ERR_clear_error();
  if (!ok) return nullptr;
  out->kind = KeyKind::kEcdsaP256;
  out->not_before = now - 3600;
  out->not_after = now + 86400L * valid_days;
  return out;
}

std::shared_ptr<const ServingCertificate> GeneratedDefaultCertificate() {
  static const std::shared_ptr<const ServingCertificate> generated =
      GenerateSelfSigned("PORTICO DEFAULT CERT", 365);
  return generated;
}

}  // namespace portico::dataplane
