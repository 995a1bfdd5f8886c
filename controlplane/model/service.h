// A decoded core/v1 Service: the ports an Ingress backend can name. Plain
// values, built once per load and then only read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controlplane/model/json_field.h"
#include "controlplane/model/object_meta.h"

namespace portico::controlplane {

enum class ServiceType { kClusterIP, kNodePort, kLoadBalancer, kExternalName };

struct ServicePort {
  std::string name;  // may be empty when the Service has a single port
  int32_t port = 0;
  int32_t target_port_number = 0;  // 0 when the target port is named
  std::string target_port_name;
  std::string protocol = "TCP";
};

struct Service {
  ObjectMeta meta;
  ServiceType type = ServiceType::kClusterIP;
  std::string external_name;
  std::vector<ServicePort> ports;
};

// Decodes the Service-specific fields of `object` (metadata is decoded by
// the caller into out->meta). Returns "" or a precise error.
std::string DecodeService(const JsonField& object, Service* out);

}  // namespace portico::controlplane
