// Cluster: the endpoints of one Service port as the proxy dials them,
// parsed from the snapshot. Plain data owned by a RuntimeConfig.
#pragma once

#include <sys/socket.h>

#include <string>
#include <vector>

namespace portico::dataplane {

struct Endpoint {
  sockaddr_storage address{};
  std::string key;  // "10.0.0.1:8080" or "[::1]:8080": the endpoint's identity
};

struct Cluster {
  std::string name;
  std::vector<Endpoint> ready;
  std::vector<Endpoint> terminating;  // used only when no endpoint is ready
  const std::vector<Endpoint>& active() const { return ready.empty() ? terminating : ready; }
};

}  // namespace portico::dataplane
