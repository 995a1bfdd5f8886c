#include "dataplane/l4/proxy_protocol.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "dataplane/net/ip_text.h"

namespace portico::dataplane {
namespace {

constexpr char kV2Signature[] = "\r\n\r\n\0\r\nQUIT\n";  // 12 bytes

uint16_t PortOf(const sockaddr_storage& a) {
  return a.ss_family == AF_INET6 ? ntohs(reinterpret_cast<const sockaddr_in6*>(&a)->sin6_port)
                                 : ntohs(reinterpret_cast<const sockaddr_in*>(&a)->sin_port);
}

void AppendPort(std::string* out, uint16_t port) {
  out->push_back(static_cast<char>(port >> 8));
  out->push_back(static_cast<char>(port & 0xff));
}

}  // namespace

std::string ProxyProtocolHeader(int version, const sockaddr_storage& source,
                                const sockaddr_storage& destination) {
  bool known = source.ss_family == destination.ss_family &&
               (source.ss_family == AF_INET || source.ss_family == AF_INET6);
  bool v6 = source.ss_family == AF_INET6;
  if (version == 1) {
    if (!known) return "PROXY UNKNOWN\r\n";
    return absl::StrCat("PROXY ", v6 ? "TCP6 " : "TCP4 ", IpText(source), " ", IpText(destination),
                        " ", PortOf(source), " ", PortOf(destination), "\r\n");
  }
  std::string out(kV2Signature, 12);
  if (!known) {
    out.push_back(0x20);  // version 2, LOCAL
    out.push_back(0x00);  // UNSPEC
    AppendPort(&out, 0);
    return out;
  }
  out.push_back(0x21);              // version 2, PROXY
  out.push_back(v6 ? 0x21 : 0x11);  // TCP over IPv6 / IPv4
  AppendPort(&out, v6 ? 36 : 12);   // address block length
  auto append = [&](const sockaddr_storage& a) {
    if (v6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a);
      out.append(reinterpret_cast<const char*>(&in6->sin6_addr), 16);
    } else {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&a);
      out.append(reinterpret_cast<const char*>(&in->sin_addr), 4);
    }
  };
  append(source);
  append(destination);
  AppendPort(&out, PortOf(source));
  AppendPort(&out, PortOf(destination));
  return out;
}

}  // namespace portico::dataplane
