#include "dataplane/net/cidr_set.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace portico::dataplane {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string CidrSet::Parse(std::string_view list) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item.empty()) return "empty entry in the address list";
    std::string address(item.substr(0, item.find('/')));
    Network net;
    net.v6 = address.find(':') != std::string::npos;
    if (inet_pton(net.v6 ? AF_INET6 : AF_INET, address.c_str(), net.bytes.data()) != 1) {
      return "'" + std::string(item) + "' is not an IP address or CIDR network";
    }
    int max_prefix = net.v6 ? 128 : 32;
    net.prefix = max_prefix;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      std::string_view bits = item.substr(slash + 1);
      auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), net.prefix);
      if (ec != std::errc() || end != bits.data() + bits.size() || net.prefix < 0 ||
          net.prefix > max_prefix) {
        return "'" + std::string(item) + "': prefix length must be 0 to " +
               std::to_string(max_prefix);
      }
    }
    networks_.push_back(net);
  }
  return "";
}

bool CidrSet::Matches(const Network& net, const uint8_t* addr, bool v6) {
  if (net.v6 != v6) return false;
  int full = net.prefix / 8;
  if (std::memcmp(net.bytes.data(), addr, static_cast<size_t>(full)) != 0) return false;
  int rest = net.prefix % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (net.bytes[static_cast<size_t>(full)] & mask) == (addr[full] & mask);
}

bool CidrSet::Contains(const sockaddr* addr) const {
  const uint8_t* bytes = nullptr;
  bool v6 = false;
  if (addr->sa_family == AF_INET) {
    bytes = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(addr)->sin_addr);
  } else if (addr->sa_family == AF_INET6) {
    const auto* in6 = &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr;
    bytes = reinterpret_cast<const uint8_t*>(in6);
    v6 = true;
    if (IN6_IS_ADDR_V4MAPPED(in6)) {
      bytes += 12;
      v6 = false;
    }
  } else {
    return false;
  }
  for (const Network& net : networks_) {
    if (Matches(net, bytes, v6)) return true;
  }
  return false;
}

}  // namespace portico::dataplane
