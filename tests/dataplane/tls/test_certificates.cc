#include "tests/dataplane/tls/test_certificates.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include "dataplane/tls/openssl_compat.h"

namespace portico::dataplane::testing {
namespace {

EvpPkeyPtr GenerateKey(KeyKind kind) {
  int id = kind == KeyKind::kRsa ? EVP_PKEY_RSA : EVP_PKEY_EC;
  std::unique_ptr<EVP_PKEY_CTX, OpenSslFree<&EVP_PKEY_CTX_free>> ctx(
      EVP_PKEY_CTX_new_id(id, nullptr));
  REQUIRE(EVP_PKEY_keygen_init(ctx.get()) == 1);
  if (kind == KeyKind::kRsa) {
    REQUIRE(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048) == 1);
  } else {
    int nid = kind == KeyKind::kEcdsaP256   ? NID_X9_62_prime256v1
              : kind == KeyKind::kEcdsaP384 ? NID_secp384r1
                                            : NID_secp521r1;
    REQUIRE(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), nid) == 1);
  }
  EVP_PKEY* key = nullptr;
  REQUIRE(EVP_PKEY_keygen(ctx.get(), &key) == 1);
  return EvpPkeyPtr(key);
}

std::string ToPem(int (*write)(BIO*, void*), void* object) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(write(bio.get(), object) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value);
  REQUIRE(ext != nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

void AddSans(X509* cert, const std::vector<std::string>& names,
             const std::vector<std::string>& uris) {
  std::string value;
  for (const std::string& name : names) value += (value.empty() ? "DNS:" : ",DNS:") + name;
  for (const std::string& uri : uris) value += (value.empty() ? "URI:" : ",URI:") + uri;
  if (value.empty()) return;
  AddExtension(cert, cert, NID_subject_alt_name, value.c_str());
}

struct Issuer {
  X509Ptr cert;
  EvpPkeyPtr key;
};

Issuer ParseIssuer(const PemPair& ca) {
  BioPtr cert_bio(BIO_new_mem_buf(ca.chain.data(), static_cast<int>(ca.chain.size())));
  BioPtr key_bio(BIO_new_mem_buf(ca.key.data(), static_cast<int>(ca.key.size())));
  Issuer issuer{X509Ptr(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)),
                EvpPkeyPtr(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr))};
  REQUIRE(issuer.cert != nullptr);
  REQUIRE(issuer.key != nullptr);
  return issuer;
}

PemPair MakePem(const CertificateSpec& spec, const Issuer* issuer) {
  EvpPkeyPtr key = GenerateKey(spec.kind);
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(spec.valid_from_offset_s));
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(spec.valid_until_offset_s));
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(),
                       issuer != nullptr ? X509_get_subject_name(issuer->cert.get()) : subject);
  X509_set_pubkey(cert.get(), key.get());
  AddSans(cert.get(), spec.dns_names, spec.uris);
  if (spec.is_ca) AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  REQUIRE(X509_sign(cert.get(), issuer != nullptr ? issuer->key.get() : key.get(), EVP_sha256()) >
          0);
  PemPair pem;
  pem.chain = ToPem([](BIO* b, void* x) { return PEM_write_bio_X509(b, static_cast<X509*>(x)); },
                    cert.get());
  pem.key = ToPem(
      [](BIO* b, void* k) {
        return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr,
                                        nullptr);
      },
      key.get());
  return pem;
}

}  // namespace

PemPair MakeCertificatePem(const CertificateSpec& spec) { return MakePem(spec, nullptr); }

PemPair MakeCertificatePem(const CertificateSpec& spec, const PemPair& ca) {
  Issuer issuer = ParseIssuer(ca);
  return MakePem(spec, &issuer);
}

std::shared_ptr<const ServingCertificate> MakeServingCertificate(const CertificateSpec& spec,
                                                                 const std::string& name) {
  PemPair pem = MakeCertificatePem(spec);
  auto cert = std::make_shared<ServingCertificate>();
  REQUIRE(ParseServingCertificate(pem.chain, pem.key, cert.get()) == "");
  cert->name = name;
  return cert;
}

