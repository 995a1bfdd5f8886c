#include "dataplane/tls/serving_certificate.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ctime>

namespace portico::dataplane {
namespace {

std::string Lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

BioPtr MemoryBio(std::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Reads every certificate of `pem`; the first is the leaf.
std::string ReadChain(std::string_view pem, ServingCertificate* out) {
  BioPtr bio = MemoryBio(pem);
  out->chain.reset(sk_X509_new_null());
  for (int index = 0;; ++index) {
    ERR_clear_error();
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) {
      unsigned long err = ERR_peek_last_error();
      bool end = ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
      ERR_clear_error();
      if (end && index > 0) return "";
      if (end) return "tls.crt: no PEM certificate found";
      return "tls.crt: certificate " + std::to_string(index + 1) +
             " of the chain is not a parsable PEM certificate";
    }
    if (index == 0) {
      out->leaf = std::move(cert);
    } else {
      sk_X509_push(out->chain.get(), cert.release());
    }
  }
}

std::string ClassifyKey(EVP_PKEY* key, KeyKind* kind) {
  int bits = EVP_PKEY_bits(key);
  switch (EVP_PKEY_id(key)) {
    case EVP_PKEY_EC:
      if (bits == 256)
        *kind = KeyKind::kEcdsaP256;
      else if (bits == 384)
        *kind = KeyKind::kEcdsaP384;
      else if (bits == 521)
        *kind = KeyKind::kEcdsaP521;
      else
        return "tls.key: ECDSA key of " + std::to_string(bits) + " bits; use P-256, P-384 or P-521";
      return "";
    case EVP_PKEY_RSA:
      if (bits < 2048)
        return "tls.key: RSA key of " + std::to_string(bits) + " bits; at least 2048 needed";
      *kind = KeyKind::kRsa;
      return "";
    default:
      return "tls.key: unsupported key type; use ECDSA or RSA";
  }
}

void ReadNames(X509* leaf, std::vector<std::string>* names) {
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    // The count is an int in OpenSSL, a size_t in BoringSSL.
    for (size_t i = 0; i < static_cast<size_t>(sk_GENERAL_NAME_num(sans)); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, static_cast<int>(i));
      if (name->type != GEN_DNS) continue;
      const ASN1_STRING* dns = name->d.dNSName;
      names->push_back(
          Lowercase(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                     static_cast<size_t>(ASN1_STRING_length(dns)))));
    }
    GENERAL_NAMES_free(sans);
  }
  if (!names->empty()) return;
  X509_NAME* subject = X509_get_subject_name(leaf);
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return;
  const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  names->push_back(
      Lowercase(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
                                 static_cast<size_t>(ASN1_STRING_length(cn)))));
}

// Seconds since the epoch of an ASN.1 time, through ASN1_TIME_diff (shared
// by OpenSSL and BoringSSL).
bool ToUnix(const ASN1_TIME* time, int64_t* out) {
  std::unique_ptr<ASN1_TIME, OpenSslFree<&ASN1_TIME_free>> epoch(ASN1_TIME_set(nullptr, 0));
  int days = 0, seconds = 0;
  if (epoch == nullptr || ASN1_TIME_diff(&days, &seconds, epoch.get(), time) != 1) return false;
  *out = static_cast<int64_t>(days) * 86400 + seconds;
  return true;
}

}  // namespace

std::string ParseServingCertificate(std::string_view chain_pem, std::string_view key_pem,
                                    ServingCertificate* out) {
  if (std::string e = ReadChain(chain_pem, out); !e.empty()) return e;
  BioPtr bio = MemoryBio(key_pem);
  out->key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (out->key == nullptr) return "tls.key: not a parsable, unencrypted PEM private key";
  if (std::string e = ClassifyKey(out->key.get(), &out->kind); !e.empty()) return e;
  if (X509_check_private_key(out->leaf.get(), out->key.get()) != 1) {
    ERR_clear_error();
    return "tls.key: the private key does not match the certificate in tls.crt";
  }
  if (!ToUnix(X509_get0_notBefore(out->leaf.get()), &out->not_before) ||
      !ToUnix(X509_get0_notAfter(out->leaf.get()), &out->not_after)) {
    return "tls.crt: the certificate's validity period is not readable";
  }
  ReadNames(out->leaf.get(), &out->dns_names);
  if (out->dns_names.empty()) return "tls.crt: the certificate names no DNS name (SAN or CN)";
  return "";
}

std::string CheckValidityPeriod(const ServingCertificate& cert, int64_t now_unix) {
  if (now_unix > cert.not_after) return "expired at " + FormatUnixTime(cert.not_after);
  if (now_unix < cert.not_before) return "not valid before " + FormatUnixTime(cert.not_before);
  return "";
}

std::string FormatUnixTime(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace portico::dataplane
