#include "controlplane/compiler/tls_option_resolver.h"

#include <algorithm>
#include <string_view>

#include "controlplane/compiler/provider_name.h"
#include "dataplane/tls/client_ca.h"

namespace portico::controlplane {
namespace {

constexpr char kDefault[] = "default";

// Go's and the RFC's curve names, as proxies name groups.
std::string CurveName(const std::string& name) {
  if (name == "CurveP256" || name == "secp256r1") return "P-256";
  if (name == "CurveP384" || name == "secp384r1") return "P-384";
  if (name == "CurveP521" || name == "secp521r1") return "P-521";
  if (name == "x25519") return "X25519";
  return name;  // X25519, X25519MLKEM768: already so
}

}  // namespace

// Go's suite names are IANA's but for two legacy ChaCha20 spellings.
std::string CipherName(const std::string& name) {
  if (name == "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305" ||
      name == "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305") {
    return name + "_SHA256";
  }
  return name;
}

bool IsTls13Suite(const std::string& name) {
  return name == "TLS_AES_128_GCM_SHA256" || name == "TLS_AES_256_GCM_SHA384" ||
         name == "TLS_CHACHA20_POLY1305_SHA256";
}

TlsVersion TlsVersionNamed(const std::string& name) {
  if (name == "VersionTLS10") return TlsVersion::kTls10;
  if (name == "VersionTLS11") return TlsVersion::kTls11;
  if (name == "VersionTLS12") return TlsVersion::kTls12;
  if (name == "VersionTLS13") return TlsVersion::kTls13;
  return TlsVersion::kUnspecified;
}

std::string AppendCaBundle(const ClusterState& state, const ObjectKey& secret_key,
                           std::string* bundle) {
  auto secret = state.secrets.find(secret_key);
  if (secret == state.secrets.end()) return " not found";
  const std::map<std::string, std::string>& data = secret->second.data;
  std::string data_key = data.contains("tls.ca") ? "tls.ca" : "ca.crt";
  auto pem = data.find(data_key);
  if (pem == data.end()) return " has neither tls.ca nor ca.crt";
  dataplane::X509ChainPtr parsed;
  if (std::string e = dataplane::ParseCaBundle(pem->second, &parsed); !e.empty()) {
    return ": " + data_key + ": " + e;
  }
  *bundle += pem->second;
  if (!bundle->ends_with('\n')) *bundle += '\n';
  return "";
}

namespace {

ClientAuthType AuthType(const std::string& name) {
  if (name == "RequestClientCert") return ClientAuthType::kRequest;
  if (name == "RequireAnyClientCert") return ClientAuthType::kRequireAny;
  if (name == "VerifyClientCertIfGiven") return ClientAuthType::kVerifyIfGiven;
  if (name == "RequireAndVerifyClientCert") return ClientAuthType::kRequireAndVerify;
  return ClientAuthType::kNone;
}

// The CA bundles of clientAuth.secretNames. Returns "" or the problem,
// naming the field and the Secret, never a value.
std::string ReadClientCas(const ClusterState& state, const ObjectKey& key,
                          const crd::TlsOptionSpec& spec, TlsOption* out) {
  for (size_t i = 0; i < spec.client_auth_secret_names.size(); ++i) {
    ObjectKey secret_key{key.namespace_name, spec.client_auth_secret_names[i]};
    if (std::string e = AppendCaBundle(state, secret_key, &out->client_ca_pem); !e.empty()) {
      return "spec.clientAuth.secretNames[" + std::to_string(i) + "]: Secret " + secret_key.str() +
             e;
    }
    out->client_ca_secrets.push_back(secret_key.str());
  }
  return "";
}

// Resolves one TLSOption's spec; "" or the problem that leaves it out.
// Ignored TLS 1.3 suites are reported through *ignored.
std::string Check(const ClusterState& state, const ObjectKey& key, const crd::TlsOptionSpec& spec,
                  TlsOption* out, std::vector<std::string>* ignored) {
  out->min_version = TlsVersionNamed(spec.min_version);
  out->max_version = TlsVersionNamed(spec.max_version);
  for (size_t i = 0; i < spec.cipher_suites.size(); ++i) {
    if (IsTls13Suite(spec.cipher_suites[i])) {
      ignored->push_back("spec.cipherSuites[" + std::to_string(i) + "]: " + spec.cipher_suites[i] +
                         " is a TLS 1.3 suite; TLS 1.3 suites are not configurable, ignored");
      continue;
    }
    out->cipher_suites.push_back(CipherName(spec.cipher_suites[i]));
  }
  for (const std::string& curve : spec.curve_preferences) {
    out->curve_preferences.push_back(CurveName(curve));
  }
  for (size_t i = 0; i < spec.alpn_protocols.size(); ++i) {
    const std::string& protocol = spec.alpn_protocols[i];
    if (protocol.empty() || protocol.size() > 255) {
      return "spec.alpnProtocols[" + std::to_string(i) + "]: must be 1 to 255 bytes";
    }
    out->alpn_protocols.push_back(protocol);
  }
  out->sni_strict = spec.sni_strict;
  out->disable_session_tickets = spec.disable_session_tickets;
  out->client_auth = AuthType(spec.client_auth_type);
  return ReadClientCas(state, key, spec, out);
}

}  // namespace

TlsOptionResolver::TlsOptionResolver(const ClusterState& state, CompileContext* context)
    : state_(state), options_(context->options()) {
  std::vector<std::pair<ObjectKey, TlsOption>> defaults;
  for (const auto& [key, object] : state.crds.tls_options) {
    const std::string source = "TLSOption/" + key.str();
    const bool is_default = key.name == kDefault;
    TlsOption option{.name = is_default ? std::string(kDefault) : key.str()};
    std::vector<std::string> ignored;
    std::string problem = Check(state, key, object.spec, &option, &ignored);
    for (const std::string& message : ignored) context->AddDiagnostic({source, "Ignored", message});
    if (!problem.empty()) {
      invalid_[key] = problem;
      context->AddDiagnostic(
          {source, "InvalidTLSOption",
           problem + (is_default ? "; the option is left out (the built-in defaults apply)"
                                 : "; the option is left out and the routes naming it answer "
                                   "503")});
      continue;
    }
    if (is_default) {
      defaults.emplace_back(key, std::move(option));
    } else {
      valid_.emplace(key, std::move(option));
    }
  }
  if (defaults.size() == 1) default_ = std::move(defaults[0].second);
  if (defaults.size() > 1) {
    std::string namespaces;
    for (const auto& [key, option] : defaults) {
      namespaces += (namespaces.empty() ? "" : ", ") + key.namespace_name;
    }
    for (const auto& [key, option] : defaults) {
      context->AddDiagnostic({"TLSOption/" + key.str(), "Conflict",
                              "TLSOptions named default exist in several namespaces (" +
                                  namespaces + "); none is used, the built-in defaults apply"});
    }
  }
}

bool TlsOptionResolver::Resolve(const std::string& route_namespace, const crd::ObjectRef& ref,
                                std::string* option, std::string* reason, std::string* error) {
  std::string name = ref.name;
  std::string namespace_name = ref.namespace_name.empty() ? route_namespace : ref.namespace_name;
  if (size_t at = name.find('@'); at != std::string::npos) {
    if (std::string_view(name).substr(at + 1) != kCrdProvider) {
      *reason = "TLSOptionNotFound";
      *error = "TLS option " + name + ": only @kubernetescrd references resolve here";
      return false;
    }
    name.resize(at);
    // Traefik names CRD TLS options "<namespace>-<name>" across namespaces.
    if (name != kDefault) {
      if (const ObjectKey* found =
              FindByQualifiedName(state_.crds.tls_options, name, route_namespace)) {
        namespace_name = found->namespace_name;
        name = found->name;
      }
    }
  }
  if (name == kDefault) {
    option->clear();
    return true;
  }
  ObjectKey key{namespace_name, name};
  if (namespace_name != route_namespace && !options_.allow_cross_namespace) {
    *reason = "CrossNamespace";
    *error = "TLS option " + key.str() +
             " is in another namespace, refused (cross-namespace references are off, "
             "--allow-cross-namespace)";
    return false;
  }
  if (auto bad = invalid_.find(key); bad != invalid_.end()) {
    *reason = "InvalidTLSOption";
    *error = "TLS option " + key.str() + " is invalid: " + bad->second;
    return false;
  }
  auto found = valid_.find(key);
  if (found == valid_.end()) {
    *reason = "TLSOptionNotFound";
    *error = "TLS option " + key.str() + " does not exist";
    return false;
  }
  *option = found->second.name;
  used_.emplace(found->second.name, &found->second);
  return true;
}

std::vector<TlsOption> TlsOptionResolver::Used() const {
  std::vector<TlsOption> out;
  if (default_) out.push_back(*default_);
  for (const auto& [name, option] : used_) out.push_back(*option);
  std::sort(out.begin(), out.end(),
            [](const TlsOption& a, const TlsOption& b) { return a.name < b.name; });
  return out;
}

}  // namespace portico::controlplane
