#include "controlplane/compiler/servers_transport_compiler.h"

#include "controlplane/compiler/tls_option_resolver.h"
#include "dataplane/tls/serving_certificate.h"

namespace portico::controlplane {
namespace {

using crd::Item;

// Settings Traefik has that the proxy does not check yet: refusing the
// transport is safer than verifying less than the object asks for.
std::string Unimplemented(const crd::BackendTls& tls) {
  if (!tls.peer_cert_sans.empty()) return "spec.peerCertSANs: not supported yet (use peerCertURI)";
  if (tls.spiffe) return "spec.spiffe: SPIFFE is not supported";
  for (size_t i = 0; i < tls.root_cas.size(); ++i) {
    if (!tls.root_cas[i].config_map.empty()) {
      return "spec." + Item("rootCAs", i) + ".configMap: ConfigMaps are not read; use a Secret";
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

const std::string& ServersTransportCompiler::Use(const ObjectKey& key) {
  auto it = problems_.find(key);
  if (it != problems_.end()) return it->second;
  ServersTransport transport;
  std::string problem = Compile(key, &transport);
  if (problem.empty()) {
    context_->servers_transports().emplace(transport.name, std::move(transport));
  } else {
    problem = "ServersTransport " + key.str() + ": " + problem;
    context_->AddDiagnostic({"ServersTransport/" + key.str(), "InvalidServersTransport",
                             problem + "; the services that use it are not served"});
  }
  return problems_.emplace(key, std::move(problem)).first->second;
}

std::string ServersTransportCompiler::Compile(const ObjectKey& key, ServersTransport* out) const {
  const crd::ServersTransportSpec& spec = state_.crds.servers_transports.at(key).spec;
  const crd::BackendTls& tls = spec.tls;
  if (std::string e = Unimplemented(tls); !e.empty()) return e;
  out->name = key.str();
  out->server_name = tls.server_name;
  out->insecure_skip_verify = tls.insecure_skip_verify;
  out->peer_cert_uri = tls.peer_cert_uri;
  // rootCAs (a list of {secret}) and its older form rootCAsSecrets.
  std::vector<std::pair<std::string, std::string>> cas;  // field, Secret name
  for (size_t i = 0; i < tls.root_cas.size(); ++i) {
    cas.emplace_back("spec." + Item("rootCAs", i) + ".secret", tls.root_cas[i].secret);
  }
  for (size_t i = 0; i < tls.root_cas_secrets.size(); ++i) {
    cas.emplace_back("spec." + Item("rootCAsSecrets", i), tls.root_cas_secrets[i]);
  }
  for (const auto& [field, name] : cas) {
    ObjectKey secret{key.namespace_name, name};
    if (std::string e = AppendCaBundle(state_, secret, &out->root_cas_pem); !e.empty()) {
      return field + ": Secret " + secret.str() + e;
    }
    out->root_ca_sources.push_back("Secret/" + secret.str());
  }
  for (size_t i = 0; i < tls.certificates_secrets.size(); ++i) {
    ObjectKey secret{key.namespace_name, tls.certificates_secrets[i]};
    Certificate certificate;
    if (std::string e = ReadClientCertificate(state_, secret, &certificate); !e.empty()) {
      return "spec." + Item("certificatesSecrets", i) + ": Secret " + secret.str() + e;
    }
    out->certificates.push_back(std::move(certificate));
  }
  out->min_version = TlsVersionNamed(spec.min_version);
  out->max_version = TlsVersionNamed(spec.max_version);
  for (const std::string& suite : spec.cipher_suites) {
    if (!IsTls13Suite(suite)) out->cipher_suites.push_back(CipherName(suite));
  }
  return "";
}

}  // namespace portico::controlplane
