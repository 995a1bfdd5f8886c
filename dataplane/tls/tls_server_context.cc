#include "dataplane/tls/tls_server_context.h"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstring>

#include "dataplane/tls/openssl_compat.h"

namespace portico::dataplane {
namespace {

// Marks (as its app data) an SSL whose handshake sniStrict refuses.
constexpr char kRefusedName[] = "sniStrict";

TicketKeyRing* RingOf(SSL* ssl) {
  return static_cast<TicketKeyRing*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

// Picks the ticket key: on `encrypt`, the newest with a fresh IV; else the
// one the ticket names. Returns OpenSSL's ticket-callback result: 1 use it,
// 2 use it and issue a new ticket, 0 unknown key (full handshake).
int ChooseTicketKey(SSL* ssl, unsigned char* key_name, unsigned char* iv, TicketKey* key,
                    bool encrypt) {
  TicketKeyRing* ring = RingOf(ssl);
  if (encrypt) {
    if (!ring->Current(key) || RAND_bytes(iv, 16) != 1) return -1;
    std::memcpy(key_name, key->name.data(), key->name.size());
    return 1;
  }
  bool current = false;
  if (!ring->Find(key_name, key, &current)) return 0;
  return current ? 1 : 2;
}

int TicketCallback(SSL* ssl, uint8_t* key_name, uint8_t* iv, EVP_CIPHER_CTX* cipher,
                   compat::TicketMacCtx* mac, int encrypt) {
  TicketKey key;
  int rc = ChooseTicketKey(ssl, key_name, iv, &key, encrypt != 0);
  if (rc <= 0) return rc;
  if (compat::InitTicketMac(mac, key.hmac_key.data(), key.hmac_key.size()) != 1) return -1;
  int ok = encrypt ? EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes_key.data(), iv)
                   : EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes_key.data(), iv);
  return ok == 1 ? rc : -1;
}

// The first of the server's protocols the client offers; no overlap ends the
// handshake with no_application_protocol (RFC 7301 section 3.2).
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
               unsigned int in_len, void* arg) {
  const auto* wire = static_cast<const std::string*>(arg);
  unsigned char* selected = nullptr;
  unsigned char selected_len = 0;
  if (SSL_select_next_proto(
          &selected, &selected_len, reinterpret_cast<const unsigned char*>(wire->data()),
          static_cast<unsigned int>(wire->size()), in, in_len) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  *out_len = selected_len;
  return SSL_TLSEXT_ERR_OK;
}

std::string OpenSslError(const char* what) {
  unsigned long err = ERR_get_error();
  ERR_clear_error();
  const char* reason = err != 0 ? ERR_reason_error_string(err) : nullptr;
  return std::string(what) + (reason != nullptr ? std::string(": ") + reason : "");
}

// sniStrict: a server name no certificate names ends the handshake.
int RefuseUnknownName(SSL* ssl, int* alert, void*) {
  if (SSL_get_app_data(ssl) != kRefusedName) return SSL_TLSEXT_ERR_OK;
  *alert = SSL_AD_UNRECOGNIZED_NAME;
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

// Request* and RequireAny* take any certificate: OpenSSL's verification
// still runs, this callback overrules its verdict.
int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

int VerifyMode(ClientAuth auth) {
  switch (auth) {
    case ClientAuth::kNone:
      return SSL_VERIFY_NONE;
    case ClientAuth::kRequest:
    case ClientAuth::kVerifyIfGiven:
      return SSL_VERIFY_PEER;
    case ClientAuth::kRequireAny:
    case ClientAuth::kRequireAndVerify:
      return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  return SSL_VERIFY_NONE;
}

// Trusts the CA bundle for client certificates and names its CAs in the
// CertificateRequest (as Go does), so clients pick a matching certificate.
bool ConfigureClientAuth(SSL_CTX* ctx, const TlsServerOptions& options, std::string* error) {
  if (Verifies(options.client_auth)) {
    X509ChainPtr cas;
    if (std::string e = ParseCaBundle(options.client_ca_pem, &cas); !e.empty()) {
      *error = "client CA bundle: " + e;
      return false;
    }
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    for (size_t i = 0; i < static_cast<size_t>(sk_X509_num(cas.get())); ++i) {
      X509* ca = sk_X509_value(cas.get(), static_cast<int>(i));
      X509_STORE_add_cert(store, ca);  // a duplicate is not an error worth failing for
      if (names != nullptr) sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca)));
    }
    ERR_clear_error();
    if (names != nullptr) SSL_CTX_set_client_CA_list(ctx, names);
  }
  SSL_CTX_set_verify(ctx, VerifyMode(options.client_auth),
                     Verifies(options.client_auth) ? nullptr : &AcceptAnyCertificate);
  return true;
}

