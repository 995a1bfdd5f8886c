#include "controlplane/crd/middleware.h"

#include "controlplane/crd/middleware_readers.h"

namespace portico::controlplane::crd {
void ReadMiddlewareSpec(CrdReader& r, MiddlewareSpec* out) {
  // First, so that two types set are reported as such, not as an error inside one.
  r.Choice({"addPrefix",
            "stripPrefix",
            "stripPrefixRegex",
            "replacePath",
            "replacePathRegex",
            "redirectRegex",
            "redirectScheme",
            "chain",
            "ipAllowList",
            "ipWhiteList",
            "rateLimit",
            "inFlightReq",
            "basicAuth",
            "digestAuth",
            "forwardAuth",
            "headers",
            "errors",
            "buffering",
            "circuitBreaker",
            "compress",
            "contentType",
            "grpcWeb",
            "passTLSClientCert",
            "retry",
            "encodedCharacters",
            "plugin"},
           true);
  ReadAlternative(r, "addPrefix", &ReadAddPrefix, out);
  ReadAlternative(r, "stripPrefix", &ReadStripPrefix, out);
  ReadAlternative(r, "stripPrefixRegex", &ReadStripPrefixRegex, out);
  ReadAlternative(r, "replacePath", &ReadReplacePath, out);
  ReadAlternative(r, "replacePathRegex", &ReadReplacePathRegex, out);
  ReadAlternative(r, "redirectRegex", &ReadRedirectRegex, out);
  ReadAlternative(r, "redirectScheme", &ReadRedirectScheme, out);
  ReadAlternative(r, "chain", &ReadChain, out);
  ReadAlternative(r, "ipAllowList", &ReadIpAllowList, out);
  ReadAlternative(r, "ipWhiteList", &ReadIpAllowList, out);
  ReadAlternative(r, "rateLimit", &ReadRateLimit, out);
  ReadAlternative(r, "inFlightReq", &ReadInFlightReq, out);
  ReadAlternative(r, "basicAuth", &ReadBasicAuth, out);
  ReadAlternative(r, "digestAuth", &ReadDigestAuth, out);
  ReadAlternative(r, "forwardAuth", &ReadForwardAuth, out);
  ReadAlternative(r, "headers", &ReadHeaders, out);
  ReadAlternative(r, "errors", &ReadErrorPages, out);
  ReadAlternative(r, "buffering", &ReadBuffering, out);
  ReadAlternative(r, "circuitBreaker", &ReadCircuitBreaker, out);
  ReadAlternative(r, "compress", &ReadCompress, out);
  ReadAlternative(r, "contentType", &ReadContentType, out);
  ReadAlternative(r, "grpcWeb", &ReadGrpcWeb, out);
  ReadAlternative(r, "passTLSClientCert", &ReadPassTlsClientCert, out);
  ReadAlternative(r, "retry", &ReadRetry, out);
  ReadAlternative(r, "encodedCharacters", &ReadEncodedCharacters, out);
  bool plugin = false;
  r.FreeForm("plugin", &plugin);
  if (plugin) r.Fail("plugin", "Traefik plugins are not supported by Portico");
  if (out->type == "ipWhiteList") {
    r.Warn("ipWhiteList", "deprecated, read as ipAllowList");
    out->type = "ipAllowList";
  }
}

std::string DecodeCrd(const JsonField& object, Middleware* out) {
  if (std::string e = DecodeCrdInfo(object, &out->crd); !e.empty()) return e;
  return DecodeSpec(object, &ReadMiddlewareSpec, &out->spec, &out->crd.warnings);
}

}  // namespace portico::controlplane::crd
