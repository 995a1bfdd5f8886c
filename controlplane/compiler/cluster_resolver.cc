#include "controlplane/compiler/cluster_resolver.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

namespace portico::controlplane {
namespace {

// Numeric order (10.0.0.9 before 10.0.0.10), IPv4 before IPv6.
std::pair<int, std::array<unsigned char, 16>> AddressOrder(const std::string& address) {
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(AF_INET, address.c_str(), bytes.data()) == 1) return {4, bytes};
  inet_pton(AF_INET6, address.c_str(), bytes.data());
  return {6, bytes};
}

bool EndpointLess(const Endpoint& a, const Endpoint& b) {
  auto order_a = AddressOrder(a.address);
  auto order_b = AddressOrder(b.address);
  if (order_a != order_b) return order_a < order_b;
  return a.port < b.port;
}

// The port `backend` names, of `protocol` if one is; else the first of any
// protocol (for the message), else null.
const ServicePort* FindPort(const Service& service, const IngressBackend& backend,
                            const std::string& protocol) {
  const ServicePort* any = nullptr;
  for (const ServicePort& port : service.ports) {
    if (backend.port_name.empty() ? port.port == backend.port_number
                                  : port.name == backend.port_name) {
      if (port.protocol == protocol) return &port;
      if (any == nullptr) any = &port;
    }
  }
  return any;
}

std::string DescribePort(const IngressBackend& backend) {
  return backend.port_name.empty() ? "port " + std::to_string(backend.port_number)
                                   : "port named \"" + backend.port_name + "\"";
}

}  // namespace

ClusterResolver::ClusterResolver(const ClusterState& state) : state_(state) {
  for (const auto& [key, slice] : state.endpoint_slices) {
    slices_[{key.namespace_name, slice.service_name}].push_back(&slice);
  }
}

ClusterResolution ClusterResolver::Resolve(const std::string& namespace_name,
                                           const IngressBackend& backend,
                                           const std::string& protocol) {
  if (!backend.resource.empty()) {
    return {"", "Unsupported", "resource backend " + backend.resource + " is not supported"};
  }
  std::string service_ref = "Service " + namespace_name + "/" + backend.service_name;
  auto it = state_.services.find({namespace_name, backend.service_name});
  if (it == state_.services.end()) return {"", "BackendNotFound", service_ref + " not found"};
  const Service& service = it->second;
  if (service.type == ServiceType::kExternalName) {
    return {"", "Unsupported", service_ref + " is of type ExternalName, which is not supported"};
  }
  const ServicePort* port = FindPort(service, backend, protocol);
  if (port == nullptr) {
    return {"", "PortNotFound", service_ref + " has no " + DescribePort(backend)};
  }
  if (port->protocol != protocol) {
    return {
        "", "PortNotFound",
        service_ref + " " + DescribePort(backend) + " is " + port->protocol + ", not " + protocol};
  }
  std::string name = namespace_name + "/" + backend.service_name + ":" +
                     (port->name.empty() ? std::to_string(port->port) : port->name);
  if (!clusters_.contains(name)) clusters_.emplace(name, BuildCluster(name, service, *port));
  return {name, "", "", port->port == 443 || port->name == "https"};
}

bool ClusterResolver::RefreshEndpoints(Cluster* cluster) const {
  // "<namespace>/<service>:<port name, or number>": neither DNS name holds
  // '/' or ':'.
  size_t slash = cluster->name.find('/');
  size_t colon = cluster->name.find(':', slash == std::string::npos ? 0 : slash);
  if (slash == std::string::npos || colon == std::string::npos) return false;
  std::string port_key = cluster->name.substr(colon + 1);
  auto it = state_.services.find(
      {cluster->name.substr(0, slash), cluster->name.substr(slash + 1, colon - slash - 1)});
  if (it == state_.services.end()) return false;
  for (const ServicePort& port : it->second.ports) {
    if ((port.name.empty() ? std::to_string(port.port) : port.name) != port_key) continue;
    cluster->endpoints = BuildCluster(cluster->name, it->second, port).endpoints;
    return true;
  }
  return false;
}

// EndpointSlice ports carry the Service port's name, with the target port
// already resolved per endpoint, so a named targetPort needs no extra step.
Cluster ClusterResolver::BuildCluster(const std::string& name, const Service& service,
                                      const ServicePort& port) const {
  std::vector<Endpoint> ready, terminating;
  auto slices = slices_.find({service.meta.namespace_name, service.meta.name});
  if (slices != slices_.end()) {
    for (const EndpointSlice* slice : slices->second) {
      for (const EndpointSlicePort& slice_port : slice->ports) {
        if (slice_port.name != port.name || slice_port.protocol != port.protocol ||
            !slice_port.port) {
          continue;
        }
        for (const SliceEndpoint& endpoint : slice->endpoints) {
          const EndpointConditions& c = endpoint.conditions;
          for (const std::string& address : endpoint.addresses) {
            auto port_number = static_cast<uint32_t>(*slice_port.port);
            if (c.ready) ready.push_back({address, port_number, false});
            if (!c.ready && c.serving && c.terminating) {
              terminating.push_back({address, port_number, true});
            }
          }
        }
      }
    }
  }
  std::vector<Endpoint>& chosen = ready.empty() ? terminating : ready;
  std::sort(chosen.begin(), chosen.end(), EndpointLess);
  chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
  return Cluster{name, std::move(chosen)};
}

}  // namespace portico::controlplane
