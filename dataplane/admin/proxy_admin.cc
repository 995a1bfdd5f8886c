#include "dataplane/admin/proxy_admin.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "dataplane/config/snapshot_client.h"
#include "dataplane/l4/l4_metrics.h"

namespace portico::dataplane {
namespace {

// Removes secret material from a snapshot before it is shown: the private
// keys of its certificates and of ServersTransports' client certificates
// (chains are public and stay).
v1::Snapshot Redacted(const v1::Snapshot& snapshot) {
  v1::Snapshot copy = snapshot;
  for (v1::Certificate& certificate : *copy.mutable_certificates()) {
    certificate.clear_private_key_pem();
  }
  for (v1::ServersTransport& transport : *copy.mutable_servers_transports()) {
    for (v1::Certificate& certificate : *transport.mutable_certificates()) {
      certificate.clear_private_key_pem();
    }
  }
  for (v1::ServersTransportTcp& transport : *copy.mutable_tcp_servers_transports()) {
    for (v1::Certificate& certificate : *transport.mutable_tls()->mutable_certificates()) {
      certificate.clear_private_key_pem();
    }
  }
  return copy;
}

std::string FormatDouble(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", value);
  return buf;
}

}  // namespace

AdminResponse ProxyAdmin::Handle(std::string_view method, std::string_view path) const {
  if (method != "GET" && method != "HEAD") {
    return {.status = 405, .body = "only GET and HEAD are supported\n"};
  }
  if (path == "/ping") return {.body = "pong\n"};
  if (path == "/ready") {
    if (shutting_down_.load()) return {.status = 503, .body = "shutting down\n"};
    if (!publisher_->applied_any()) return {.status = 503, .body = "no snapshot applied yet\n"};
    return {.body = "ready\n"};
  }
  if (path == "/metrics") {
    return {.content_type = "text/plain; version=0.0.4; charset=utf-8", .body = Metrics()};
  }
  if (path == "/config") {
    return {.content_type = "application/json", .body = ConfigJson()};
  }
  return {.status = 404, .body = "not found: try /ping, /ready, /metrics or /config\n"};
}

std::string ProxyAdmin::Metrics() const {
  std::string out;
  out.append(
      "# HELP portico_proxy_requests_total Responses sent, by entrypoint and status code.\n");
  out.append("# TYPE portico_proxy_requests_total counter\n");
  for (const EntrypointCounters& ep : counters_) {
    for (int code = 0; code < RequestCounters::kMaxStatus; ++code) {
      uint64_t total = 0;
      for (const RequestCounters* c : ep.per_worker) total += c->Get(code);
      if (total == 0) continue;
      absl::StrAppend(&out, "portico_proxy_requests_total{entrypoint=\"", ep.entrypoint,
                      "\",code=\"", code == 0 ? std::string("other") : std::to_string(code), "\"} ",
                      total, "\n");
    }
  }
  out.append("# HELP portico_proxy_open_connections Open client connections, by entrypoint.\n");
  out.append("# TYPE portico_proxy_open_connections gauge\n");
  for (const EntrypointCounters& ep : counters_) {
    if (ep.connections == nullptr) continue;
    absl::StrAppend(&out, "portico_proxy_open_connections{entrypoint=\"", ep.entrypoint, "\"} ",
                    ep.connections->open.load(std::memory_order_relaxed), "\n");
  }
  out.append(
      "# HELP portico_proxy_refused_connections_total Client connections closed at once "
      "because the entrypoint had --max-connections open.\n");
  out.append("# TYPE portico_proxy_refused_connections_total counter\n");
  for (const EntrypointCounters& ep : counters_) {
    uint64_t total = 0;
    for (const RequestCounters* c : ep.per_worker) total += c->refused_connections();
    absl::StrAppend(&out, "portico_proxy_refused_connections_total{entrypoint=\"", ep.entrypoint,
                    "\"} ", total, "\n");
  }
  L4Metrics::Process().Render(&out);
  for (const ExtraMetric& m : extra_) {
    absl::StrAppend(&out, "# HELP ", m.name, " ", m.help, "\n# TYPE ", m.name, " ", m.type, "\n",
                    m.name, " ", m.read(), "\n");
  }
  std::string version = publisher_->version();
  absl::StrAppend(&out, "# HELP portico_proxy_snapshot_info The applied snapshot's version.\n",
                  "# TYPE portico_proxy_snapshot_info gauge\n");
  if (!version.empty()) {
    absl::StrAppend(&out, "portico_proxy_snapshot_info{version=\"", version, "\"} 1\n");
  }
  absl::StrAppend(&out, "# TYPE portico_proxy_snapshot_applies_total counter\n",
                  "portico_proxy_snapshot_applies_total ", publisher_->applies(), "\n",
                  "# TYPE portico_proxy_snapshot_rejections_total counter\n",
                  "portico_proxy_snapshot_rejections_total ", publisher_->rejections(), "\n",
                  "# HELP portico_proxy_snapshot_endpoint_only_applies_total Applies that kept "
                  "the routes and rebuilt only endpoints and balancers.\n",
                  "# TYPE portico_proxy_snapshot_endpoint_only_applies_total counter\n",
                  "portico_proxy_snapshot_endpoint_only_applies_total ",
                  publisher_->endpoint_only_applies(), "\n",
                  "# TYPE portico_proxy_snapshot_last_apply_timestamp_seconds gauge\n",
                  "portico_proxy_snapshot_last_apply_timestamp_seconds ",
                  FormatDouble(publisher_->last_apply_unix_seconds()), "\n",
                  "# TYPE portico_proxy_snapshot_apply_duration_seconds gauge\n",
                  "portico_proxy_snapshot_apply_duration_seconds ",
                  FormatDouble(publisher_->last_apply_duration_seconds()), "\n",
                  "# TYPE portico_proxy_controller_connected gauge\n",
                  "portico_proxy_controller_connected ", client_->connected() ? 1 : 0, "\n");
  return out;
}

std::string ProxyAdmin::ConfigJson() const {
  std::shared_ptr<const SharedSnapshot> snapshot = publisher_->snapshot();
  if (snapshot == nullptr) return "{}\n";
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(Redacted(snapshot->ToMessage()), &json, options)
           .ok()) {
    return "{\"error\": \"cannot render the snapshot\"}\n";
  }
  return json;
}

}  // namespace portico::dataplane
