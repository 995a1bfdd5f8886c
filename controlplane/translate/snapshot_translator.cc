#include "controlplane/translate/snapshot_translator.h"

#include <absl/container/flat_hash_map.h>

#include <cassert>
#include <string_view>

namespace portico::controlplane {
namespace {

void TranslateRoute(const Route& route, v1::Route* out) {
  out->set_name(route.name);
  out->set_host(route.host);
  out->mutable_path()->set_kind(route.kind == PathKind::kExact ? v1::PathMatch::EXACT
                                                               : v1::PathMatch::PREFIX);
  out->mutable_path()->set_path(route.path);
  out->set_cluster(route.cluster);
  out->set_source(route.source);
  if (route.tls) out->mutable_tls()->set_options(route.tls_options);
  if (route.match.tree != nullptr) {
    *out->mutable_match() = *route.match.tree;
    out->clear_path();
  }
  for (const std::string& host : route.hosts) out->add_hosts(host);
  out->set_priority(route.priority);
  for (const std::string& entrypoint : route.entrypoints) out->add_entrypoints(entrypoint);
  out->set_service(route.service);
  for (const std::string& middleware : route.middlewares) out->add_middlewares(middleware);
  if (route.timeouts != RouteTimeouts{}) {
    out->mutable_timeouts()->set_connect_ms(route.timeouts.connect_ms);
    out->mutable_timeouts()->set_response_header_ms(route.timeouts.response_header_ms);
    out->mutable_timeouts()->set_total_ms(route.timeouts.total_ms);
  }
}

void TranslateSticky(const StickyCookie& in, v1::StickyCookie* out) {
  out->set_name(in.name);
  out->set_secure(in.secure);
  out->set_http_only(in.http_only);
  out->set_same_site(in.same_site);
  out->set_max_age(in.max_age);
  out->set_path(in.path);
  out->set_domain(in.domain);
}

void TranslateHealthCheck(const HealthCheck& in, v1::HealthCheck* out) {
  out->set_path(in.path);
  out->set_scheme(in.scheme);
  out->set_hostname(in.hostname);
  out->set_port(in.port);
  out->set_interval_ms(in.interval_ms);
  out->set_unhealthy_interval_ms(in.unhealthy_interval_ms);
  out->set_timeout_ms(in.timeout_ms);
  for (const auto& [name, value] : in.headers) {  // a std::map: sorted by name
    v1::Header* header = out->add_headers();
    header->set_name(name);
    header->set_value(value);
  }
  out->set_status(in.status);
  out->set_follow_redirects(in.follow_redirects);
  out->set_method(in.method);
  out->set_unhealthy_threshold(in.unhealthy_threshold);
  out->set_healthy_threshold(in.healthy_threshold);
}

void TranslateLoadBalanced(const LoadBalancedService& in, v1::LoadBalancedService* out) {
  static constexpr v1::LoadBalancedService::Strategy kStrategies[] = {
      v1::LoadBalancedService::WRR, v1::LoadBalancedService::P2C,
      v1::LoadBalancedService::LEAST_REQUESTS, v1::LoadBalancedService::MAGLEV};
  static constexpr v1::HashKey::Source kSources[] = {v1::HashKey::CLIENT_IP, v1::HashKey::HEADER,
                                                     v1::HashKey::COOKIE, v1::HashKey::PATH};
  out->set_cluster(in.cluster);
  out->set_strategy(kStrategies[static_cast<int>(in.strategy)]);
  if (in.strategy == LbStrategy::kMaglev) {
    out->mutable_hash_key()->set_source(kSources[static_cast<int>(in.hash_key.source)]);
    out->mutable_hash_key()->set_name(in.hash_key.name);
  }
  if (in.sticky) TranslateSticky(*in.sticky, out->mutable_sticky());
  if (in.health_check) TranslateHealthCheck(*in.health_check, out->mutable_health_check());
  out->set_rewrite_host(in.rewrite_host);
  out->set_scheme(in.scheme);
  out->set_servers_transport(in.servers_transport);
  out->set_flush_interval_ms(in.flush_interval_ms);
  if (in.passive_health) {
    out->mutable_passive_health()->set_failure_window_ms(in.passive_health->failure_window_ms);
    out->mutable_passive_health()->set_max_failed_attempts(in.passive_health->max_failed_attempts);
  }
}

void TranslateService(const BackendService& service, v1::Service* out) {
  out->set_name(service.name);
  if (const auto* lb = std::get_if<LoadBalancedService>(&service.kind)) {
    TranslateLoadBalanced(*lb, out->mutable_load_balancer());
  } else if (const auto* split = std::get_if<WeightedServices>(&service.kind)) {
    v1::WeightedServices* weighted = out->mutable_weighted();
    for (const WeightedChild& child : split->children) {
      v1::WeightedChild* c = weighted->add_children();
      c->set_service(child.service);
      c->set_weight(child.weight);
    }
    if (split->sticky) TranslateSticky(*split->sticky, weighted->mutable_sticky());
  } else if (const auto* mirror = std::get_if<MirroringService>(&service.kind)) {
    v1::MirroringService* m = out->mutable_mirroring();
    m->set_main(mirror->main);
    for (const MirrorTarget& target : mirror->mirrors) {
      v1::MirrorTarget* t = m->add_mirrors();
      t->set_service(target.service);
      t->set_percent(target.percent);
    }
    m->set_mirror_body(mirror->mirror_body);
    m->set_max_body_size(mirror->max_body_size);
  }
}

void TranslateMiddleware(const Middleware& middleware, v1::Middleware* out) {
  out->set_name(middleware.name);
  out->set_type(middleware.type);
  if (middleware.retry) {
    v1::RetryPolicy* retry = out->mutable_retry();
    retry->set_attempts(middleware.retry->attempts);
    retry->set_initial_interval_ms(middleware.retry->initial_interval_ms);
    retry->set_retry_non_idempotent(middleware.retry->retry_non_idempotent);
    retry->set_disable_on_network_error(middleware.retry->disable_on_network_error);
  }
}

void TranslateCluster(const Cluster& cluster, v1::Cluster* out) {
  out->set_name(cluster.name);
  for (const Endpoint& endpoint : cluster.endpoints) {
    v1::Endpoint* e = out->add_endpoints();
    e->set_address(endpoint.address);
    e->set_port(endpoint.port);
    e->set_terminating(endpoint.terminating);
  }
}

// The model's enums follow the proto's order (compile_result.h).
void TranslateTlsOption(const TlsOption& option, v1::TlsOption* out) {
  out->set_name(option.name);
  out->set_min_version(static_cast<v1::TlsVersion>(option.min_version));
  out->set_max_version(static_cast<v1::TlsVersion>(option.max_version));
  for (const std::string& suite : option.cipher_suites) out->add_cipher_suites(suite);
  for (const std::string& curve : option.curve_preferences) out->add_curve_preferences(curve);
  for (const std::string& protocol : option.alpn_protocols) out->add_alpn_protocols(protocol);
  out->set_sni_strict(option.sni_strict);
  if (option.client_auth != ClientAuthType::kNone || !option.client_ca_secrets.empty()) {
    v1::ClientAuth* auth = out->mutable_client_auth();
    auth->set_type(static_cast<v1::ClientAuthType>(option.client_auth));
    auth->set_ca_bundle_pem(option.client_ca_pem);
    for (const std::string& secret : option.client_ca_secrets) auth->add_ca_secrets(secret);
  }
  out->set_disable_session_tickets(option.disable_session_tickets);
}

void TranslateServersTransport(const ServersTransport& in, v1::ServersTransport* out) {
  out->set_name(in.name);
  out->set_server_name(in.server_name);
  out->set_insecure_skip_verify(in.insecure_skip_verify);
  out->set_root_cas_pem(in.root_cas_pem);
  for (const std::string& source : in.root_ca_sources) out->add_root_ca_sources(source);
  for (const Certificate& certificate : in.certificates) {
    v1::Certificate* c = out->add_certificates();
    c->set_name(certificate.name);
    c->set_cert_chain_pem(certificate.cert_chain_pem);
    c->set_private_key_pem(certificate.private_key_pem);
  }
  out->set_peer_cert_uri(in.peer_cert_uri);
  out->set_min_version(static_cast<v1::TlsVersion>(in.min_version));
  out->set_max_version(static_cast<v1::TlsVersion>(in.max_version));
  for (const std::string& suite : in.cipher_suites) out->add_cipher_suites(suite);
}

void TranslateBackends(const std::vector<L4Backend>& backends,
                       google::protobuf::RepeatedPtrField<v1::L4Backend>* out) {
  for (const L4Backend& backend : backends) {
    v1::L4Backend* b = out->Add();
    b->set_cluster(backend.cluster);
    b->set_weight(backend.weight);
    b->set_tls(backend.tls);
    b->set_servers_transport(backend.servers_transport);
  }
}

void TranslateTcpRoute(const TcpRoute& route, v1::TcpRoute* out) {
  out->set_name(route.name);
  out->set_source(route.source);
  for (const std::string& entrypoint : route.entrypoints) out->add_entrypoints(entrypoint);
  if (route.match.tree != nullptr) *out->mutable_match() = *route.match.tree;
  for (const std::string& host : route.hosts) out->add_hosts(host);
  out->set_priority(route.priority);
  TranslateBackends(route.backends, out->mutable_backends());
  for (const std::string& middleware : route.middlewares) out->add_middlewares(middleware);
  if (route.tls) {
    out->mutable_tls()->set_passthrough(route.passthrough);
    out->mutable_tls()->set_options(route.tls_options);
  }
}

void TranslateUdpRoute(const UdpRoute& route, v1::UdpRoute* out) {
  out->set_name(route.name);
  out->set_source(route.source);
  for (const std::string& entrypoint : route.entrypoints) out->add_entrypoints(entrypoint);
  TranslateBackends(route.backends, out->mutable_backends());
}

void TranslateTcpMiddleware(const TcpMiddleware& in, v1::TcpMiddleware* out) {
  out->set_name(in.name);
  if (in.in_flight_conn) {
    out->set_in_flight_conn(*in.in_flight_conn);
  } else {
    v1::IpRanges* ranges = out->mutable_ip_allow_list();
    for (const std::string& range : in.ip_allow_list) ranges->add_ranges(range);
  }
}

void TranslateServersTransportTcp(const ServersTransportTcp& in, v1::ServersTransportTcp* out) {
  out->set_name(in.name);
  out->set_dial_timeout_ms(in.dial_timeout_ms);
  out->set_dial_keep_alive_ms(in.dial_keep_alive_ms);
  out->set_disable_keep_alive(in.disable_keep_alive);
  out->set_termination_delay_ms(in.termination_delay_ms);
  out->set_proxy_protocol_version(in.proxy_protocol_version);
  if (in.tls) TranslateServersTransport(*in.tls, out->mutable_tls());
}

// Every field but the version, routes and clusters.
void TranslateRest(const CompileResult& result, v1::Snapshot* snapshot) {
  for (const BackendService& service : result.services) {
    TranslateService(service, snapshot->add_services());
  }
  for (const Middleware& middleware : result.middlewares) {
    TranslateMiddleware(middleware, snapshot->add_middlewares());
  }
  for (const Certificate& certificate : result.certificates) {
    v1::Certificate* c = snapshot->add_certificates();
    c->set_name(certificate.name);
    c->set_cert_chain_pem(certificate.cert_chain_pem);
    c->set_private_key_pem(certificate.private_key_pem);
  }
  for (const TlsOption& option : result.tls_options) {
    TranslateTlsOption(option, snapshot->add_tls_options());
  }
  snapshot->set_default_certificate(result.default_certificate);
  for (const ServersTransport& transport : result.servers_transports) {
    TranslateServersTransport(transport, snapshot->add_servers_transports());
  }
  for (const TcpRoute& route : result.tcp_routes) {
    TranslateTcpRoute(route, snapshot->add_tcp_routes());
  }
  for (const UdpRoute& route : result.udp_routes) {
    TranslateUdpRoute(route, snapshot->add_udp_routes());
  }
  for (const TcpMiddleware& middleware : result.tcp_middlewares) {
    TranslateTcpMiddleware(middleware, snapshot->add_tcp_middlewares());
  }
  for (const ServersTransportTcp& transport : result.tcp_servers_transports) {
    TranslateServersTransportTcp(transport, snapshot->add_tcp_servers_transports());
  }
}

}  // namespace

v1::Snapshot TranslateSnapshot(const CompileResult& result) {
  return SnapshotTranslator().Translate(result).ToMessage();
}

template <typename Model, typename Part>
template <typename TranslateFn>
std::vector<std::shared_ptr<const Part>> SnapshotTranslator::PartCache<Model, Part>::Parts(
    const std::vector<Model>& models, TranslateFn translate) {
  constexpr size_t kNew = static_cast<size_t>(-1);
  std::vector<std::shared_ptr<const Part>> parts;
  parts.reserve(models.size());
  // For each model: the index of its entry in made_ when reused, else kNew
  // (its entry is then in `fresh`). made_ is only read in the walk, so the
  // names the index views stay put.
  std::vector<size_t> source;
  source.reserve(models.size());
  std::vector<std::unique_ptr<Made<Model, Part>>> fresh;
  std::vector<bool> taken(made_.size(), false);
  absl::flat_hash_map<std::string_view, size_t> index;  // built at the first misalignment
  size_t cursor = 0;
  for (const Model& model : models) {
    size_t at = kNew;
    if (cursor < made_.size() && made_[cursor]->from.name == model.name) {
      at = cursor;
    } else {
      if (index.empty() && !made_.empty()) {
        index.reserve(made_.size());
        for (size_t i = 0; i < made_.size(); ++i) index.emplace(made_[i]->from.name, i);
      }
      if (auto found = index.find(model.name); found != index.end()) at = found->second;
    }
    if (at != kNew) cursor = at + 1;
    // Taken already: a name given twice, translated again for the second.
    if (at != kNew && !taken[at] && made_[at]->from == model) {
      taken[at] = true;
      parts.push_back(made_[at]->part);
      source.push_back(at);
      continue;
    }
    decltype(Part::message) message;
    translate(model, &message);
    auto made = std::make_unique<Made<Model, Part>>(
        Made<Model, Part>{model, std::make_shared<const Part>(std::move(message))});
    parts.push_back(made->part);
    source.push_back(kNew);
    fresh.push_back(std::move(made));
  }
  // What this list did not take is forgotten.
  std::vector<std::unique_ptr<Made<Model, Part>>> next;
  next.reserve(models.size());
  size_t next_fresh = 0;
  for (size_t from : source) {
    next.push_back(from == kNew ? std::move(fresh[next_fresh++]) : std::move(made_[from]));
  }
  made_ = std::move(next);
  return parts;
}

SharedSnapshot SnapshotTranslator::Translate(const CompileResult& result) {
  std::vector<RoutePartPtr> routes = routes_.Parts(result.routes, TranslateRoute);
  std::vector<ClusterPartPtr> clusters = clusters_.Parts(result.clusters, TranslateCluster);
  auto rest = std::make_shared<v1::Snapshot>();
  TranslateRest(result, rest.get());
  return SharedSnapshot(std::move(rest), std::move(routes), std::move(clusters));
}

SharedSnapshot SnapshotTranslator::TranslateEndpoints(const CompileResult& result,
                                                      const SharedSnapshot& previous) {
  assert(previous.route_parts().size() == result.routes.size());
  assert(routes_.size() == result.routes.size());
  std::vector<ClusterPartPtr> clusters = clusters_.Parts(result.clusters, TranslateCluster);
  auto rest = std::make_shared<v1::Snapshot>();
  TranslateRest(result, rest.get());
  return SharedSnapshot(std::move(rest), previous.route_parts(), std::move(clusters));
}

}  // namespace portico::controlplane
