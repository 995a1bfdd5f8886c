// A decoded WeightedService (Traefik's TraefikService): a service made of
// other services, exactly one of weighted round robin, highest random
// weight, mirroring or failover. Nesting is by reference (kind:
// WeightedService); cycles are the compiler's to find. Plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "controlplane/crd/crd_object.h"
#include "controlplane/crd/crd_reader.h"
#include "controlplane/crd/service_ref.h"
#include "controlplane/crd/value_checks.h"
#include "controlplane/model/object_meta.h"

namespace portico::controlplane::crd {

struct WeightedRoundRobin {
  std::vector<ServiceRef> services;
  std::optional<StickyCookie> sticky_cookie;
};

struct HighestRandomWeight {
  std::vector<ServiceRef> services;
};

struct MirrorRef {
  ServiceRef service;
  int64_t percent = 0;  // share of requests copied; 0 = none
};

struct Mirroring {
  ServiceRef main;  // the fields at the root of `mirroring`
  std::vector<MirrorRef> mirrors;
  std::optional<bool> mirror_body;       // default true
  std::optional<int64_t> max_body_size;  // -1: no limit
};

struct Failover {
  ServiceRef service;
  ServiceRef fallback;
  std::vector<StatusRange> error_status;
  std::optional<int64_t> max_request_body_bytes;
};

using WeightedServiceConfig =
    std::variant<std::monostate, WeightedRoundRobin, HighestRandomWeight, Mirroring, Failover>;

struct WeightedServiceSpec {
  std::string type;  // "weighted", "highestRandomWeight", "mirroring" or "failover"
  WeightedServiceConfig config;
};

struct WeightedService {
  ObjectMeta meta;
  CrdInfo crd;
  WeightedServiceSpec spec;
};

void ReadWeightedServiceSpec(CrdReader& spec, WeightedServiceSpec* out);
std::string DecodeCrd(const JsonField& object, WeightedService* out);

}  // namespace portico::controlplane::crd
