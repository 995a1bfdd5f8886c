#include "dataplane/config/runtime_config.h"

#include <arpa/inet.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "dataplane/config/tls_option_mapping.h"
#include "dataplane/http/request_target.h"
#include "dataplane/tls/self_signed.h"

namespace portico::dataplane {
namespace {

bool ValidHost(const std::string& host) {
  std::string_view h = host;
  // Rules may name an IPv6 literal: "[2001:db8::1]".
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') {
    for (char c : h.substr(1, h.size() - 2)) {
      bool ok = (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9') || c == ':' || c == '.';
      if (!ok) return false;
    }
    return true;
  }
  if (h.starts_with("*.")) h.remove_prefix(2);
  if (h.empty() || h.size() > 253) return false;
  for (char c : h) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string NormalizePrefix(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

bool ParseEndpointAddress(const std::string& ip, uint32_t port, sockaddr_storage* out) {
  if (port == 0 || port > 65535) return false;
  *out = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    return true;
  }
  return false;
}

std::shared_ptr<const RuntimeConfig> RuntimeConfig::Build(const SharedSnapshot& snapshot,
                                                          ConfigError* error,
                                                          const RuntimeConfig* previous) {
  std::shared_ptr<RuntimeConfig> config(new RuntimeConfig());
  config->version_ = snapshot.version();
  if (config->version_.empty()) {
    error->message = "snapshot has no version";
    return nullptr;
  }
  if (!config->AddClusters(snapshot, error) ||
      !config->AddServices(snapshot, previous == nullptr ? nullptr : &previous->services_, nullptr,
                           error) ||
      !config->AddRoutes(snapshot, error) || !config->AddTls(snapshot, previous, error)) {
    return nullptr;
  }
  auto tcp = std::make_shared<TcpRouting>();
  if (!tcp->Build(snapshot.rest(), config->clusters_, *config->tls_, error)) return nullptr;
  config->tcp_ = std::move(tcp);
  auto udp = std::make_shared<UdpRouting>();
  if (!udp->Build(snapshot.rest(), config->clusters_, error)) return nullptr;
  config->udp_ = std::move(udp);
  return config;
}

std::shared_ptr<const RuntimeConfig> RuntimeConfig::Build(const v1::Snapshot& snapshot,
                                                          ConfigError* error,
                                                          const RuntimeConfig* previous) {
  // FromMessage would name an unversioned message by its digest; a proxy
  // must not invent the version it ACKs.
  if (snapshot.version().empty()) {
    error->message = "snapshot has no version";
    return nullptr;
  }
  return Build(SharedSnapshot::FromMessage(snapshot), error, previous);
}

std::shared_ptr<const RuntimeConfig> RuntimeConfig::Build(const v1::Snapshot& snapshot,
                                                          std::string* error,
                                                          const RuntimeConfig* previous) {
  ConfigError why;
  auto config = Build(snapshot, &why, previous);
  if (config == nullptr) *error = std::move(why.message);
  return config;
}

bool RuntimeConfig::AddServices(const SharedSnapshot& snapshot, const ServiceCatalog* previous,
                                const absl::flat_hash_set<std::string>* changed_clusters,
                                ConfigError* error) {
  if (services_.Build(snapshot.rest(), clusters_, previous, &error->message, changed_clusters)) {
    return true;
  }
  if (!services_.blamed().empty()) error->resource_key = "service/" + services_.blamed();
  return false;
}

std::shared_ptr<const RuntimeConfig> RuntimeConfig::WithEndpoints(
    const RuntimeConfig& previous, const SharedSnapshot& snapshot,
    const absl::flat_hash_set<std::string>& changed_clusters, ConfigError* error) {
  std::shared_ptr<RuntimeConfig> config(new RuntimeConfig());
  config->version_ = snapshot.version();
  if (config->version_.empty()) {
    error->message = "snapshot has no version";
    return nullptr;
  }
  if (!config->AddClusters(snapshot, error, &previous, &changed_clusters) ||
      !config->AddServices(snapshot, &previous.services_, &changed_clusters, error)) {
    return nullptr;
  }
  config->actions_.reserve(previous.actions_.size());
  for (const RouteAction& before : previous.actions_) {
    RouteAction action = before;
    if (!config->ResolveBackend(&action, &error->message)) {
      error->resource_key = action.service.empty() ? "cluster/" + action.cluster
                                                   : "service/" + action.service;
      return nullptr;
    }
    config->actions_.push_back(std::move(action));
  }
  config->routing_ = previous.routing_;
  config->tls_ = previous.tls_;
  config->tls_inputs_ = previous.tls_inputs_;
  config->tcp_ = previous.tcp_;
  config->udp_ = previous.udp_;
  for (const auto* used : {&config->tcp_->clusters(), &config->udp_->clusters()}) {
    for (const std::string& cluster : *used) {
      if (!config->clusters_.contains(cluster)) {
        error->Blame("cluster", cluster,
                     absl::StrCat("unknown cluster ", cluster, " (a ",
                                  used == &config->tcp_->clusters() ? "TCP" : "UDP",
                                  " route uses it)"));
        return nullptr;
      }
    }
  }
  return config;
}

bool RuntimeConfig::ResolveBackend(RouteAction* action, std::string* error) const {
  action->backend = nullptr;
  action->refusal.clear();
  if (!action->service.empty()) {
    action->backend = services_.Service(action->service);
    if (action->backend == nullptr) {
      *error = absl::StrCat("unknown service ", action->service);
      return false;
    }
    action->refusal = services_.Unsupported(action->service);
  } else if (!action->cluster.empty()) {
    action->backend = services_.ForCluster(action->cluster);
    if (action->backend == nullptr) {
      *error = absl::StrCat("unknown cluster ", action->cluster);
      return false;
    }
  } else {
    action->refusal = "the route's backend service is not available";
  }
  if (action->refusal.empty()) action->refusal = action->middleware_refusal;
  return true;
}

bool RuntimeConfig::AddClusters(const SharedSnapshot& snapshot, ConfigError* error,
                                const RuntimeConfig* previous,
                                const absl::flat_hash_set<std::string>* changed) {
  clusters_.reserve(static_cast<size_t>(snapshot.clusters_size()));
  for (const ClusterPartPtr& part : snapshot.cluster_parts()) {
    const v1::Cluster& pc = part->message;
    if (previous != nullptr && changed != nullptr && !changed->contains(pc.name())) {
      if (auto it = previous->clusters_.find(pc.name()); it != previous->clusters_.end()) {
        if (!clusters_.emplace(pc.name(), it->second).second) {
          return error->Blame("cluster", pc.name(), absl::StrCat("duplicate cluster ", pc.name()));
        }
        continue;
      }
    }
    auto cluster = std::make_shared<Cluster>();
    cluster->name = pc.name();
    cluster->ready.reserve(static_cast<size_t>(pc.endpoints_size()));
    for (const v1::Endpoint& pe : pc.endpoints()) {
      Endpoint ep;
      if (!ParseEndpointAddress(pe.address(), pe.port(), &ep.address)) {
        return error->Blame("cluster", pc.name(),
                            absl::StrCat("cluster ", pc.name(), ": invalid endpoint address '",
                                         pe.address(), "' port ", pe.port()));
      }
      bool v6 = ep.address.ss_family == AF_INET6;
      ep.key = absl::StrCat(v6 ? "[" : "", pe.address(), v6 ? "]" : "", ":", pe.port());
      (pe.terminating() ? cluster->terminating : cluster->ready).push_back(std::move(ep));
    }
    if (!clusters_.emplace(pc.name(), std::move(cluster)).second) {
      return error->Blame("cluster", pc.name(), absl::StrCat("duplicate cluster ", pc.name()));
    }
  }
  return true;
}

namespace {

// Builds the action of one snapshot route (its backend is resolved later);
// false with *error when a middleware does not resolve or is invalid.
// *key is equal for routes that can share the action.
// What makes two routes' actions equal: backend, middlewares and timeouts,
// written into *key (cleared first; a buffer reused across routes). Names
// are length-prefixed: the snapshot is untrusted, and a cluster named
// "x|mauth" must not give the key of cluster "x" behind middleware "auth"
// (the route would share an action without that middleware's refusal).
// False when a middleware is unknown.
bool ActionKey(const v1::Route& pr,
               const absl::flat_hash_map<std::string, const v1::Middleware*>& middlewares,
               std::string* key, ConfigError* error) {
  key->clear();
  if (pr.service().empty()) {
    absl::StrAppend(key, "c", pr.cluster().size(), ":", pr.cluster());
  } else {
    absl::StrAppend(key, "s", pr.service().size(), ":", pr.service());
  }
  for (const std::string& name : pr.middlewares()) {
    if (!middlewares.contains(name)) {
      return error->Blame("route", pr.name(),
                          absl::StrCat("route ", pr.name(), ": unknown middleware ", name));
    }
    absl::StrAppend(key, "|m", name.size(), ":", name);
  }
  const v1::RouteTimeouts& t = pr.timeouts();
  absl::StrAppend(key, "|t", t.connect_ms(), ",", t.response_header_ms(), ",", t.total_ms());
  return true;
}

// The action of a route whose middlewares all exist (ActionKey checked).
bool ActionOf(const v1::Route& pr,
              const absl::flat_hash_map<std::string, const v1::Middleware*>& middlewares,
              RouteAction* action, ConfigError* error) {
  action->service = pr.service();
  action->cluster = pr.service().empty() ? pr.cluster() : std::string();
  for (const std::string& name : pr.middlewares()) {
    const v1::Middleware& m = *middlewares.at(name);
    if (m.config_case() == v1::Middleware::kRetry) {
      const v1::RetryPolicy& r = m.retry();
      if (r.attempts() == 0 || r.attempts() > 100) {
        return error->Blame("middleware", name,
                            absl::StrCat("middleware ", name, ": retry.attempts ", r.attempts(),
                                         " is not in [1, 100]"));
      }
      action->retry = RetrySpec{.attempts = r.attempts(),
                                .initial_interval_ms = r.initial_interval_ms(),
                                .retry_non_idempotent = r.retry_non_idempotent(),
                                .disable_on_network_error = r.disable_on_network_error()};
    } else if (action->middleware_refusal.empty()) {
      // Never pass traffic without a middleware the route asks for.
      action->middleware_refusal =
          absl::StrCat("middleware ", name, " (", m.type().empty() ? "?" : m.type(),
                       ") is not run by this proxy");
    }
  }
  const v1::RouteTimeouts& t = pr.timeouts();
  action->connect_timeout_ms = t.connect_ms();
  action->response_header_timeout_ms = t.response_header_ms();
  action->total_timeout_ms = t.total_ms();
  return true;
}

}  // namespace

bool RuntimeConfig::AddRoutes(const SharedSnapshot& snapshot, ConfigError* error) {
  absl::flat_hash_map<std::string, const v1::Middleware*> middlewares;
  for (const v1::Middleware& m : snapshot.rest().middlewares()) {
    if (!middlewares.emplace(m.name(), &m).second) {
      return error->Blame("middleware", m.name(), absl::StrCat("duplicate middleware ", m.name()));
    }
  }
  auto routing = std::make_shared<Routing>();
  absl::flat_hash_map<std::string, uint32_t> action_by_key;
  std::string key;
  routing->routes.reserve(snapshot.routes_size());
  for (const RoutePartPtr& part : snapshot.route_parts()) {
    const v1::Route& pr = part->message;
    Route route{.name = pr.name(), .host = pr.host(), .source = pr.source()};
    if (!pr.host().empty() && !ValidHost(pr.host())) {
      return error->Blame("route", pr.name(),
                          absl::StrCat("route ", pr.name(), ": invalid host '", pr.host(), "'"));
    }
    for (const std::string& host : pr.hosts()) {
      if (!ValidHost(host)) {
        return error->Blame(
            "route", pr.name(),
            absl::StrCat("route ", pr.name(), ": invalid host '", host, "' in hosts"));
      }
      route.hosts.push_back(host);
    }
    if (pr.has_match()) {
      std::string why;
      route.matcher = RouteMatcher::Build(pr.match(), &why);
      if (route.matcher == nullptr) {
        return error->Blame("route", pr.name(), absl::StrCat("route ", pr.name(), ": ", why));
      }
    }
    route.entrypoints.assign(pr.entrypoints().begin(), pr.entrypoints().end());
    // Rule routes may go without a path; every other route needs one.
    route.has_path = pr.has_path() || !pr.has_match();
    if (route.has_path) {
      if (pr.path().path().empty() || pr.path().path()[0] != '/') {
        return error->Blame("route", pr.name(),
                            absl::StrCat("route ", pr.name(), ": path must start with '/'"));
      }
      route.kind = pr.path().kind() == v1::PathMatch::EXACT ? PathKind::kExact : PathKind::kPrefix;
      // In the request's routing-path form, so "/caf%C3%A9" matches it.
      std::string path = RoutingPath(pr.path().path());
      route.path = route.kind == PathKind::kExact ? path : NormalizePrefix(path);
    }
    // Routes share actions: most find theirs by key without building one.
    if (!ActionKey(pr, middlewares, &key, error)) return false;
    if (auto found = action_by_key.find(key); found != action_by_key.end()) {
      route.action = found->second;
    } else {
      RouteAction action;
      if (!ActionOf(pr, middlewares, &action, error)) return false;
      if (std::string why; !ResolveBackend(&action, &why)) {
        return error->Blame("route", pr.name(), absl::StrCat("route ", pr.name(), ": ", why));
      }
      route.action = static_cast<uint32_t>(actions_.size());
      action_by_key.emplace(key, route.action);
      actions_.push_back(std::move(action));
    }
    (pr.has_tls() ? routing->tls_routes : routing->routes).push_back(std::move(route));
  }
  routing->table = std::make_unique<RouteTable>(routing->routes);
  routing->tls_table = std::make_unique<RouteTable>(routing->tls_routes);
  routing_ = std::move(routing);
  return true;
}

// Certificates were checked by the controller; one that fails here (a
// controller of another version, a corrupted snapshot) refuses the snapshot
// rather than serving a partial set silently. Messages never hold key bytes.
bool RuntimeConfig::AddTls(const SharedSnapshot& shared, const RuntimeConfig* previous,
                           ConfigError* error) {
  tls_inputs_.rest_hash = shared.rest_hash();
  for (const RoutePartPtr& part : shared.route_parts()) {
    const v1::Route& pr = part->message;
    if (!pr.has_tls()) continue;
    tls_inputs_.routes.push_back({pr.name(), pr.tls().options()});
    if (!pr.host().empty()) tls_inputs_.hosts.push_back({pr.host(), pr.tls().options()});
    for (const std::string& host : pr.hosts())
      tls_inputs_.hosts.push_back({host, pr.tls().options()});
  }
  if (previous != nullptr && previous->tls_ != nullptr && previous->tls_inputs_ == tls_inputs_) {
    tls_ = previous->tls_;  // checked when it was built, from the same inputs
    return true;
  }
  const v1::Snapshot& snapshot = shared.rest();
  std::vector<std::shared_ptr<const ServingCertificate>> certificates;
  std::shared_ptr<const ServingCertificate> fallback;
  for (const v1::Certificate& pc : snapshot.certificates()) {
    auto cert = std::make_shared<ServingCertificate>();
    if (std::string e =
            ParseServingCertificate(pc.cert_chain_pem(), pc.private_key_pem(), cert.get());
        !e.empty()) {
      return error->Blame("certificate", pc.name(),
                          absl::StrCat("certificate ", pc.name(), ": ", e));
    }
    cert->name = pc.name();
    if (pc.name() == snapshot.default_certificate()) fallback = cert;
    certificates.push_back(std::move(cert));
  }
  if (!snapshot.default_certificate().empty() && fallback == nullptr) {
    return error->Blame("certificate", snapshot.default_certificate(),
                        absl::StrCat("default certificate ", snapshot.default_certificate(),
                                     " is not among the snapshot's certificates"));
  }
  if (fallback == nullptr) fallback = GeneratedDefaultCertificate();
  auto store = std::make_shared<const CertificateStore>(std::move(certificates), fallback);
  return AddTlsContexts(snapshot, std::move(store), error);
}

// One context per TLS option (the built-in defaults unless the snapshot
// has "default"), bound to the hosts of the TLS routes that name it.
bool RuntimeConfig::AddTlsContexts(const v1::Snapshot& rest,
                                   std::shared_ptr<const CertificateStore> store,
                                   ConfigError* error) {
  std::map<std::string, std::shared_ptr<const TlsServerContext>> contexts;
  std::vector<std::string> warnings;
  auto add = [&](const std::string& name, const TlsServerOptions& options) {
    std::string why;
    auto context = TlsServerContext::Create(options, store, &TicketKeyRing::Process(), &why);
    if (context == nullptr) {
      return error->Blame("tls_option", name, absl::StrCat("TLS option ", name, ": ", why));
    }
    if (!contexts.emplace(name, std::move(context)).second) {
      return error->Blame("tls_option", name, absl::StrCat("duplicate TLS option ", name));
    }
    return true;
  };
  for (const v1::TlsOption& po : rest.tls_options()) {
    TlsServerOptions options;
    if (std::string e = MapTlsOption(po, &options, &warnings); !e.empty()) {
      return error->Blame("tls_option", po.name(), absl::StrCat("TLS option ", po.name(), ": ", e));
    }
    if (!add(po.name(), options)) return false;
  }
  if (!contexts.contains("default") && !add("default", TlsServerOptions{})) return false;
  for (const TlsRoute& tls_route : tls_inputs_.routes) {
    if (!tls_route.option.empty() && !contexts.contains(tls_route.option)) {
      return error->Blame(
          "route", tls_route.route,
          absl::StrCat("route ", tls_route.route, ": unknown TLS option ", tls_route.option));
    }
  }
  tls_ = std::make_shared<const TlsContextTable>(std::move(contexts), tls_inputs_.hosts, &warnings);
  for (const std::string& warning : warnings) {
    LogWarn("proxy", absl::StrCat("snapshot ", version_, ": ", warning));
  }
  return true;
}

const std::shared_ptr<const TlsServerContext>& BootstrapTlsContext() {
  static const std::shared_ptr<const TlsServerContext> context = [] {
    auto store = std::make_shared<const CertificateStore>(
        std::vector<std::shared_ptr<const ServingCertificate>>{}, GeneratedDefaultCertificate());
    std::string error;
    return TlsServerContext::Create(TlsServerOptions{}, std::move(store), &TicketKeyRing::Process(),
                                    &error);
  }();
  return context;
}

}  // namespace portico::dataplane
