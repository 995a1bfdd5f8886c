#include "dataplane/tls/client_ca.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstring>

namespace portico::dataplane {

std::string ParseCaBundle(std::string_view pem, X509ChainPtr* out) {
  out->reset(sk_X509_new_null());
  if (*out == nullptr) return "out of memory";
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return "out of memory";
  for (int index = 0;; ++index) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) break;
    bool is_cert =
        std::strcmp(name, "CERTIFICATE") == 0 || std::strcmp(name, "X509 CERTIFICATE") == 0;
    const unsigned char* cursor = data;
    X509Ptr cert(is_cert ? d2i_X509(nullptr, &cursor, len) : nullptr);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (!is_cert) continue;
    if (cert == nullptr) {
      ERR_clear_error();
      return "PEM block " + std::to_string(index + 1) + " is not a valid X.509 certificate";
    }
    if (sk_X509_push(out->get(), cert.get()) == 0) return "out of memory";
    cert.release();
  }
  ERR_clear_error();  // the end of the input reads as a "no start line" error
  if (sk_X509_num(out->get()) == 0) return "holds no PEM certificate";
  return "";
}

}  // namespace portico::dataplane
