// A decoded discovery.k8s.io/v1 EndpointSlice: the addresses behind one
// Service. Plain values, built once per load and then only read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/model/json_field.h"
#include "controlplane/model/object_meta.h"

namespace portico::controlplane {

inline constexpr char kServiceNameLabel[] = "kubernetes.io/service-name";

enum class AddressType { kIPv4, kIPv6 };

struct EndpointSlicePort {
  std::string name;             // the Service port's name ("" if unnamed)
  std::optional<int32_t> port;  // absent: "all ports", which Ingress cannot use
  std::string protocol = "TCP";
};

struct EndpointConditions {
  bool ready = true;         // absent means ready
  bool serving = true;       // absent means the same as ready
  bool terminating = false;  // absent means not terminating
};

struct SliceEndpoint {
  std::vector<std::string> addresses;  // canonical IP literals of the slice's type
  EndpointConditions conditions;
};

struct EndpointSlice {
  ObjectMeta meta;
  std::string service_name;  // from the kubernetes.io/service-name label
  AddressType address_type = AddressType::kIPv4;
  std::vector<EndpointSlicePort> ports;
  std::vector<SliceEndpoint> endpoints;
};

// Decodes the EndpointSlice-specific fields of `object`; out->meta must
// already hold the decoded metadata (the service-name label is read from it).
// addressType FQDN is refused: proxies only get IP literals.
std::string DecodeEndpointSlice(const JsonField& object, EndpointSlice* out);

}  // namespace portico::controlplane
