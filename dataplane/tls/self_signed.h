// The certificate a proxy serves when nothing else matches and no default
// is configured: ECDSA P-256, self-signed, generated in memory at start-up
// (as Traefik's "TRAEFIK DEFAULT CERT"). Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "dataplane/tls/serving_certificate.h"

namespace portico::dataplane {

// A fresh self-signed certificate for `common_name`, valid from an hour ago
// for `valid_days`. Null only if OpenSSL fails (out of memory).
std::unique_ptr<ServingCertificate> GenerateSelfSigned(const std::string& common_name,
                                                       int valid_days);

// The process's generated default certificate, made on first use.
std::shared_ptr<const ServingCertificate> GeneratedDefaultCertificate();

}  // namespace portico::dataplane
