// Reads a TLS ClientHello from the first bytes of a connection, before any
// TLS library sees them: the server name (SNI) for certificate selection and
// a later SNI router, and what the client can verify (signature schemes,
// cipher suites, TLS 1.3) to choose between its ECDSA and RSA certificates.
// A pure parser over bytes; no allocation beyond the output's strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portico::dataplane {

struct ClientHello {
  std::string server_name;  // lowercase, no trailing dot; "" when absent
  std::vector<std::string> alpn;
  std::vector<uint16_t> signature_schemes;  // signature_algorithms, in the client's order
  std::vector<uint16_t> cipher_suites;
  bool offers_tls13 = false;  // supported_versions lists TLS 1.3
};

enum class HelloStatus {
  kComplete,    // *out is filled
  kIncomplete,  // a prefix of a well-formed ClientHello: wait for more bytes
  kInvalid,     // not a ClientHello, or a malformed one: *why says where
};

// The largest ClientHello accepted (handshake message bytes); larger ones
// are refused as kInvalid so that a client cannot make the proxy buffer more.
inline constexpr size_t kMaxClientHelloBytes = 16 * 1024;

// Parses the TLS records at the start of `data` (the first bytes a client
// sent). The message may span several records.
HelloStatus ParseClientHello(std::string_view data, ClientHello* out, std::string* why);

// True when the first byte of a connection starts a TLS handshake record.
inline bool LooksLikeTls(char first_byte) { return static_cast<uint8_t>(first_byte) == 0x16; }

}  // namespace portico::dataplane
