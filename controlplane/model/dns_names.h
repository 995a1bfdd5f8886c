// Kubernetes name rules (RFC 1123 labels and subdomains) and Ingress host
// validation. Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace portico::controlplane {

// [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 bytes: namespaces.
bool IsDnsLabel(std::string_view text);
// Dot-separated DNS labels, at most 253 bytes: object names.
bool IsDnsSubdomain(std::string_view text);

// Validates an Ingress rule host and returns it lowercased in *out: a DNS
// name or "*." followed by one, never an IP address or a port. Returns "" or
// the reason it is refused.
std::string NormalizeIngressHost(std::string_view host, std::string* out);

// True if `text` is an IP literal of that family (4 or 6). *canonical gets
// the RFC 5952 text form ("2001:db8::1").
bool ParseIpLiteral(std::string_view text, int family, std::string* canonical);

}  // namespace portico::controlplane
