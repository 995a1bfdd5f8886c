#include "dataplane/tls/channel_pem.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <fstream>
#include <sstream>

#include "dataplane/tls/openssl_handles.h"
#include "dataplane/tls/serving_certificate.h"

namespace portico::dataplane {
namespace {

constexpr size_t kMaxPemBytes = 1 << 20;

std::string ReadFile(const std::string& flag, const std::string& path, std::string* out) {
  if (path.empty()) return "--" + flag + " is missing";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "--" + flag + "=" + path + ": cannot be read";
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  if (out->size() > kMaxPemBytes) return "--" + flag + "=" + path + ": larger than 1 MiB";
  if (out->find("-----BEGIN ") == std::string::npos) {
    return "--" + flag + "=" + path + ": not a PEM file";
  }
  return "";
}

int CountCertificates(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return 0;
  int count = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_free(cert);
    ++count;
  }
  BIO_free(bio);
  return count;
}

}  // namespace

std::string LoadChannelPem(const std::string& cert_path, const std::string& key_path,
                           const std::string& ca_path, ChannelPem* out) {
  ChannelPem pem;
  if (std::string e = ReadFile("grpc-cert", cert_path, &pem.certificate_chain); !e.empty()) return e;
  if (std::string e = ReadFile("grpc-key", key_path, &pem.private_key); !e.empty()) return e;
  if (std::string e = ReadFile("grpc-ca", ca_path, &pem.ca); !e.empty()) return e;
  ServingCertificate parsed;
  if (std::string e = ParseServingCertificate(pem.certificate_chain, pem.private_key, &parsed);
      !e.empty()) {
    return "--grpc-cert=" + cert_path + " with --grpc-key: " + e;
  }
  if (std::string e = CheckValidityPeriod(parsed, static_cast<int64_t>(time(nullptr)));
      !e.empty()) {
    return "--grpc-cert=" + cert_path + ": " + e;
  }
  if (CountCertificates(pem.ca) == 0) {
    return "--grpc-ca=" + ca_path + ": holds no certificate";
  }
  *out = std::move(pem);
  return "";
}

}  // namespace portico::dataplane