TestClient::TestClient(const Options& options) : ctx_(SSL_CTX_new(TLS_client_method())) {
  SSL_CTX_set_min_proto_version(ctx_.get(), options.min_version);
  SSL_CTX_set_max_proto_version(ctx_.get(), options.max_version);
  if (options.min_version < TLS1_2_VERSION) compat::AllowLegacyVersions(ctx_.get());
  if (!options.sigalgs.empty()) {
    REQUIRE(SSL_CTX_set1_sigalgs_list(ctx_.get(), options.sigalgs.c_str()) == 1);
  }
  if (!options.tls12_ciphers.empty()) {
    REQUIRE(SSL_CTX_set_cipher_list(ctx_.get(), options.tls12_ciphers.c_str()) == 1);
  }
  SSL_CTX_set_session_cache_mode(ctx_.get(),
                                 SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx_.get(), &TestClient::OnNewSession);
  ssl_.reset(SSL_new(ctx_.get()));
  SSL_set_app_data(ssl_.get(), this);
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl_.get(), in_, out_);
  SSL_set_connect_state(ssl_.get());
  if (!options.server_name.empty()) {
    SSL_set_tlsext_host_name(ssl_.get(), options.server_name.c_str());
  }
  std::string wire;
  for (const std::string& p : options.alpn) wire += static_cast<char>(p.size()) + p;
  if (!wire.empty()) {
    SSL_set_alpn_protos(ssl_.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned>(wire.size()));
  }
  if (options.session != nullptr) SSL_set_session(ssl_.get(), options.session);
  if (options.client_certificate != nullptr) {
    ServingCertificate parsed;
    REQUIRE(ParseServingCertificate(options.client_certificate->chain,
                                    options.client_certificate->key, &parsed) == "");
    REQUIRE(SSL_use_certificate(ssl_.get(), parsed.leaf.get()) == 1);
    REQUIRE(SSL_use_PrivateKey(ssl_.get(), parsed.key.get()) == 1);
  }
}

TestClient::~TestClient() = default;

int TestClient::OnNewSession(SSL* ssl, SSL_SESSION* session) {
  static_cast<TestClient*>(SSL_get_app_data(ssl))->session_.reset(session);
  return 1;  // the reference is kept
}

std::string TestClient::TakeOutput() {
  char* data = nullptr;
  long len = BIO_get_mem_data(out_, &data);
  std::string out(data, static_cast<size_t>(len));
  (void)BIO_reset(out_);
  return out;
}

std::string TestClient::Step(const std::string& from_server) {
  if (!from_server.empty())
    BIO_write(in_, from_server.data(), static_cast<int>(from_server.size()));
  int rc = SSL_do_handshake(ssl_.get());
  if (rc != 1 && SSL_get_error(ssl_.get(), rc) != SSL_ERROR_WANT_READ) failed_ = true;
  ERR_clear_error();
  return TakeOutput();
}

bool TestClient::done() const { return SSL_is_init_finished(ssl_.get()) == 1; }

std::string TestClient::Write(const std::string& plaintext) {
  REQUIRE(SSL_write(ssl_.get(), plaintext.data(), static_cast<int>(plaintext.size())) ==
          static_cast<int>(plaintext.size()));
  return TakeOutput();
}

std::string TestClient::Read(const std::string& from_server) {
  BIO_write(in_, from_server.data(), static_cast<int>(from_server.size()));
  std::string plaintext;
  char buf[4096];
  for (;;) {
    int n = SSL_read(ssl_.get(), buf, sizeof buf);
    if (n <= 0) break;
    plaintext.append(buf, static_cast<size_t>(n));
  }
  ERR_clear_error();
  return plaintext;
}

std::string TestClient::PeerCommonName() {
  X509Ptr peer = compat::PeerCertificate(ssl_.get());
  if (peer == nullptr) return "";
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer.get()), NID_commonName, cn, sizeof cn);
  return cn;
}

}  // namespace portico::dataplane::testing
