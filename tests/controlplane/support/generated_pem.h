// Test support: the proxy's generated self-signed certificate (made in
// memory at run time, never committed) as PEM text indented for a YAML
// block scalar under `stringData:` ("      " before each line), so Secrets
// in test manifests can hold a CA bundle or a certificate and its key.
#pragma once

#include <string>

namespace portico::controlplane::testing {

std::string GeneratedCertificateBlock();
std::string GeneratedKeyBlock();  // matches GeneratedCertificateBlock()

}  // namespace portico::controlplane::testing
