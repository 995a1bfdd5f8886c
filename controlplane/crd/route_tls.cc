#include "controlplane/crd/route_tls.h"

#include "controlplane/model/dns_names.h"

namespace portico::controlplane::crd {
namespace {

// Certificate domains may be wildcards ("*.example.com").
bool IsCertDomain(std::string_view name) {
  if (name.substr(0, 2) == "*.") name.remove_prefix(2);
  return IsDnsSubdomain(name);
}

}  // namespace

void ReadCertDomain(CrdReader& r, CertDomain* out) {
  r.String("main", &out->main, Need::kRequired);
  r.StringList("sans", &out->sans);
  if (!out->main.empty() && !IsCertDomain(out->main)) {
    r.Fail("main", "must be a lowercase DNS name, optionally starting with \"*.\", got " +
                       Quoted(out->main));
  }
  for (size_t i = 0; i < out->sans.size(); ++i) {
    if (!IsCertDomain(out->sans[i])) {
      r.Fail(Item("sans", i),
             "must be a lowercase DNS name, optionally starting with \"*.\", got " +
                 Quoted(out->sans[i]));
    }
  }
}

void ReadRouteTls(CrdReader& r, RouteTls* out, bool tcp) {
  r.String("secretName", &out->secret_name);
  r.OptionalObject("options", &out->options, ReadObjectRef);
  r.OptionalObject("store", &out->store, ReadObjectRef);
  r.String("certResolver", &out->cert_resolver);
  r.List("domains", &out->domains, ReadCertDomain);
  if (tcp) r.Bool("passthrough", &out->passthrough);
  if (!out->secret_name.empty() && !IsDnsSubdomain(out->secret_name)) {
    r.Fail("secretName",
           "must be a Secret name (a DNS subdomain), got " + Quoted(out->secret_name));
  }
}

}  // namespace portico::controlplane::crd
