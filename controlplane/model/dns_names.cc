#include "controlplane/model/dns_names.h"

#include <arpa/inet.h>

#include <cctype>

namespace portico::controlplane {

bool IsDnsLabel(std::string_view text) {
  if (text.empty() || text.size() > 63) return false;
  for (char c : text) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return text.front() != '-' && text.back() != '-';
}

bool IsDnsSubdomain(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    if (!IsDnsLabel(text.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool ParseIpLiteral(std::string_view text, int family, std::string* canonical) {
  if (text.size() > 45) return false;
  std::string copy(text);
  unsigned char bytes[16];
  int af = family == 4 ? AF_INET : AF_INET6;
  if (inet_pton(af, copy.c_str(), bytes) != 1) return false;
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(af, bytes, buf, sizeof buf) == nullptr) return false;
  *canonical = buf;
  return true;
}

std::string NormalizeIngressHost(std::string_view host, std::string* out) {
  std::string lower;
  lower.reserve(host.size());
  for (char c : host)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::string ignored;
  if (ParseIpLiteral(lower, 4, &ignored) || ParseIpLiteral(lower, 6, &ignored)) {
    return "must be a DNS name, not an IP address";
  }
  if (lower.find(':') != std::string::npos) return "must not contain a port";
  std::string_view name = lower;
  if (name.substr(0, 2) == "*.") name.remove_prefix(2);
  if (!IsDnsSubdomain(name)) {
    return "must be a DNS name (lowercase letters, digits, '-' and '.') optionally prefixed by "
           "\"*.\"";
  }
  *out = std::move(lower);
  return "";
}

}  // namespace portico::controlplane
