#include "tests/controlplane/support/manifests.h"

#include <google/protobuf/text_format.h>
#include <catch2/catch.hpp>

#include "controlplane/source/yaml_to_json.h"

namespace portico::controlplane::testing {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string DescribeService(const BackendService& service) {
  if (const auto* lb = std::get_if<LoadBalancedService>(&service.kind)) {
    return "-> " + lb->cluster;
  }
  std::vector<std::string> parts;
  if (const auto* split = std::get_if<WeightedServices>(&service.kind)) {
    for (const WeightedChild& c : split->children) {
      std::string weight = std::to_string(c.weight);
      weight.erase(weight.find_last_not_of("0") + 1);  // 3.000000 -> 3.
      if (weight.back() == '.') weight.pop_back();
      parts.push_back(c.service + "*" + weight);
    }
    return "weighted " + Join(parts) + (split->sticky ? " sticky" : "");
  }
  const auto& mirror = std::get<MirroringService>(service.kind);
  for (const MirrorTarget& m : mirror.mirrors) {
    parts.push_back(m.service + "@" + std::to_string(m.percent));
  }
  return "mirror " + mirror.main + " " + Join(parts);
}

std::string DescribeBackends(const std::vector<L4Backend>& backends) {
  std::vector<std::string> parts;
  for (const L4Backend& b : backends) {
    parts.push_back(b.cluster + "*" + std::to_string(b.weight) + (b.tls ? " tls" : "") +
                    (b.servers_transport.empty() ? "" : " transport " + b.servers_transport));
  }
  return parts.empty() ? "closed" : Join(parts);
}

std::string DescribeL4(const CompileResult& result) {
  std::string out;
  for (const TcpRoute& r : result.tcp_routes) {
    std::string tls;
    if (r.tls) {
      tls = std::string(" tls") + (r.passthrough ? " passthrough" : "") +
            (r.tls_options.empty() ? "" : " options " + r.tls_options);
    }
    out += "tcp-route " + r.name + " priority " + std::to_string(r.priority) + " hosts " +
           (r.hosts.empty() ? "*" : Join(r.hosts)) + tls +
           (r.entrypoints.empty() ? "" : " on " + Join(r.entrypoints)) + " -> " +
           DescribeBackends(r.backends) +
           (r.middlewares.empty() ? "" : " via " + Join(r.middlewares)) + " (" + r.source + ")\n";
  }
  for (const UdpRoute& r : result.udp_routes) {
    out += "udp-route " + r.name + (r.entrypoints.empty() ? "" : " on " + Join(r.entrypoints)) +
           " -> " + DescribeBackends(r.backends) + " (" + r.source + ")\n";
  }
  for (const TcpMiddleware& m : result.tcp_middlewares) {
    out += "tcp-middleware " + m.name +
           (m.in_flight_conn ? " inFlightConn " + std::to_string(*m.in_flight_conn)
                             : " ipAllowList " + Join(m.ip_allow_list)) +
           "\n";
  }
  for (const ServersTransportTcp& t : result.tcp_servers_transports) {
    out += "tcp-transport " + t.name + " dial " + std::to_string(t.dial_timeout_ms) +
           " keepalive " + (t.disable_keep_alive ? "off" : std::to_string(t.dial_keep_alive_ms)) +
           " delay " + std::to_string(t.termination_delay_ms) + " proxy " +
           std::to_string(t.proxy_protocol_version);
    if (t.tls) {
      std::vector<std::string> certs;
      for (const Certificate& c : t.tls->certificates) certs.push_back(c.name);
      out += " tls sni " + (t.tls->server_name.empty() ? "-" : t.tls->server_name) +
             (t.tls->insecure_skip_verify ? " insecure" : "") + " cas " +
             Join(t.tls->root_ca_sources) + " certs " + Join(certs);
    }
    out += "\n";
  }
  return out;
}

}  // namespace

std::string ShopSiteRoutes(std::string_view routes) {
  return R"(---
apiVersion: portico.dev/v1alpha1
kind: IngressRoute
metadata: {name: site, namespace: shop}
spec:
  routes:
)" + std::string(routes);
}

std::string ShopTcpRoute(std::string_view name, std::string_view spec) {
  return "---\napiVersion: portico.dev/v1alpha1\nkind: IngressRouteTCP\nmetadata: {name: " +
         std::string(name) + ", namespace: shop}\nspec:\n" + std::string(spec);
}

std::string ShopUdpRoute(std::string_view name, std::string_view spec) {
  return "---\napiVersion: portico.dev/v1alpha1\nkind: IngressRouteUDP\nmetadata: {name: " +
         std::string(name) + ", namespace: shop}\nspec:\n" + std::string(spec);
}

