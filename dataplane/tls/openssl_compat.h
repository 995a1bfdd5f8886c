// The few calls where OpenSSL 3 and BoringSSL differ for what dataplane/tls/
// and its tests need, as typed inline functions. Everything else there is
// written against the API both libraries share, so this is the only place
// that tests OPENSSL_IS_BORINGSSL. OpenSSL 3 is the library the binaries
// use; BoringSSL builds portico_tls_boringssl and tls_tests_boringssl
// (docs/tls.md). Stateless.
#pragma once

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#ifdef OPENSSL_IS_BORINGSSL
#include <openssl/hmac.h>
#else
#include <openssl/core_names.h>
#include <openssl/params.h>
#endif

#include <cstddef>
#include <cstdint>

#include "dataplane/tls/openssl_handles.h"

// Set on the BoringSSL targets: OpenSSL's headers there (an include path in
// the wrong order) would compile but call into the wrong library.
#if defined(PORTICO_EXPECT_BORINGSSL) && !defined(OPENSSL_IS_BORINGSSL)
#error "built against OpenSSL's headers; BoringSSL's include directory must come first"
#endif

namespace portico::dataplane::compat {

// The MAC context a session-ticket key callback keys: OpenSSL 3 passes an
// EVP_MAC_CTX (its HMAC_CTX callback is deprecated), BoringSSL an HMAC_CTX.
#ifdef OPENSSL_IS_BORINGSSL
using TicketMacCtx = HMAC_CTX;
#else
using TicketMacCtx = EVP_MAC_CTX;
#endif
using TicketKeyCallback = int (*)(SSL* ssl, uint8_t* key_name, uint8_t* iv, EVP_CIPHER_CTX* cipher,
                                  TicketMacCtx* mac, int encrypt);

inline int SetTicketKeyCallback(SSL_CTX* ctx, TicketKeyCallback callback) {
#ifdef OPENSSL_IS_BORINGSSL
  return SSL_CTX_set_tlsext_ticket_key_cb(ctx, callback);
#else
  return SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, callback);
#endif
}

// Keys the ticket MAC as HMAC-SHA256 with `key`. 1 on success.
inline int InitTicketMac(TicketMacCtx* mac, const uint8_t* key, size_t key_len) {
#ifdef OPENSSL_IS_BORINGSSL
  return HMAC_Init_ex(mac, key, key_len, EVP_sha256(), nullptr);
#else
  char digest[] = "SHA256";
  // OSSL_PARAM is not const-correct; the key is only read.
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<uint8_t*>(key), key_len),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params);
#endif
}

// No TLS 1.3 early data (0-RTT) is accepted.
inline void DisableEarlyData(SSL_CTX* ctx) {
#ifdef OPENSSL_IS_BORINGSSL
  SSL_CTX_set_early_data_enabled(ctx, 0);
#else
  SSL_CTX_set_max_early_data(ctx, 0);
#endif
}

// Lets a context offer TLS 1.0 and 1.1 (tests of a server that refuses
// them): OpenSSL 3 needs security level 0; BoringSSL has no levels.
inline void AllowLegacyVersions([[maybe_unused]] SSL_CTX* ctx) {
#ifndef OPENSSL_IS_BORINGSSL
  SSL_CTX_set_security_level(ctx, 0);
#endif
}

// The peer's leaf certificate (null when it sent none), owned by the caller.
inline X509Ptr PeerCertificate(const SSL* ssl) {
#ifdef OPENSSL_IS_BORINGSSL
  return X509Ptr(SSL_get_peer_certificate(ssl));
#else
  return X509Ptr(SSL_get1_peer_certificate(ssl));
#endif
}

// The NID of the key-exchange group the handshake used (NID_X25519,
// NID_X9_62_prime256v1, ...), NID_undef when unknown. BoringSSL reports the
// TLS group code point instead.
inline int NegotiatedGroupNid(SSL* ssl) {
#ifdef OPENSSL_IS_BORINGSSL
  switch (SSL_get_curve_id(ssl)) {
    case SSL_CURVE_X25519:
      return NID_X25519;
    case SSL_CURVE_SECP256R1:
      return NID_X9_62_prime256v1;
    case SSL_CURVE_SECP384R1:
      return NID_secp384r1;
    case SSL_CURVE_SECP521R1:
      return NID_secp521r1;
    default:
      return NID_undef;
  }
#else
  return static_cast<int>(SSL_get_negotiated_group(ssl));
#endif
}

}  // namespace portico::dataplane::compat
