#include "tests/controlplane/support/generated_pem.h"

#include <openssl/pem.h>

#include <catch2/catch.hpp>

#include "dataplane/tls/self_signed.h"

namespace portico::controlplane::testing {
namespace {

std::string Block(dataplane::BioPtr bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(len)), block;
  size_t start = 0;
  for (size_t end; (end = pem.find('\n', start)) != std::string::npos; start = end + 1) {
    block += "      " + pem.substr(start, end - start + 1);
  }
  return block;
}

}  // namespace

std::string GeneratedCertificateBlock() {
  dataplane::BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_X509(bio.get(), dataplane::GeneratedDefaultCertificate()->leaf.get()) == 1);
  return Block(std::move(bio));
}

std::string GeneratedKeyBlock() {
  dataplane::BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_PrivateKey(bio.get(), dataplane::GeneratedDefaultCertificate()->key.get(),
                                   nullptr, nullptr, 0, nullptr, nullptr) == 1);
  return Block(std::move(bio));
}

}  // namespace portico::controlplane::testing
