// The `tls` section of IngressRoute and IngressRouteTCP, and the certificate
// domain shape that TLSStore shares. Plain values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "controlplane/crd/crd_reader.h"
#include "controlplane/crd/service_ref.h"

namespace portico::controlplane::crd {

struct CertDomain {
  std::string main;
  std::vector<std::string> sans;
};

struct RouteTls {
  std::string secret_name;
  std::optional<ObjectRef> options;
  std::optional<ObjectRef> store;
  std::string cert_resolver;
  std::vector<CertDomain> domains;
  bool passthrough = false;  // IngressRouteTCP only
};

void ReadCertDomain(CrdReader& r, CertDomain* out);
// `tcp` adds `passthrough`.
void ReadRouteTls(CrdReader& r, RouteTls* out, bool tcp);

}  // namespace portico::controlplane::crd
