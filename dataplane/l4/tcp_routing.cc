#include "dataplane/l4/tcp_routing.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "dataplane/config/tls_option_mapping.h"

namespace portico::dataplane {
namespace {

bool ValidSniHost(const std::string& host) {
  std::string_view h = host;
  if (h.starts_with("*.")) h.remove_prefix(2);
  if (h.empty() || h.size() > 253) return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

}  // namespace

bool TcpRouting::Build(const v1::Snapshot& snapshot, const ServiceCatalog::ClusterMap& clusters,
                       const TlsContextTable& tls, ConfigError* error) {
  if (!AddTransports(snapshot, error) || !AddMiddlewares(snapshot, error)) return false;
  actions_.reserve(static_cast<size_t>(snapshot.tcp_routes_size()));
  for (const v1::TcpRoute& pr : snapshot.tcp_routes()) {
    if (!AddRoute(pr, clusters, tls, error)) return false;
  }
  tls_table_ = std::make_unique<RouteTable>(tls_routes_);
  plain_table_ = std::make_unique<RouteTable>(plain_routes_);
  std::sort(clusters_.begin(), clusters_.end());
  clusters_.erase(std::unique(clusters_.begin(), clusters_.end()), clusters_.end());
  return true;
}

bool TcpRouting::AddTransports(const v1::Snapshot& snapshot, ConfigError* error) {
  // A TLS context loads CA bundles (the system trust store when none is
  // given): built only for transports a TLS backend dials through.
  bool default_tls = false;
  absl::flat_hash_set<std::string> tls_transports;
  for (const v1::TcpRoute& pr : snapshot.tcp_routes()) {
    for (const v1::L4Backend& pb : pr.backends()) {
      if (!pb.tls()) continue;
      if (pb.servers_transport().empty()) {
        default_tls = true;
      } else {
        tls_transports.insert(pb.servers_transport());
      }
    }
  }
  for (const v1::ServersTransportTcp& pt : snapshot.tcp_servers_transports()) {
    auto fail = [&](const std::string& why) {
      return error->Blame("tcp_servers_transport", pt.name(),
                          absl::StrCat("ServersTransportTCP ", pt.name(), ": ", why));
    };
    TcpTransport t{.name = pt.name()};
    if (pt.dial_timeout_ms() != 0) t.dial_timeout_ms = pt.dial_timeout_ms();
    if (pt.dial_keep_alive_ms() != 0) t.keep_alive_ms = pt.dial_keep_alive_ms();
    if (pt.disable_keep_alive()) t.keep_alive_ms = 0;
    if (pt.termination_delay_ms() != 0) t.termination_delay_ms = pt.termination_delay_ms();
    if (pt.proxy_protocol_version() > 2) {
      return fail(absl::StrCat("proxy_protocol_version ", pt.proxy_protocol_version(),
                               " is not 0, 1 or 2"));
    }
    t.proxy_protocol = static_cast<int>(pt.proxy_protocol_version());
    UpstreamTlsOptions options;
    if (pt.has_tls()) {
      if (std::string e = MapServersTransport(pt.tls(), &options); !e.empty()) return fail(e);
    }
    options.name = pt.name();
    if (tls_transports.contains(pt.name())) {
      std::string why;
      t.tls = UpstreamTlsContext::Create(options, &why);
      if (t.tls == nullptr) return fail(absl::StrCat("tls: ", why));
    }
    transports_.push_back(std::move(t));
    if (!transport_by_name_.emplace(pt.name(), &transports_.back()).second) {
      return fail("duplicate name");
    }
  }
  if (!default_tls) return true;
  std::string why;
  default_transport_.tls = UpstreamTlsContext::Create(UpstreamTlsOptions{}, &why);
  if (default_transport_.tls == nullptr) {
    error->message = absl::StrCat("the default TCP transport's TLS: ", why);
    return false;
  }
  return true;
}

bool TcpRouting::AddMiddlewares(const v1::Snapshot& snapshot, ConfigError* error) {
  for (const v1::TcpMiddleware& pm : snapshot.tcp_middlewares()) {
    auto fail = [&](const std::string& why) {
      return error->Blame("tcp_middleware", pm.name(),
                          absl::StrCat("MiddlewareTCP ", pm.name(), ": ", why));
    };
    TcpMiddlewareSpec m{.name = pm.name()};
    switch (pm.config_case()) {
      case v1::TcpMiddleware::kInFlightConn:
        if (pm.in_flight_conn() == 0) return fail("inFlightConn.amount must be at least 1");
        m.in_flight_conn = pm.in_flight_conn();
        break;
      case v1::TcpMiddleware::kIpAllowList: {
        std::string list;
        for (const std::string& range : pm.ip_allow_list().ranges()) {
          absl::StrAppend(&list, list.empty() ? "" : ",", range);
        }
        CidrSet set;
        if (std::string e = set.Parse(list); !e.empty()) return fail("ipAllowList: " + e);
        m.ip_allow_list = std::move(set);
        break;
      }
      case v1::TcpMiddleware::CONFIG_NOT_SET:
        return fail("no configuration (inFlightConn or ipAllowList)");
    }
    middlewares_.push_back(std::move(m));
    if (!middleware_by_name_.emplace(pm.name(), &middlewares_.back()).second) {
      return fail("duplicate name");
    }
  }
  return true;
}

bool TcpRouting::AddRoute(const v1::TcpRoute& pr, const ServiceCatalog::ClusterMap& clusters,
                          const TlsContextTable& tls, ConfigError* error) {
  auto fail = [&](const std::string& why) {
    return error->Blame("tcp_route", pr.name(), absl::StrCat("TCP route ", pr.name(), ": ", why));
  };
  Route route{.name = pr.name(), .has_path = false, .source = pr.source()};
  for (const std::string& host : pr.hosts()) {
    if (!ValidSniHost(host)) return fail(absl::StrCat("invalid host '", host, "' in hosts"));
    route.hosts.push_back(host);
  }
  if (!pr.has_tls() && !route.hosts.empty()) {
    return fail("a route without TLS cannot match a server name (use HostSNI(`*`))");
  }
  if (pr.has_match()) {
    std::string why;
    route.matcher = RouteMatcher::Build(pr.match(), &why);
    if (route.matcher == nullptr) return fail(why);
  }
  route.entrypoints.assign(pr.entrypoints().begin(), pr.entrypoints().end());
  TcpAction action{.route = pr.name(), .cursor_key = absl::StrCat("r/", pr.name())};
  if (pr.has_tls()) {
    if (pr.tls().passthrough()) {
      action.tls = TcpTlsMode::kPassthrough;
    } else {
      action.tls = TcpTlsMode::kTerminate;
      std::string option = pr.tls().options().empty() ? "default" : pr.tls().options();
      action.tls_context = tls.ForOption(option);
      if (action.tls_context == nullptr) return fail("unknown TLS option " + option);
    }
  }
  for (const std::string& name : pr.middlewares()) {
    auto it = middleware_by_name_.find(name);
    if (it == middleware_by_name_.end()) return fail("unknown TCP middleware " + name);
    action.middlewares.push_back(it->second);
  }
  std::vector<double> weights;
  for (const v1::L4Backend& pb : pr.backends()) {
    if (!clusters.contains(pb.cluster())) return fail("unknown cluster " + pb.cluster());
    if (pb.weight() > 1'000'000) return fail(absl::StrCat("weight ", pb.weight(), " > 1000000"));
    TcpBackend backend{.cluster = pb.cluster(),
                       .cursor_key = absl::StrCat("c/", pb.cluster()),
                       .tls = pb.tls(),
                       .transport = &default_transport_};
    if (!pb.servers_transport().empty()) {
      auto it = transport_by_name_.find(pb.servers_transport());
      if (it == transport_by_name_.end()) {
        return fail("unknown ServersTransportTCP " + pb.servers_transport());
      }
      backend.transport = it->second;
    }
    if (pb.weight() > 0) {
      action.scheduled.push_back(static_cast<uint32_t>(action.backends.size()));
      weights.push_back(pb.weight());
    }
    clusters_.push_back(pb.cluster());
    action.backends.push_back(std::move(backend));
  }
  if (!weights.empty()) action.schedule = std::make_shared<const EdfSchedule>(weights);
  action.counters = L4Metrics::Process().Route("tcp", pr.name());
  route.action = static_cast<uint32_t>(actions_.size());
  actions_.push_back(std::move(action));
  EntrypointUse use{.tls = pr.has_tls(), .plain = !pr.has_tls()};
  auto merge = [&](EntrypointUse* into) {
    into->tls |= use.tls;
    into->plain |= use.plain;
  };
  if (route.entrypoints.empty()) merge(&every_);
  for (const std::string& ep : route.entrypoints) merge(&by_entrypoint_[ep]);
  (pr.has_tls() ? tls_routes_ : plain_routes_).push_back(std::move(route));
  return true;
}

TcpRouting::EntrypointUse TcpRouting::For(std::string_view entrypoint) const {
  EntrypointUse use = every_;
  if (auto it = by_entrypoint_.find(absl::string_view(entrypoint.data(), entrypoint.size()));
      it != by_entrypoint_.end()) {
    use.tls |= it->second.tls;
    use.plain |= it->second.plain;
  }
  return use;
}

const TcpAction* TcpRouting::MatchTls(const MatchInput& input, std::string_view entrypoint) const {
  const Route* route = tls_table_ == nullptr ? nullptr : tls_table_->Match(input, entrypoint);
  return route == nullptr ? nullptr : &actions_[route->action];
}

const TcpAction* TcpRouting::MatchPlain(const MatchInput& input,
                                        std::string_view entrypoint) const {
  const Route* route = plain_table_ == nullptr ? nullptr : plain_table_->Match(input, entrypoint);
  return route == nullptr ? nullptr : &actions_[route->action];
}

}  // namespace portico::dataplane
