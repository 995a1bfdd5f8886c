// ChannelPem: the PEM material of the mutually authenticated controller ⇄
// proxy channel (--grpc-cert, --grpc-key, --grpc-ca on both binaries), read
// from files and checked before gRPC sees it, so a wrong file gives a precise
// error at start-up instead of a channel that never connects. The key is
// secret: never log it.
#pragma once

#include <string>

namespace portico::dataplane {

struct ChannelPem {
  std::string certificate_chain;  // this side's certificate (and chain)
  std::string private_key;
  std::string ca;  // the peer's certificate must chain to one of these
};

// Reads and checks the three files: the certificate and key parse and
// belong together, the certificate is inside its validity period, and the
// CA file holds at least one certificate. Returns "" or an error naming the
// flag and the file.
std::string LoadChannelPem(const std::string& cert_path, const std::string& key_path,
                           const std::string& ca_path, ChannelPem* out);

}  // namespace portico::dataplane
