#include "controlplane/crd/servers_transport.h"

#include "controlplane/crd/tls_option.h"
#include "controlplane/crd/value_checks.h"
#include "controlplane/model/dns_names.h"

namespace portico::controlplane::crd {
namespace {

void CheckObjectName(CrdReader& r, std::string_view name, const std::string& value,
                     std::string_view what) {
  if (!value.empty() && !IsDnsSubdomain(value)) {
    r.Fail(name,
           "must be a " + std::string(what) + " name (a DNS subdomain), got " + Quoted(value));
  }
}

void ReadRootCa(CrdReader& r, RootCaRef* out) {
  r.Choice({"secret", "configMap"}, true);
  r.String("secret", &out->secret);
  r.String("configMap", &out->config_map);
  CheckObjectName(r, "secret", out->secret, "Secret");
  CheckObjectName(r, "configMap", out->config_map, "ConfigMap");
}

void ReadPeerCertSan(CrdReader& r, PeerCertSan* out) {
  r.Enum("type", {"URI", "DNSName"}, &out->type, Need::kRequired);
  r.String("value", &out->value, Need::kRequired);
}

void ReadSpiffe(CrdReader& r, Spiffe* out) {
  r.StringList("ids", &out->ids);
  r.String("trustDomain", &out->trust_domain);
}

// The TLS fields that HTTP transports hold at the spec root and TCP
// transports under `tls`.
void ReadBackendTls(CrdReader& r, BackendTls* out) {
  r.String("serverName", &out->server_name);
  r.Bool("insecureSkipVerify", &out->insecure_skip_verify);
  r.List("rootCAs", &out->root_cas, ReadRootCa);
  r.StringList("rootCAsSecrets", &out->root_cas_secrets);
  r.StringList("certificatesSecrets", &out->certificates_secrets);
  r.String("peerCertURI", &out->peer_cert_uri);
  r.List("peerCertSANs", &out->peer_cert_sans, ReadPeerCertSan);
  r.OptionalObject("spiffe", &out->spiffe, ReadSpiffe);
  for (size_t i = 0; i < out->root_cas_secrets.size(); ++i) {
    CheckObjectName(r, Item("rootCAsSecrets", i), out->root_cas_secrets[i], "Secret");
  }
  for (size_t i = 0; i < out->certificates_secrets.size(); ++i) {
    CheckObjectName(r, Item("certificatesSecrets", i), out->certificates_secrets[i], "Secret");
  }
  if (!out->peer_cert_uri.empty()) r.Warn("peerCertURI", "deprecated, use peerCertSANs");
}

void ReadForwardingTimeouts(CrdReader& r, ForwardingTimeouts* out) {
  r.Duration("dialTimeout", &out->dial_timeout);
  r.Duration("responseHeaderTimeout", &out->response_header_timeout);
  r.Duration("idleConnTimeout", &out->idle_conn_timeout);
  r.Duration("readIdleTimeout", &out->read_idle_timeout);
  r.Duration("pingTimeout", &out->ping_timeout);
  for (auto [name, value] : {std::pair{"dialTimeout", &out->dial_timeout},
                             std::pair{"responseHeaderTimeout", &out->response_header_timeout},
                             std::pair{"idleConnTimeout", &out->idle_conn_timeout},
                             std::pair{"readIdleTimeout", &out->read_idle_timeout},
                             std::pair{"pingTimeout", &out->ping_timeout}}) {
    if (*value && (*value)->count() < 0) r.Fail(name, "must not be negative");
  }
}

}  // namespace

void ReadServersTransportSpec(CrdReader& r, ServersTransportSpec* out) {
  ReadBackendTls(r, &out->tls);
  r.Int("maxIdleConnsPerHost", &out->max_idle_conns_per_host, {.min = -1});
  r.Bool("disableHTTP2", &out->disable_http2);
  r.EnumList("cipherSuites", kCipherSuites, &out->cipher_suites);
  r.Enum("minVersion", kTlsVersions, &out->min_version);
  r.Enum("maxVersion", kTlsVersions, &out->max_version);
  r.OptionalObject("forwardingTimeouts", &out->forwarding_timeouts, ReadForwardingTimeouts);
  if (std::string e = CheckTlsVersionOrder(out->min_version, out->max_version); !e.empty()) {
    r.Fail("maxVersion", e);
  }
}

void ReadServersTransportTcpSpec(CrdReader& r, ServersTransportTcpSpec* out) {
  r.Duration("dialTimeout", &out->dial_timeout);
  r.Duration("dialKeepAlive", &out->dial_keep_alive);
  r.Duration("terminationDelay", &out->termination_delay);
  r.Object("proxyProtocol", [&](CrdReader& pp) {
    out->proxy_protocol_version = 2;
    pp.Int("version", &out->proxy_protocol_version, {.min = 1, .max = 2});
  });
  r.OptionalObject("tls", &out->tls, ReadBackendTls);
  if (out->dial_timeout && out->dial_timeout->count() < 0) {
    r.Fail("dialTimeout", "must not be negative");
  }
  if (out->termination_delay && out->termination_delay->count() < 0) {
    r.Fail("terminationDelay", "must not be negative");
  }
}

std::string DecodeCrd(const JsonField& object, ServersTransport* out) {
  if (std::string e = DecodeCrdInfo(object, &out->crd); !e.empty()) return e;
  return DecodeSpec(object, &ReadServersTransportSpec, &out->spec, &out->crd.warnings);
}

std::string DecodeCrd(const JsonField& object, ServersTransportTcp* out) {
  if (std::string e = DecodeCrdInfo(object, &out->crd); !e.empty()) return e;
  return DecodeSpec(object, &ReadServersTransportTcpSpec, &out->spec, &out->crd.warnings);
}

}  // namespace portico::controlplane::crd
