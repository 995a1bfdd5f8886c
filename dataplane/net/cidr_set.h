// CidrSet: a list of IPv4/IPv6 networks ("10.0.0.0/8", "::1", "fd00::/8")
// and a membership test for peer addresses. IPv4-mapped IPv6 peers
// (::ffff:a.b.c.d) match IPv4 networks. Immutable after parsing;
// thread-safe to read.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portico::dataplane {

class CidrSet {
 public:
  // Parses a comma-separated list. Returns "" or a precise error.
  std::string Parse(std::string_view list);
  bool Contains(const sockaddr* addr) const;
  bool empty() const { return networks_.empty(); }
  size_t size() const { return networks_.size(); }

 private:
  struct Network {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};
    int prefix = 0;
  };
  static bool Matches(const Network& net, const uint8_t* addr, bool v6);
  std::vector<Network> networks_;
};

}  // namespace portico::dataplane
