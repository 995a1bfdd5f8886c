#include "controlplane/compiler/servers_transport_compiler.h"

#include "controlplane/compiler/durations.h"
#include "controlplane/compiler/tls_option_resolver.h"
#include "dataplane/tls/serving_certificate.h"

namespace portico::controlplane {
namespace {

using crd::Item;

// Settings Traefik has that the proxy does not check yet: refusing the
// transport is safer than verifying less than the object asks for.
// `prefix` is where the TLS fields are ("spec.", "spec.tls.").
std::string Unimplemented(const crd::BackendTls& tls, const std::string& prefix) {
  if (!tls.peer_cert_sans.empty())
    return prefix + "peerCertSANs: not supported yet (use peerCertURI)";
  if (tls.spiffe) return prefix + "spiffe: SPIFFE is not supported";
  for (size_t i = 0; i < tls.root_cas.size(); ++i) {
    if (!tls.root_cas[i].config_map.empty()) {
      return prefix + Item("rootCAs", i) + ".configMap: ConfigMaps are not read; use a Secret";
    }
  }
  return "";
}

// A kubernetes.io/tls Secret's certificate and key, checked to match.
std::string ReadClientCertificate(const ClusterState& state, const ObjectKey& key,
                                  Certificate* out) {
  auto secret = state.secrets.find(key);
  if (secret == state.secrets.end()) return " not found";
  const std::map<std::string, std::string>& data = secret->second.data;
  auto crt = data.find("tls.crt");
  auto pem_key = data.find("tls.key");
  if (crt == data.end() || crt->second.empty()) return " has no tls.crt";
  if (pem_key == data.end() || pem_key->second.empty()) return " has no tls.key";
  dataplane::ServingCertificate parsed;
  if (std::string e = dataplane::ParseServingCertificate(crt->second, pem_key->second, &parsed);
      !e.empty()) {
    return ": " + e;
  }
  *out = {.name = key.str(), .cert_chain_pem = crt->second, .private_key_pem = pem_key->second};
  return "";
}

}  // namespace

// The TLS settings HTTP and TCP transports share, Secrets read from
// `namespace_name`; `prefix` as for Unimplemented.
std::string CompileBackendTls(const ClusterState& state, const crd::BackendTls& tls,
                              const std::string& namespace_name, const std::string& prefix,
                              ServersTransport* out) {
  if (std::string e = Unimplemented(tls, prefix); !e.empty()) return e;
  out->server_name = tls.server_name;
  out->insecure_skip_verify = tls.insecure_skip_verify;
  out->peer_cert_uri = tls.peer_cert_uri;
  // rootCAs (a list of {secret}) and its older form rootCAsSecrets.
  std::vector<std::pair<std::string, std::string>> cas;  // field, Secret name
  for (size_t i = 0; i < tls.root_cas.size(); ++i) {
    cas.emplace_back(prefix + Item("rootCAs", i) + ".secret", tls.root_cas[i].secret);
  }
  for (size_t i = 0; i < tls.root_cas_secrets.size(); ++i) {
    cas.emplace_back(prefix + Item("rootCAsSecrets", i), tls.root_cas_secrets[i]);
  }
  for (const auto& [field, name] : cas) {
    ObjectKey secret{namespace_name, name};
    if (std::string e = AppendCaBundle(state, secret, &out->root_cas_pem); !e.empty()) {
      return field + ": Secret " + secret.str() + e;
    }
    out->root_ca_sources.push_back("Secret/" + secret.str());
  }
  for (size_t i = 0; i < tls.certificates_secrets.size(); ++i) {
    ObjectKey secret{namespace_name, tls.certificates_secrets[i]};
    Certificate certificate;
    if (std::string e = ReadClientCertificate(state, secret, &certificate); !e.empty()) {
      return prefix + Item("certificatesSecrets", i) + ": Secret " + secret.str() + e;
    }
    out->certificates.push_back(std::move(certificate));
  }
  return "";
}

template <typename Transport>
const std::string& ServersTransportCompiler::CompileOnce(
    const ObjectKey& key, const Kind<Transport>& kind, std::map<ObjectKey, std::string>* problems,
    std::map<std::string, Transport>* compiled) {
  auto it = problems->find(key);
  if (it != problems->end()) return it->second;
  Transport transport;
  std::string problem = (this->*kind.compile)(key, &transport);
  if (problem.empty()) {
    compiled->emplace(transport.name, std::move(transport));
  } else {
    problem = kind.name + " " + key.str() + ": " + problem;
    context_->AddDiagnostic(
        {kind.name + "/" + key.str(), "InvalidServersTransport", problem + kind.consequence});
  }
  return problems->emplace(key, std::move(problem)).first->second;
}

const std::string& ServersTransportCompiler::Use(const ObjectKey& key) {
  static const Kind<ServersTransport> kHttp{"ServersTransport", &ServersTransportCompiler::Compile,
                                            "; the services that use it are not served"};
  return CompileOnce(key, kHttp, &problems_, &context_->servers_transports());
}

const std::string& ServersTransportCompiler::UseTcp(const ObjectKey& key) {
  static const Kind<ServersTransportTcp> kTcp{"ServersTransportTCP",
                                              &ServersTransportCompiler::CompileTcp,
                                              "; the routes that use it close their connections"};
  return CompileOnce(key, kTcp, &tcp_problems_, &context_->tcp_servers_transports());
}

std::string ServersTransportCompiler::Compile(const ObjectKey& key, ServersTransport* out) const {
  const crd::ServersTransportSpec& spec = state_.crds.servers_transports.at(key).spec;
  out->name = key.str();
  if (std::string e = CompileBackendTls(state_, spec.tls, key.namespace_name, "spec.", out);
      !e.empty()) {
    return e;
  }
  out->min_version = TlsVersionNamed(spec.min_version);
  out->max_version = TlsVersionNamed(spec.max_version);
  for (const std::string& suite : spec.cipher_suites) {
    if (!IsTls13Suite(suite)) out->cipher_suites.push_back(CipherName(suite));
  }
  return "";
}

std::string ServersTransportCompiler::CompileTcp(const ObjectKey& key,
                                                 ServersTransportTcp* out) const {
  const crd::ServersTransportTcpSpec& spec = state_.crds.servers_transports_tcp.at(key).spec;
  out->name = key.str();
  if (spec.dial_timeout) out->dial_timeout_ms = Milliseconds(*spec.dial_timeout);
  if (spec.dial_keep_alive) {
    // Traefik: a negative keep-alive period disables keep-alive probes.
    out->disable_keep_alive = spec.dial_keep_alive->count() < 0;
    out->dial_keep_alive_ms = Milliseconds(*spec.dial_keep_alive);
  }
  if (spec.termination_delay) out->termination_delay_ms = Milliseconds(*spec.termination_delay);
  out->proxy_protocol_version = static_cast<uint32_t>(spec.proxy_protocol_version.value_or(0));
  if (spec.tls) {
    out->tls.emplace().name = key.str();
    return CompileBackendTls(state_, *spec.tls, key.namespace_name, "spec.tls.", &*out->tls);
  }
  return "";
}

}  // namespace portico::controlplane
