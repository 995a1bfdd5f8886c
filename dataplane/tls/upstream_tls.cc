#include "dataplane/tls/upstream_tls.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cstdlib>

#include "dataplane/tls/client_ca.h"

namespace portico::dataplane {
namespace {

constexpr unsigned char kAlpnHttp11[] = "\x08http/1.1";

bool IsIpLiteral(const std::string& name) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, name.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, name.c_str(), buffer) == 1;
}

// "what: OpenSSL's reason for `code`", or `what` alone.
std::string ReasonOf(const char* what, unsigned long code) {
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  return std::string(what) + (reason != nullptr ? std::string(": ") + reason : std::string());
}

std::string OpenSslReason(const char* what) {
  std::string text = ReasonOf(what, ERR_peek_last_error());
  ERR_clear_error();
  return text;
}

const char* SystemTrustStoreFile() {
  const char* file = std::getenv(X509_get_default_cert_file_env());
  return file != nullptr ? file : X509_get_default_cert_file();
}

// The CAs to trust: the transport's bundle, else the system's file
// (SSL_CERT_FILE, else OpenSSL's default), loaded now rather than looked up
// in a directory during handshakes.
std::string LoadTrust(SSL_CTX* ctx, const std::string& root_cas_pem) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  if (root_cas_pem.empty()) {
    const char* file = SystemTrustStoreFile();
    if (SSL_CTX_load_verify_locations(ctx, file, nullptr) != 1) {
      ERR_clear_error();  // no system store: every verified handshake fails, clearly
    }
    return "";
  }
  X509ChainPtr cas;
  if (std::string e = ParseCaBundle(root_cas_pem, &cas); !e.empty()) return "rootCAs: " + e;
  // int in OpenSSL, size_t in BoringSSL.
  const int count = static_cast<int>(sk_X509_num(cas.get()));
  for (int i = 0; i < count; ++i) {
    if (X509_STORE_add_cert(store, sk_X509_value(cas.get(), i)) != 1) {
      ERR_clear_error();  // a CA listed twice
    }
  }
  return "";
}

std::string LoadClientCertificate(SSL_CTX* ctx, const UpstreamTlsOptions& options) {
  BioPtr chain(BIO_new_mem_buf(options.client_chain_pem.data(),
                               static_cast<int>(options.client_chain_pem.size())));
  X509Ptr leaf(PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr));
  if (leaf == nullptr || SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
    return OpenSslReason("client certificate: tls.crt does not parse");
  }
  while (X509* extra = PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      return OpenSslReason("client certificate: intermediate refused");
    }
  }
  ERR_clear_error();  // the end of the chain reads as "no start line"
  BioPtr key_bio(BIO_new_mem_buf(options.client_key_pem.data(),
                                 static_cast<int>(options.client_key_pem.size())));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr || SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();  // never pass key details on
    return "client certificate: tls.key does not parse or does not match tls.crt";
  }
  return "";
}

// Called by OpenSSL when the backend asks for a client certificate and the
// context has none: remembered on the SSL, and none is sent.
int NoClientCertificate(SSL* ssl, X509**, EVP_PKEY**) {
  static char asked;
  SSL_set_app_data(ssl, &asked);
  return 0;
}

// The SSL's TlsSessionTarget, in an ex_data slot of our own.
int SessionTargetIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL's new-session callback: a session (TLS 1.3: a ticket, which
// arrives after the handshake) for the connection's cache. 1: we keep it.
int KeepSession(SSL* ssl, SSL_SESSION* session) {
  auto* target = static_cast<TlsSessionTarget*>(SSL_get_ex_data(ssl, SessionTargetIndex()));
  if (target == nullptr || target->cache == nullptr) return 0;
  target->cache->Put(target->key, SslSessionPtr(session));
  return 1;
}

}  // namespace

