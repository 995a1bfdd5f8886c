// A decoded MiddlewareTCP: inFlightConn or ipAllowList (ipWhiteList is the
// deprecated alias). Plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controlplane/crd/crd_object.h"
#include "controlplane/crd/crd_reader.h"
#include "controlplane/model/object_meta.h"

namespace portico::controlplane::crd {

struct MiddlewareTcpSpec {
  std::string type;                       // "inFlightConn" or "ipAllowList"
  int64_t in_flight_conn_amount = 0;      // inFlightConn: per source IP
  std::vector<std::string> source_range;  // ipAllowList
};

struct MiddlewareTcp {
  ObjectMeta meta;
  CrdInfo crd;
  MiddlewareTcpSpec spec;
};

void ReadMiddlewareTcpSpec(CrdReader& spec, MiddlewareTcpSpec* out);
std::string DecodeCrd(const JsonField& object, MiddlewareTcp* out);

}  // namespace portico::controlplane::crd
