#include "controlplane/compiler/tls_processor.h"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <map>
#include <set>

#include "controlplane/compiler/ingress_class_selection.h"
#include "controlplane/compiler/tls_option_resolver.h"
#include "dataplane/tls/serving_certificate.h"

namespace portico::controlplane {
namespace {

// What checking one Secret found.
struct CheckedSecret {
  std::string problem;  // "" when the certificate is good
  std::string reason;   // SecretNotFound or InvalidCertificate
};

CheckedSecret Check(const ClusterState& state, const ObjectKey& key, int64_t now,
                    std::map<std::string, Certificate>* certificates, int64_t* valid_until) {
  auto it = state.secrets.find(key);
  if (it == state.secrets.end()) return {"not found", "SecretNotFound"};
  const Secret& secret = it->second;
  auto crt = secret.data.find("tls.crt");
  auto pem_key = secret.data.find("tls.key");
  if (crt == secret.data.end() || crt->second.empty())
    return {"has no tls.crt", "InvalidCertificate"};
  if (pem_key == secret.data.end() || pem_key->second.empty()) {
    return {"has no tls.key", "InvalidCertificate"};
  }
  dataplane::ServingCertificate parsed;
  std::string problem = dataplane::ParseServingCertificate(crt->second, pem_key->second, &parsed);
  if (problem.empty()) {
    problem = dataplane::CheckValidityPeriod(parsed, now);
    // The next second at which CheckValidityPeriod's answer changes.
    int64_t change = now < parsed.not_before ? parsed.not_before
                     : now <= parsed.not_after && parsed.not_after < INT64_MAX
                         ? parsed.not_after + 1
                         : INT64_MAX;
    *valid_until = std::min(*valid_until, change);
  }
  if (!problem.empty()) return {problem, "InvalidCertificate"};
  certificates->emplace(key.str(), Certificate{.name = key.str(),
                                               .cert_chain_pem = crt->second,
                                               .private_key_pem = pem_key->second});
  return {};
}

// Checks each Secret once per compile, however many objects name it, and
// keeps the good certificates by name.
class SecretChecks {
 public:
  SecretChecks(const ClusterState& state, int64_t now) : state_(state), now_(now) {}

  // Checks the Secret `key` that `field` of `source` names; a bad one gets
  // a diagnostic on `source`. True when its certificate is served.
  bool Use(const std::string& source, const std::string& field, const ObjectKey& key,
           CompileContext* context) {
    auto it = checked_.find(key);
    if (it == checked_.end()) {
      it = checked_.emplace(key, Check(state_, key, now_, &good_, &valid_until_)).first;
    }
    if (it->second.problem.empty()) return true;
    context->AddDiagnostic({source, it->second.reason,
                            field + ": Secret " + key.str() + ": " + it->second.problem +
                                "; its certificate is left out (the default one is served)"});
    return false;
  }
  std::map<std::string, Certificate>& certificates() { return good_; }
  int64_t valid_until() const { return valid_until_; }