std::string SystemTrustStoreStamp() {
  const char* file = SystemTrustStoreFile();
  struct stat st;
  if (::stat(file, &st) != 0) return file;
  return std::string(file) + " " + std::to_string(st.st_size) + " " +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

void UpstreamTlsContext::KeepSessionResumable(SSL* ssl) {
  SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
}

bool UpstreamTlsContext::MissingClientCertificate(SSL* ssl) {
  return SSL_get_app_data(ssl) != nullptr;
}

bool SetPeerName(SSL* ssl, std::string_view name) {
  // No name would mean no name check: any certificate the trust store
  // vouches for would pass.
  if (name.empty()) return false;
  std::string text(name);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (IsIpLiteral(text)) return X509_VERIFY_PARAM_set1_ip_asc(param, text.c_str()) == 1;
  // As Go's crypto/tls (so Traefik): the subject's CN is never a name, and
  // a wildcard is a whole label.
  X509_VERIFY_PARAM_set_hostflags(
      param, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set_tlsext_host_name(ssl, text.c_str()) == 1 &&
         X509_VERIFY_PARAM_set1_host(param, text.data(), text.size()) == 1;
}

std::shared_ptr<const UpstreamTlsContext> UpstreamTlsContext::Create(
    const UpstreamTlsOptions& options, std::string* error) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) {
    *error = OpenSslReason("cannot create a TLS context");
    return nullptr;
  }
  SSL_CTX* c = ctx.get();
  if (SSL_CTX_set_min_proto_version(c, options.min_version) != 1 ||
      SSL_CTX_set_max_proto_version(c, options.max_version) != 1) {
    *error = OpenSslReason("TLS versions refused");
    return nullptr;
  }
  if (SSL_CTX_set_cipher_list(c, options.tls12_ciphers.c_str()) != 1) {
    *error = OpenSslReason("cipher suites refused");
    return nullptr;
  }
  SSL_CTX_set_alpn_protos(c, kAlpnHttp11, sizeof kAlpnHttp11 - 1);
  // Sessions go to the worker's TlsSessionCache (NewSsl), not OpenSSL's.
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(c, &KeepSession);
  // A backend that renegotiates could change identity mid-connection
  // (BoringSSL never renegotiates; the option is 0 there).
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_verify(c, options.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (options.verify) {
    if (std::string e = LoadTrust(c, options.root_cas_pem); !e.empty()) {
      *error = e;
      return nullptr;
    }
  }
  if (!options.client_chain_pem.empty()) {
    if (std::string e = LoadClientCertificate(c, options); !e.empty()) {
      *error = e;
      return nullptr;
    }
  } else {
    SSL_CTX_set_client_cert_cb(c, &NoClientCertificate);
  }
  std::shared_ptr<UpstreamTlsContext> context(new UpstreamTlsContext());
  static std::atomic<uint64_t> next_id{1};
  context->name_ = options.name;
  context->id_ = next_id.fetch_add(1, std::memory_order_relaxed);
  context->server_name_ = options.server_name;
  context->verify_ = options.verify;
  context->peer_cert_uri_ = options.peer_cert_uri;
  context->ctx_ = std::move(ctx);
  return context;
}

namespace {

// "name:port", "[v6]:port", "v6" or "name." → the bare name or address.
std::string_view NameOf(std::string_view host) {
  if (host.starts_with('[')) {  // [v6]:port
    size_t end = host.find(']');
    return end == std::string_view::npos ? host : host.substr(1, end - 1);
  }
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && host.find(':') == colon) host = host.substr(0, colon);
  if (host.ends_with('.')) host.remove_suffix(1);
  return host;
}

}  // namespace

std::string_view UpstreamTlsContext::PeerName(std::string_view host,
                                              std::string_view endpoint_address) const {
  if (!server_name_.empty()) return server_name_;
  std::string_view name = NameOf(host);
  return name.empty() ? NameOf(endpoint_address) : name;
}

SslPtr UpstreamTlsContext::NewSsl(std::string_view peer_name, TlsSessionTarget* sessions) const {
  SslPtr ssl(SSL_new(ctx_.get()));
  if (ssl == nullptr) return nullptr;
  SSL_set_connect_state(ssl.get());
  // With peerCertURI the URI SAN names the backend (CheckPeer), as in
  // Traefik: the chain is verified, the DNS name is not (SPIFFE
  // certificates hold none).
  bool check_name = verify_ && peer_cert_uri_.empty();
  if (check_name && !SetPeerName(ssl.get(), peer_name)) return nullptr;
  if (!check_name && !peer_name.empty() && !IsIpLiteral(std::string(peer_name))) {
    SSL_set_tlsext_host_name(ssl.get(), std::string(peer_name).c_str());
  }
  if (sessions != nullptr && sessions->cache != nullptr) {
    // The key names this context, endpoint and name: the session was made
    // (and its peer verified) under these very settings.
    if (SslSessionPtr session = sessions->cache->Take(sessions->key)) {
      SSL_set_session(ssl.get(), session.get());
    }
    SSL_set_ex_data(ssl.get(), SessionTargetIndex(), sessions);
  }
  return ssl;
}

std::string UpstreamTlsContext::CheckPeer(SSL* ssl) const {
  if (peer_cert_uri_.empty()) return "";
#if defined(OPENSSL_IS_BORINGSSL)
  X509Ptr peer(SSL_get_peer_certificate(ssl));
#else
  X509Ptr peer(SSL_get1_peer_certificate(ssl));
#endif
  if (peer == nullptr) return "peerCertURI: the backend sent no certificate";
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(peer.get(), NID_subject_alt_name, nullptr, nullptr));
  bool found = false;
  const int count = names == nullptr ? 0 : static_cast<int>(sk_GENERAL_NAME_num(names));
  for (int i = 0; i < count && !found; ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    found = std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                             static_cast<size_t>(ASN1_STRING_length(uri))) == peer_cert_uri_;
  }
  GENERAL_NAMES_free(names);
  return found ? "" : "peerCertURI: the backend's certificate has no URI SAN " + peer_cert_uri_;
}

std::string UpstreamTlsContext::HandshakeError(SSL* ssl, unsigned long failure,
                                               bool* untrusted) const {
  // Without verification OpenSSL still records what it found, but the
  // handshake did not fail for it.
  long verify = verify_ ? SSL_get_verify_result(ssl) : X509_V_OK;
  if (untrusted != nullptr) *untrusted = verify != X509_V_OK;
  if (verify != X509_V_OK) {
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
  }
  return ReasonOf("handshake failed", failure);
}

std::string UpstreamTlsContext::PeerAbortedHandshake(unsigned long failure) {
  if (failure == 0 || ERR_GET_LIB(failure) != ERR_LIB_SSL) return "";
  int reason = ERR_GET_REASON(failure);
  if (reason < SSL_AD_REASON_OFFSET) return "";
  switch (reason - SSL_AD_REASON_OFFSET) {
    case SSL_AD_HANDSHAKE_FAILURE:
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_ACCESS_DENIED:
    case SSL_AD_DECRYPT_ERROR:
    case SSL_AD_CERTIFICATE_REQUIRED:
      return ReasonOf("the backend aborted the handshake", failure);
    default:
      return "";
  }
}

}  // namespace portico::dataplane
