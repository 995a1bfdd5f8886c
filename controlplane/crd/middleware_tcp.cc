#include "controlplane/crd/middleware_tcp.h"

#include "controlplane/crd/value_checks.h"

namespace portico::controlplane::crd {
namespace {

void ReadSourceRange(CrdReader& r, MiddlewareTcpSpec* out) {
  r.StringList("sourceRange", &out->source_range, Need::kRequired);
  for (size_t i = 0; i < out->source_range.size(); ++i) {
    if (!IsIpOrCidr(out->source_range[i])) {
      r.Fail(Item("sourceRange", i),
             "must be an IP address or CIDR range, got " + Quoted(out->source_range[i]));
    }
  }
}

}  // namespace

void ReadMiddlewareTcpSpec(CrdReader& r, MiddlewareTcpSpec* out) {
  r.Choice({"inFlightConn", "ipAllowList", "ipWhiteList"}, true);
  r.Object("inFlightConn", [&](CrdReader& m) {
    out->type = "inFlightConn";
    m.Int("amount", &out->in_flight_conn_amount, {.min = 1}, Need::kRequired);
  });
  r.Object("ipAllowList", [&](CrdReader& m) {
    out->type = "ipAllowList";
    ReadSourceRange(m, out);
  });
  r.Object("ipWhiteList", [&](CrdReader& m) {
    out->type = "ipAllowList";
    r.Warn("ipWhiteList", "deprecated, read as ipAllowList");
    ReadSourceRange(m, out);
  });
}

std::string DecodeCrd(const JsonField& object, MiddlewareTcp* out) {
  if (std::string e = DecodeCrdInfo(object, &out->crd); !e.empty()) return e;
  return DecodeSpec(object, &ReadMiddlewareTcpSpec, &out->spec, &out->crd.warnings);
}

}  // namespace portico::controlplane::crd
