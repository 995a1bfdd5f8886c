#include "dataplane/config/service_catalog.h"

#include "absl/strings/str_cat.h"
#include "dataplane/config/runtime_config.h"
#include "dataplane/config/tls_option_mapping.h"

namespace portico::dataplane {
namespace {

BalanceAlgorithm AlgorithmOf(v1::LoadBalancedService::Strategy strategy) {
  switch (strategy) {
    case v1::LoadBalancedService::P2C:
      return BalanceAlgorithm::kPowerOfTwoChoices;
    case v1::LoadBalancedService::LEAST_REQUESTS:
      return BalanceAlgorithm::kLeastRequests;
    case v1::LoadBalancedService::MAGLEV:
      return BalanceAlgorithm::kMaglev;
    default:
      return BalanceAlgorithm::kWeightedRoundRobin;
  }
}

HashKeySpec HashKeyOf(const v1::HashKey& key) {
  HashKeySpec out{.name = key.name()};
  switch (key.source()) {
    case v1::HashKey::HEADER:
      out.source = HashKeySource::kHeader;
      break;
    case v1::HashKey::COOKIE:
      out.source = HashKeySource::kCookie;
      break;
    case v1::HashKey::PATH:
      out.source = HashKeySource::kPath;
      break;
    default:
      out.source = HashKeySource::kClientIp;
      break;
  }
  return out;
}

// False with *error when same_site is not one of Traefik's values.
bool StickyOf(const v1::StickyCookie& in, StickyCookieSpec* out, std::string* error) {
  std::optional<SameSite> same_site = ParseSameSite(in.same_site());
  if (!same_site) {
    *error = absl::StrCat("sticky.cookie.sameSite: '", in.same_site(),
                          "' is not one of none, lax, strict");
    return false;
  }
  *out = {.name = in.name(),
          .secure = in.secure(),
          .http_only = in.http_only(),
          .same_site = *same_site,
          .max_age = in.max_age(),
          .path = in.path().empty() ? "/" : in.path(),
          .domain = in.domain()};
  return true;
}

const std::string kEmpty;

}  // namespace

bool ServiceCatalog::Build(const v1::Snapshot& snapshot, const ClusterMap& clusters,
                           const ServiceCatalog* previous, std::string* error,
                           const absl::flat_hash_set<std::string>* changed_clusters) {
  clusters_ = &clusters;
  previous_ = previous;
  changed_ = previous == nullptr ? nullptr : changed_clusters;
  for (const v1::ServersTransport& transport : snapshot.servers_transports()) {
    if (transport.name().empty() || transports_.contains(transport.name())) {
      *error = absl::StrCat("serversTransport '", transport.name(), "': empty or duplicate name");
      return false;
    }
    BuildTransport(transport.name(), &transport);
  }
  for (const v1::Service& service : snapshot.services()) {
    if (service.name().empty()) {
      *error = "a service has no name";
      return false;
    }
    if (!specs_.emplace(service.name(), &service).second) {
      *error = absl::StrCat("duplicate service ", service.name());
      blamed_ = service.name();
      return false;
    }
  }
  bool ok = true;
  for (const v1::Service& service : snapshot.services()) {
    if (BuildOne(service.name(), 0, error) == nullptr) {
      blamed_ = service.name();
      ok = false;
      break;
    }
  }
  cluster_defaults_.reserve(clusters.size());
  for (const auto& [name, cluster] : clusters) {
    if (!ok) break;
    const PickerFactory* before = nullptr;
    if (previous != nullptr) {
      if (auto it = previous->cluster_defaults_.find(name);
          it != previous->cluster_defaults_.end()) {
        if (changed_ != nullptr && !changed_->contains(name)) {
          cluster_defaults_.emplace(name, it->second);  // the same cluster: the same factory
          continue;
        }
        before = it->second.get();
      }
    }
    // The default spec is always valid.
    cluster_defaults_.emplace(name,
                              PickerFactory::ForCluster(*cluster, BalancerSpec{}, error, before));
  }
  specs_.clear();
  building_.clear();
  previous_ = nullptr;
  changed_ = nullptr;
  return ok;
}

// Builds the TLS context of one transport ("" and null: the default one),
// or takes the previous catalog's when the transport is unchanged: loading
// a CA bundle or the system trust store costs milliseconds. A transport
// this proxy cannot apply keeps its error; its services answer 503.
const ServiceCatalog::Transport* ServiceCatalog::BuildTransport(const std::string& name,
                                                                const v1::ServersTransport* spec) {
  std::string fingerprint = spec == nullptr ? std::string() : spec->SerializeAsString();
  // Verifying against the system trust store: its file counts as settings.
  if (spec == nullptr || (!spec->insecure_skip_verify() && spec->root_cas_pem().empty())) {
    fingerprint += "\n" + SystemTrustStoreStamp();
  }
  if (previous_ != nullptr) {
    auto it = previous_->transports_.find(name);
    if (it != previous_->transports_.end() && it->second.fingerprint == fingerprint) {
      return &transports_.emplace(name, it->second).first->second;
    }
  }
  Transport transport{.fingerprint = std::move(fingerprint)};
  UpstreamTlsOptions options;
  if (spec != nullptr) transport.error = MapServersTransport(*spec, &options);
  if (transport.error.empty()) {
    transport.context = UpstreamTlsContext::Create(options, &transport.error);
  }
  return &transports_.emplace(name, std::move(transport)).first->second;
}

const ServiceCatalog::Transport* ServiceCatalog::TransportFor(const std::string& name) {
  if (auto it = transports_.find(name); it != transports_.end()) return &it->second;
  return name.empty() ? BuildTransport("", nullptr) : nullptr;
}

const ServiceCatalog::Entry* ServiceCatalog::BuildOne(const std::string& name, int depth,
                                                      std::string* error) {
  if (auto it = services_.find(name); it != services_.end()) return &it->second;
  auto spec = specs_.find(name);
  if (spec == specs_.end()) {
    *error = absl::StrCat("unknown service ", name);
    return nullptr;
  }
  if (depth >= PickerFactory::kMaxDepth) {
    *error = absl::StrCat("service ", name, ": services nest deeper than ",
                          PickerFactory::kMaxDepth);
    return nullptr;
  }
  if (!building_.emplace(name, true).second) {
    *error = absl::StrCat("service ", name, ": refers to itself through its children");
    return nullptr;
  }
  const v1::Service& service = *spec->second;
  const Entry* built = nullptr;
  switch (service.kind_case()) {
    case v1::Service::kLoadBalancer:
      built = BuildLoadBalanced(service, error);
      break;
    case v1::Service::kWeighted:
      built = BuildWeighted(service, depth, error);
      break;
    case v1::Service::kMirroring:
      built = BuildMirroring(service, depth, error);
      break;
    case v1::Service::KIND_NOT_SET:
      *error = absl::StrCat("service ", name, ": no kind (load_balancer, weighted or mirroring)");
      break;
  }
  building_.erase(name);
  return built;
}

const ServiceCatalog::Entry* ServiceCatalog::BuildLoadBalanced(const v1::Service& service,
                                                               std::string* error) {
  const v1::LoadBalancedService& lb = service.load_balancer();
  auto cluster = clusters_->find(lb.cluster());
  if (cluster == clusters_->end()) {
    *error = absl::StrCat("service ", service.name(), ": unknown cluster ", lb.cluster());
    return nullptr;
  }
  BalancerSpec spec{.algorithm = AlgorithmOf(lb.strategy()),
                    .hash_key = HashKeyOf(lb.hash_key()),
                    .service_name = service.name(),
                    .rewrite_host = lb.rewrite_host()};
  if (lb.has_passive_health()) {
    // Traefik's rules: the window bounds the failure run and is also how
    // long the endpoint stays out (the pickers keep the proxy's share cap).
    const v1::PassiveHealthCheck& passive = lb.passive_health();
    spec.passive_health = PassiveHealthPolicy{
        .consecutive_failures = static_cast<int>(std::min<uint32_t>(passive.max_failed_attempts(),
                                                                     1'000'000)),
        .base_ejection_ms = passive.failure_window_ms(),
        .max_ejection_ms = passive.failure_window_ms(),
        .failure_window_ms = passive.failure_window_ms()};
  }
  if (lb.has_sticky()) {
    StickyCookieSpec sticky;
    if (!StickyOf(lb.sticky(), &sticky, error)) {
      *error = absl::StrCat("service ", service.name(), ": ", *error);
      return nullptr;
    }
    spec.sticky = std::move(sticky);
  }
  std::string unsupported;
  if (lb.scheme() == "https") {
    const Transport* transport = TransportFor(lb.servers_transport());
    if (transport == nullptr) {
      *error = absl::StrCat("service ", service.name(), ": unknown serversTransport ",
                            lb.servers_transport());
      return nullptr;
    }
    spec.tls = transport->context;
    if (spec.tls == nullptr) {
      unsupported = absl::StrCat("service ", service.name(), ": serversTransport ",
                                 lb.servers_transport(), ": ", transport->error);
    }
  } else if (!lb.scheme().empty() && lb.scheme() != "http") {
    unsupported = absl::StrCat("service ", service.name(), ": scheme ", lb.scheme(),
                               " is not supported by this proxy yet");
  }
  const PickerFactory* before = nullptr;
  std::shared_ptr<const PickerFactory> factory;
  if (previous_ != nullptr) {
    if (auto it = previous_->services_.find(service.name()); it != previous_->services_.end()) {
      before = it->second.factory.get();
      // An endpoint-only change that left this cluster alone.
      if (changed_ != nullptr && !changed_->contains(lb.cluster())) factory = it->second.factory;
    }
  }
  if (factory == nullptr) {
    std::string why;
    factory = PickerFactory::ForCluster(*cluster->second, spec, &why, before);
    if (factory == nullptr) {
      *error = absl::StrCat("service ", service.name(), ": ", why);
      return nullptr;
    }
  }
  Entry entry{.factory = std::move(factory), .unsupported = std::move(unsupported)};
  if (lb.has_health_check()) {
    const v1::HealthCheck& check = lb.health_check();
    if (check.path().empty() || check.path()[0] != '/') {
      *error = absl::StrCat("service ", service.name(), ": health_check.path '", check.path(),
                            "' must start with '/'");
      return nullptr;
    }
    bool taken = false;
    for (const ClusterHealthCheck& existing : health_checks_) {
      taken = taken || existing.cluster == cluster->second.get();
    }
    if (taken) {
      warnings_.push_back(absl::StrCat("service ", service.name(), ": cluster ", lb.cluster(),
                                       " already has a health check; this one is not run"));
    } else {
      health_checks_.push_back({.cluster = cluster->second.get(), .check = check});
    }
  }
  if (!lb.servers_transport().empty() && lb.scheme() != "https") {
    warnings_.push_back(absl::StrCat("service ", service.name(), ": serversTransport ",
                                     lb.servers_transport(),
                                     " is not applied: only its TLS settings are, to https"));
  }
  return &services_.emplace(service.name(), std::move(entry)).first->second;
}

const ServiceCatalog::Entry* ServiceCatalog::BuildWeighted(const v1::Service& service, int depth,
                                                           std::string* error) {
  const v1::WeightedServices& weighted = service.weighted();
  std::vector<WeightedService> children;
  std::string unsupported;
  for (const v1::WeightedChild& child : weighted.children()) {
    const Entry* built = BuildOne(child.service(), depth + 1, error);
    if (built == nullptr) {
      if (error->starts_with("unknown service")) {
        *error = absl::StrCat("service ", service.name(), ": ", *error);
      }
      return nullptr;
    }
    if (unsupported.empty() && child.weight() != 0) unsupported = built->unsupported;
    children.push_back({.service = built->factory, .weight = child.weight()});
  }
  std::optional<StickyCookieSpec> sticky;
  if (weighted.has_sticky()) {
    StickyCookieSpec spec;
    if (!StickyOf(weighted.sticky(), &spec, error)) {
      *error = absl::StrCat("service ", service.name(), ": ", *error);
      return nullptr;
    }
    sticky = std::move(spec);
  }
  auto factory =
      PickerFactory::ForWeighted(service.name(), std::move(children), std::move(sticky), error);
  if (factory == nullptr) return nullptr;
  return &services_
              .emplace(service.name(),
                       Entry{.factory = std::move(factory), .unsupported = std::move(unsupported)})
              .first->second;
}

const ServiceCatalog::Entry* ServiceCatalog::BuildMirroring(const v1::Service& service,
                                                            int depth, std::string* error) {
  const v1::MirroringService& mirroring = service.mirroring();
  const Entry* main = BuildOne(mirroring.main(), depth + 1, error);
  if (main == nullptr) {
    if (error->starts_with("unknown service")) {
      *error = absl::StrCat("service ", service.name(), ": main: ", *error);
    }
    return nullptr;
  }
  std::vector<MirrorService> mirrors;
  for (const v1::MirrorTarget& target : mirroring.mirrors()) {
    const Entry* built = BuildOne(target.service(), depth + 1, error);
    if (built == nullptr) {
      if (error->starts_with("unknown service")) {
        *error = absl::StrCat("service ", service.name(), ": mirrors: ", *error);
      }
      return nullptr;
    }
    mirrors.push_back({.service = built->factory, .percent = static_cast<int>(target.percent())});
  }
  MirrorBodySpec body{.mirror_body = mirroring.mirror_body(),
                      .max_body_size = mirroring.max_body_size()};
  std::string unsupported = main->unsupported;
  auto factory =
      PickerFactory::ForMirroring(service.name(), main->factory, std::move(mirrors), body, error);
  if (factory == nullptr) return nullptr;
  return &services_
              .emplace(service.name(),
                       Entry{.factory = std::move(factory), .unsupported = std::move(unsupported)})
              .first->second;
}

std::shared_ptr<const PickerFactory> ServiceCatalog::Service(const std::string& name) const {
  auto it = services_.find(name);
  return it == services_.end() ? nullptr : it->second.factory;
}

std::shared_ptr<const PickerFactory> ServiceCatalog::ForCluster(const std::string& cluster) const {
  auto it = cluster_defaults_.find(cluster);
  return it == cluster_defaults_.end() ? nullptr : it->second;
}

const std::string& ServiceCatalog::Unsupported(const std::string& service) const {
  auto it = services_.find(service);
  return it == services_.end() ? kEmpty : it->second.unsupported;
}

}  // namespace portico::dataplane
