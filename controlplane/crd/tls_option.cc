#include "controlplane/crd/tls_option.h"

#include "controlplane/crd/value_checks.h"
#include "controlplane/model/dns_names.h"

namespace portico::controlplane::crd {
namespace {

void CheckSecretNames(CrdReader& r, std::string_view name, const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (!IsDnsSubdomain(names[i])) {
      r.Fail(Item(name, i), "must be a Secret name (a DNS subdomain), got " + Quoted(names[i]));
    }
  }
}

void ReadClientAuth(CrdReader& r, TlsOptionSpec* out) {
  r.StringList("secretNames", &out->client_auth_secret_names);
  r.Enum("clientAuthType",
         {"NoClientCert", "RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven",
          "RequireAndVerifyClientCert"},
         &out->client_auth_type);
  CheckSecretNames(r, "secretNames", out->client_auth_secret_names);
  bool verifies = out->client_auth_type == "VerifyClientCertIfGiven" ||
                  out->client_auth_type == "RequireAndVerifyClientCert";
  if (verifies && out->client_auth_secret_names.empty()) {
    r.Fail("secretNames",
           "must name at least one CA Secret when clientAuthType is " + out->client_auth_type);
  }
}

void ReadSecretName(CrdReader& r, std::string* out) {
  r.String("secretName", out, Need::kRequired);
  if (!out->empty() && !IsDnsSubdomain(*out)) {
    r.Fail("secretName", "must be a Secret name (a DNS subdomain), got " + Quoted(*out));
  }
}

}  // namespace

std::string CheckTlsVersionOrder(const std::string& min_version, const std::string& max_version) {
  // The names sort in version order.
  std::string min = min_version.empty() ? "VersionTLS12" : min_version;
  if (max_version.empty() || max_version >= min) return "";
  return "must not be below minVersion (" + min + ")";
}

void ReadTlsOptionSpec(CrdReader& r, TlsOptionSpec* out) {
  r.Enum("minVersion", kTlsVersions, &out->min_version);
  r.Enum("maxVersion", kTlsVersions, &out->max_version);
  r.EnumList("cipherSuites", kCipherSuites, &out->cipher_suites);
  r.EnumList("curvePreferences",
             {"CurveP256", "CurveP384", "CurveP521", "X25519", "X25519MLKEM768", "secp256r1",
              "secp384r1", "secp521r1", "x25519"},
             &out->curve_preferences);
  r.Object("clientAuth", [&](CrdReader& c) { ReadClientAuth(c, out); });
  r.Bool("sniStrict", &out->sni_strict);
  r.StringList("alpnProtocols", &out->alpn_protocols);
  r.Bool("disableSessionTickets", &out->disable_session_tickets);
  r.Deprecated("preferServerCipherSuites", SchemaType::kBoolean);
  if (std::string e = CheckTlsVersionOrder(out->min_version, out->max_version); !e.empty()) {
    r.Fail("maxVersion", e);
  }
}

void ReadTlsStoreSpec(CrdReader& r, TlsStoreSpec* out) {
  std::vector<std::string>& names = out->certificate_secret_names;
  r.List("certificates", &names, [](CrdReader& c, std::string* name) { ReadSecretName(c, name); });
  r.Object("defaultCertificate",
           [&](CrdReader& c) { ReadSecretName(c, &out->default_certificate_secret_name); });
  r.Object("defaultGeneratedCert", [&](CrdReader& g) {
    g.String("resolver", &out->default_generated_cert_resolver.emplace(), Need::kRequired);
    g.OptionalObject("domain", &out->default_generated_cert_domain, ReadCertDomain);
  });
}

std::string DecodeCrd(const JsonField& object, TlsOption* out) {
  if (std::string e = DecodeCrdInfo(object, &out->crd); !e.empty()) return e;
  return DecodeSpec(object, &ReadTlsOptionSpec, &out->spec, &out->crd.warnings);
}

std::string DecodeCrd(const JsonField& object, TlsStore* out) {
  if (std::string e = DecodeCrdInfo(object, &out->crd); !e.empty()) return e;
  return DecodeSpec(object, &ReadTlsStoreSpec, &out->spec, &out->crd.warnings);
}

}  // namespace portico::controlplane::crd