bool Configure(SSL_CTX* ctx, const TlsServerOptions& options, std::string* error) {
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // Buffers go back to the allocator whenever a connection has nothing
  // buffered: an idle connection keeps only its SSL.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  // Sessions (tickets) are bound to their option: a ticket made without a
  // client certificate does not resume under an option that requires one.
  unsigned char session_context[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(options.name.data()), options.name.size(),
         session_context);
  SSL_CTX_set_session_id_context(ctx, session_context, sizeof session_context);
  compat::DisableEarlyData(ctx);
  if (SSL_CTX_set_min_proto_version(ctx, options.min_version) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, options.max_version) != 1) {
    *error = OpenSslError("TLS version range refused");
    return false;
  }
  if (!options.tls12_ciphers.empty() &&
      SSL_CTX_set_cipher_list(ctx, options.tls12_ciphers.c_str()) != 1) {
    *error = OpenSslError("TLS 1.2 cipher list refused");
    return false;
  }
  if (!options.groups.empty() && SSL_CTX_set1_curves_list(ctx, options.groups.c_str()) != 1) {
    *error = OpenSslError("curve preferences refused");
    return false;
  }
  if (!options.session_tickets) {
    // TLS 1.3 would otherwise send stateful tickets instead.
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
  }
  if (options.sni_strict) SSL_CTX_set_tlsext_servername_callback(ctx, &RefuseUnknownName);
  return ConfigureClientAuth(ctx, options, error);
}

}  // namespace

std::shared_ptr<const TlsServerContext> TlsServerContext::Create(
    const TlsServerOptions& options, std::shared_ptr<const CertificateStore> certificates,
    TicketKeyRing* tickets, std::string* error) {
  std::shared_ptr<TlsServerContext> context(new TlsServerContext());
  context->ctx_.reset(SSL_CTX_new(TLS_server_method()));
  SSL_CTX* ctx = context->ctx_.get();
  if (ctx == nullptr) {
    *error = OpenSslError("cannot create an SSL_CTX");
    return nullptr;
  }
  if (!Configure(ctx, options, error)) return nullptr;
  SSL_CTX_set_app_data(ctx, tickets);
  SSL_CTX_set_timeout(ctx, static_cast<long>(tickets->lifetime_seconds()));
  compat::SetTicketKeyCallback(ctx, &TicketCallback);
  for (const std::string& protocol : options.alpn) {
    if (protocol.empty() || protocol.size() > 255) {
      *error = "ALPN protocol names must be 1 to 255 bytes";
      return nullptr;
    }
    context->alpn_wire_.push_back(static_cast<char>(protocol.size()));
    context->alpn_wire_.append(protocol);
  }
  if (!context->alpn_wire_.empty()) {
    SSL_CTX_set_alpn_select_cb(ctx, &SelectAlpn, &context->alpn_wire_);
  }
  context->certificates_ = std::move(certificates);
  context->name_ = options.name;
  context->sni_strict_ = options.sni_strict;
  return context;
}

SslPtr TlsServerContext::NewSsl(const ClientHello& hello) const {
  const ServingCertificate* cert =
      sni_strict_ ? certificates_->Find(hello) : &certificates_->Select(hello);
  SslPtr ssl(SSL_new(ctx_.get()));
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  if (cert == nullptr) {
    // Without a certificate the handshake cannot succeed even where the
    // server-name callback does not run.
    SSL_set_app_data(ssl.get(), const_cast<char*>(kRefusedName));
  } else if (SSL_use_certificate(ssl.get(), cert->leaf.get()) != 1 ||
             SSL_use_PrivateKey(ssl.get(), cert->key.get()) != 1 ||
             SSL_set1_chain(ssl.get(), cert->chain.get()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  SSL_set_accept_state(ssl.get());
  return ssl;
}

}  // namespace portico::dataplane