 private:
  const ClusterState& state_;
  int64_t now_;
  int64_t valid_until_ = INT64_MAX;
  std::map<ObjectKey, CheckedSecret> checked_;
  std::map<std::string, Certificate> good_;
};

// Traefik's TLSStore: only the one named default is used (two in different
// namespaces: none). Its certificates join the store; its
// defaultCertificate is served to names no certificate covers.
void CompileTlsStore(const ClusterState& state, SecretChecks* secrets, CompileContext* context) {
  std::vector<const crd::TlsStore*> defaults;
  std::string namespaces;
  for (const auto& [key, store] : state.crds.tls_stores) {
    if (key.name != "default") {
      context->AddDiagnostic({"TLSStore/" + key.str(), "Unsupported",
                              "only the TLSStore named default is used; this one is ignored"});
      continue;
    }
    defaults.push_back(&store);
    namespaces += (namespaces.empty() ? "" : ", ") + key.namespace_name;
  }
  for (size_t i = 0; defaults.size() > 1 && i < defaults.size(); ++i) {
    context->AddDiagnostic(
        {"TLSStore/" + defaults[i]->meta.key().str(), "Conflict",
         "TLSStores named default exist in several namespaces (" + namespaces + "); none is used"});
  }
  if (defaults.size() != 1) return;
  const crd::TlsStore& store = *defaults[0];
  const std::string source = "TLSStore/" + store.meta.key().str();
  const std::string& namespace_name = store.meta.namespace_name;
  for (size_t i = 0; i < store.spec.certificate_secret_names.size(); ++i) {
    secrets->Use(source, "spec.certificates[" + std::to_string(i) + "].secretName",
                 {namespace_name, store.spec.certificate_secret_names[i]}, context);
  }
  const std::string& fallback = store.spec.default_certificate_secret_name;
  ObjectKey fallback_key{namespace_name, fallback};
  if (!fallback.empty() &&
      secrets->Use(source, "spec.defaultCertificate.secretName", fallback_key, context)) {
    context->default_certificate() = fallback_key.str();
  }
  if (store.spec.default_generated_cert_resolver) {
    context->AddDiagnostic({source, "Unsupported",
                            "spec.defaultGeneratedCert: certificate resolvers (ACME) are not "
                            "supported; the generated self-signed certificate is the default"});
  }
}

// Traefik binds options to hosts: TLS routes of one host that name
// different options leave that host with the default option (proxies do
// the same, tls_context_table.h). Reported on every object involved.
void ReportOptionConflicts(CompileContext* context) {
  std::map<std::string, std::map<std::string, std::set<std::string>>> by_host;  // option → sources
  for (const RouteCandidate& candidate : context->candidates()) {
    const Route& route = candidate.route;
    if (!route.tls) continue;
    const std::string option = route.tls_options.empty() ? "default" : route.tls_options;
    if (!route.host.empty()) by_host[route.host][option].insert(route.source);
    for (const std::string& host : route.hosts) by_host[host][option].insert(route.source);
  }
  for (const auto& [host, options] : by_host) {
    if (options.size() < 2) continue;
    std::string names;
    std::set<std::string> sources;
    for (const auto& [option, objects] : options) {
      names += (names.empty() ? "" : ", ") + option;
      sources.insert(objects.begin(), objects.end());
    }
    for (const std::string& source : sources) {
      context->AddDiagnostic({source, "TLSOptionConflict",
                              "host " + host + ": its TLS routes name different TLS options (" +
                                  names + "); the host uses the default option"});
    }
  }
}

// Whether `tls_host` from spec.tls covers the route host `host`.
bool Covers(const std::string& tls_host, const std::string& host) {
  if (tls_host == host) return true;
  if (!tls_host.starts_with("*.") || host.starts_with("*.")) return false;
  size_t dot = host.find('.');
  return dot != std::string::npos && host.compare(dot, std::string::npos, tls_host, 1) == 0;
}

// The TLS option a route source names, or why it cannot be used.
struct OptionChoice {
  std::string option;   // "" = the default option
  bool broken = false;  // its routes answer 503
};

// "<namespace>/<name>" or "<name>" of the portico.dev/tls-options annotation.
crd::ObjectRef AnnotationRef(const std::string& value) {
  size_t slash = value.find('/');
  if (slash == std::string::npos) return {.name = value, .namespace_name = ""};
  return {.name = value.substr(slash + 1), .namespace_name = value.substr(0, slash)};
}

OptionChoice ChooseOption(TlsOptionResolver& resolver, const std::string& source,
                          const std::string& namespace_name, const crd::ObjectRef& ref,
                          const std::string& field, const std::string& consequence,
                          CompileContext* context) {
  OptionChoice choice;
  std::string reason;
  std::string error;
  if (ref.name.empty() || ref.name.find('/') != std::string::npos) {
    reason = "InvalidTLSOption";
    error = "must name a TLSOption as <namespace>/<name> or <name>, got \"" +
            (ref.namespace_name.empty() ? ref.name : ref.namespace_name + "/" + ref.name) + "\"";
  } else if (resolver.Resolve(namespace_name, ref, &choice.option, &reason, &error)) {
    return choice;
  }
  choice.broken = true;
  context->AddDiagnostic(
      {source, reason, field + ": " + error + "; its TLS routes " + consequence});
  return choice;
}

// What the TLS sections of route objects say, by route source.
struct TlsSections {
  std::map<std::string, std::vector<std::string>> ingress_hosts;  // Ingress spec.tls hosts
  std::set<std::string> tls_objects;  // IngressRoutes with `tls`: every route TLS-only
  std::map<std::string, OptionChoice> options;
};

void ReadIngressTls(const ClusterState& state, TlsOptionResolver& resolver, SecretChecks* secrets,
                    CompileContext* context, TlsSections* out) {
  for (const auto& [key, ingress] : state.ingresses) {
    if (!ClassSelects(state, ingress, context->options())) continue;
    const std::string source = "Ingress/" + key.str();
    if (!ingress.tls_options.empty()) {
      out->options[source] =
          ChooseOption(resolver, source, key.namespace_name, AnnotationRef(ingress.tls_options),
                       "metadata.annotations[" + std::string(kTlsOptionsAnnotation) + "]",
                       "answer 503", context);
    }
    std::vector<std::string>& hosts = out->ingress_hosts[source];
    for (size_t i = 0; i < ingress.tls.size(); ++i) {
      const IngressTls& entry = ingress.tls[i];
      hosts.insert(hosts.end(), entry.hosts.begin(), entry.hosts.end());
      if (entry.secret_name.empty()) continue;
      secrets->Use(source, "spec.tls[" + std::to_string(i) + "]",
                   {key.namespace_name, entry.secret_name}, context);
    }
  }
}

// The `tls` section of the route object `source`: its TLS option, its
// Secret's certificate, and what is not applied. `consequence` is what its
// TLS routes do when the option is unusable.
void ReadRouteTls(const std::string& source, const std::string& namespace_name,
                  const crd::RouteTls& tls, const std::string& consequence,
                  TlsOptionResolver& resolver, SecretChecks* secrets, CompileContext* context,
                  TlsSections* out) {
  if (tls.options) {
    out->options[source] = ChooseOption(resolver, source, namespace_name, *tls.options,
                                        "spec.tls.options", consequence, context);
  }
  if (!tls.cert_resolver.empty() || !tls.domains.empty()) {
    context->AddDiagnostic({source, "Unsupported",
                            "spec.tls: certResolver and domains are not applied yet; the "
                            "routes serve TLS with the certificates of the store"});
  }
  if (tls.store && tls.store->name != "default") {
    context->AddDiagnostic({source, "Unsupported",
                            "spec.tls.store: only the TLSStore named default is used; the "
                            "routes serve TLS with its certificates"});
  }
  if (tls.secret_name.empty()) return;
  secrets->Use(source, "spec.tls.secretName", {namespace_name, tls.secret_name}, context);
}

// IngressRoutes with a `tls` section serve every route over TLS only
// (Traefik's routers with tls), with the Secret's certificate if named.
void ReadIngressRouteTls(const ClusterState& state, TlsOptionResolver& resolver,
                         SecretChecks* secrets, CompileContext* context, TlsSections* out) {
  for (const auto& [key, object] : state.crds.ingress_routes) {
    if (!object.spec.tls || !ClassSelects(object, context->options())) continue;
    const std::string source = "IngressRoute/" + key.str();
    out->tls_objects.insert(source);
    ReadRouteTls(source, key.namespace_name, *object.spec.tls, "answer 503", resolver, secrets,
                 context, out);
  }
}

// IngressRouteTCPs with `tls`: the same as IngressRoutes' (a passthrough
// route terminates nothing: its options are ignored; its Secret's
// certificate still joins the store, as in Traefik).
void ReadIngressRouteTcpTls(const ClusterState& state, TlsOptionResolver& resolver,
                            SecretChecks* secrets, CompileContext* context, TlsSections* out) {
  for (const auto& [key, object] : state.crds.ingress_routes_tcp) {
    if (!object.spec.tls || !ClassSelects(object, context->options())) continue;
    crd::RouteTls tls = *object.spec.tls;
    if (tls.passthrough) tls.options.reset();  // Traefik ignores it too
    ReadRouteTls("IngressRouteTCP/" + key.str(), key.namespace_name, tls,
                 "close their connections", resolver, secrets, context, out);
  }
}

void MarkTlsRoutes(const TlsSections& sections, CompileContext* context) {
  for (RouteCandidate& candidate : context->candidates()) {
    Route& route = candidate.route;
    if (sections.tls_objects.contains(route.source)) {
      route.tls = true;
    } else if (auto hosts = sections.ingress_hosts.find(route.source);
               hosts != sections.ingress_hosts.end() && !route.host.empty()) {
      for (const std::string& tls_host : hosts->second) {
        if (Covers(tls_host, route.host)) route.tls = true;
      }
    }
    auto option = sections.options.find(route.source);
    if (!route.tls || option == sections.options.end()) continue;
    route.tls_options = option->second.option;
    // Never served without the option it names (it may require client
    // certificates): 503, as for other unservable routes.
    if (option->second.broken) route.MakeUnservable();
  }
  // TCP routes terminating TLS: the option of their object's spec.tls.
  for (TcpRouteCandidate& candidate : context->tcp_candidates()) {
    TcpRoute& route = candidate.route;
    auto option = sections.options.find(route.source);
    if (!route.tls || route.passthrough || option == sections.options.end()) continue;
    route.tls_options = option->second.option;
    if (option->second.broken) route.MakeUnservable();
  }
}

}  // namespace

void CompileTls(const ClusterState& state, int64_t now_unix, CompileContext* context) {
  SecretChecks secrets(state, now_unix);
  TlsOptionResolver resolver(state, context);
  TlsSections sections;
  ReadIngressTls(state, resolver, &secrets, context, &sections);
  ReadIngressRouteTls(state, resolver, &secrets, context, &sections);
  ReadIngressRouteTcpTls(state, resolver, &secrets, context, &sections);
  CompileTlsStore(state, &secrets, context);
  MarkTlsRoutes(sections, context);
  ReportOptionConflicts(context);
  context->tls_options() = resolver.Used();
  context->valid_until() = std::min(context->valid_until(), secrets.valid_until());
  for (auto& [name, certificate] : secrets.certificates()) {
    context->certificates().push_back(std::move(certificate));
  }
}

void RunTlsProcessor(const ClusterState& state, CompileContext* context) {
  CompileTls(state, static_cast<int64_t>(time(nullptr)), context);
}

}  // namespace portico::controlplane