std::string ProtoLine(const google::protobuf::Message& message) {
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  std::string text;
  printer.PrintToString(message, &text);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::vector<SourceObject> ObjectsFromYaml(std::string_view yaml) {
  std::vector<YamlDocument> documents;
  YamlError error;
  INFO(DescribeYamlError(error));
  REQUIRE(YamlToJson(yaml, &documents, &error));
  std::vector<SourceObject> objects;
  for (YamlDocument& doc : documents) {
    objects.push_back({"test.yaml#" + std::to_string(doc.index), std::move(doc.json)});
  }
  return objects;
}

ClusterState StateFromYaml(std::string_view yaml) {
  ClusterStateBuild build = BuildClusterState(ObjectsFromYaml(yaml));
  for (const SourceIssue& issue : build.issues) FAIL(issue.origin + ": " + issue.message);
  return std::move(build.state);
}

std::vector<std::string> DecodeIssues(std::string_view yaml) {
  std::vector<std::string> lines;
  for (const SourceIssue& issue : BuildClusterState(ObjectsFromYaml(yaml)).issues) {
    lines.push_back(issue.origin + ": " + issue.message);
  }
  return lines;
}

std::string Describe(const CompileResult& result) {
  std::string out;
  for (const Route& r : result.routes) {
    if (r.match.tree != nullptr) {
      // Rule routes: priority, the hosts they are filed under, TLS.
      std::string hosts;
      for (const std::string& h : r.hosts) hosts += (hosts.empty() ? "" : ",") + h;
      const RouteTimeouts& t = r.timeouts;
      out += "route " + r.name + " priority " + std::to_string(r.priority) + " hosts " +
             (hosts.empty() ? "*" : hosts) + (r.tls ? " tls" : "") +
             (r.tls_options.empty() ? "" : " options " + r.tls_options) +
             (r.entrypoints.empty() ? "" : " on " + Join(r.entrypoints)) + " -> " +
             (!r.service.empty()  ? r.service
              : r.cluster.empty() ? "503"
                                  : r.cluster) +
             (r.middlewares.empty() ? "" : " via " + Join(r.middlewares)) +
             (t == RouteTimeouts{}
                  ? ""
                  : " timeouts " + std::to_string(t.connect_ms) + "/" +
                        std::to_string(t.response_header_ms) + "/" + std::to_string(t.total_ms)) +
             " (" + r.source + ")\n";
      continue;
    }
    out += "route " + r.name + " " + (r.host.empty() ? "*" : r.host) + " " +
           (r.kind == PathKind::kExact ? "Exact " : "Prefix ") + r.path +
           (r.tls_options.empty() ? "" : " options " + r.tls_options) + " -> " +
           (r.cluster.empty() ? "503" : r.cluster) + " (" + r.source + ")\n";
  }
  for (const Cluster& c : result.clusters) {
    out += "cluster " + c.name;
    for (const Endpoint& e : c.endpoints) {
      bool v6 = e.address.find(':') != std::string::npos;
      out += " " + (v6 ? "[" + e.address + "]" : e.address) + ":" + std::to_string(e.port) +
             (e.terminating ? "~" : "");
    }
    out += "\n";
  }
  for (const BackendService& service : result.services) {
    out += "service " + service.name + " " + DescribeService(service) + "\n";
  }
  for (const Middleware& m : result.middlewares) {
    out += "middleware " + m.name + " " + m.type + "\n";
  }
  if (!result.default_certificate.empty()) {
    out += "default-certificate " + result.default_certificate + "\n";
  }
  for (const TlsOption& o : result.tls_options) {
    out += "tls-option " + o.name + " versions " + std::to_string(static_cast<int>(o.min_version)) +
           "-" + std::to_string(static_cast<int>(o.max_version)) + " suites " +
           Join(o.cipher_suites) + " curves " + Join(o.curve_preferences) + " alpn " +
           Join(o.alpn_protocols) + (o.sni_strict ? " sniStrict" : "") + " clientAuth " +
           std::to_string(static_cast<int>(o.client_auth)) + " cas " + Join(o.client_ca_secrets) +
           (o.disable_session_tickets ? " noTickets" : "") + "\n";
  }
  out += DescribeL4(result);
  for (const Diagnostic& d : result.diagnostics) {
    out += "diagnostic " + d.object + " " + d.reason + ": " + d.message + "\n";
  }
  return out;
}

}  // namespace portico::controlplane::testing
