#include "dataplane/net/reuseport_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace portico::dataplane {
namespace {

std::string OpenOne(const sockaddr_storage& addr, socklen_t len, int type, int* fd_out) {
  int fd = ::socket(addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::StrCat("socket: ", std::strerror(errno));
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    std::string err = absl::StrCat("setsockopt: ", std::strerror(errno));
    ::close(fd);
    return err;
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
    std::string err = std::strerror(errno);
    ::close(fd);
    return err;
  }
  *fd_out = fd;
  return "";
}

}  // namespace

std::string OpenReusePortListeners(const std::string& host, int port, int count,
                                   std::vector<int>* fds, int* bound_port, int type) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in6);
  } else {
    return absl::StrCat("'", host, "' is not an IP address");
  }
  for (int i = 0; i < count; ++i) {
    int fd = -1;
    std::string err = OpenOne(addr, len, type, &fd);
    if (!err.empty()) {
      for (int open : *fds) ::close(open);
      fds->clear();
      return absl::StrCat("cannot listen on ", host, ":", port, ": ", err);
    }
    fds->push_back(fd);
    if (i == 0) {
      // Later sockets join the port the first one got (port 0 → a free port).
      sockaddr_storage bound{};
      socklen_t blen = sizeof bound;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
      uint16_t p = bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&bound)->sin_port;
      *bound_port = ntohs(p);
      if (addr.ss_family == AF_INET6)
        v6->sin6_port = p;
      else
        v4->sin_port = p;
    }
  }
  return "";
}

}  // namespace portico::dataplane
