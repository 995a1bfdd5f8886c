#include "controlplane/crd/weighted_service.h"

#include "controlplane/crd/middleware_readers.h"

namespace portico::controlplane::crd {
namespace {

void ReadWeighted(CrdReader& r, WeightedRoundRobin* out) {
  r.List("services", &out->services, ReadServiceRef, Need::kRequired);
  r.Object("sticky", [&](CrdReader& sticky) {
    sticky.OptionalObject("cookie", &out->sticky_cookie, ReadStickyCookie);
  });
}

void ReadHighestRandomWeight(CrdReader& r, HighestRandomWeight* out) {
  r.List("services", &out->services, ReadServiceRef, Need::kRequired);
}

void ReadMirror(CrdReader& r, MirrorRef* out) {
  ReadServiceRef(r, &out->service);
  r.Int("percent", &out->percent, {.min = 0, .max = 100});
}

void ReadMirroring(CrdReader& r, Mirroring* out) {
  ReadServiceRef(r, &out->main);
  r.List("mirrors", &out->mirrors, ReadMirror);
  r.Bool("mirrorBody", &out->mirror_body);
  r.Int("maxBodySize", &out->max_body_size, {.min = -1});
}

void ReadFailover(CrdReader& r, Failover* out) {
  r.Object(
      "service", [&](CrdReader& s) { ReadServiceRef(s, &out->service); }, Need::kRequired);
  r.Object(
      "fallback", [&](CrdReader& s) { ReadServiceRef(s, &out->fallback); }, Need::kRequired);
  r.Object("errors", [&](CrdReader& e) {
    std::vector<std::string> status;
    e.StringList("status", &status);
    e.Int("maxRequestBodyBytes", &out->max_request_body_bytes, {.min = -1});
    CheckStatusList(e, "status", status, &out->error_status);
  });
}

}  // namespace

void ReadWeightedServiceSpec(CrdReader& r, WeightedServiceSpec* out) {
  r.Choice({"weighted", "highestRandomWeight", "mirroring", "failover"}, true);
  ReadAlternative(r, "weighted", &ReadWeighted, out);
  ReadAlternative(r, "highestRandomWeight", &ReadHighestRandomWeight, out);
  ReadAlternative(r, "mirroring", &ReadMirroring, out);
  ReadAlternative(r, "failover", &ReadFailover, out);
}

std::string DecodeCrd(const JsonField& object, WeightedService* out) {
  if (std::string e = DecodeCrdInfo(object, &out->crd); !e.empty()) return e;
  return DecodeSpec(object, &ReadWeightedServiceSpec, &out->spec, &out->crd.warnings);
}

}  // namespace portico::controlplane::crd
