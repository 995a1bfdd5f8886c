#include "controlplane/admin/controller_admin.h"

#include <algorithm>
#include <cstdio>

#include "google/protobuf/util/json_util.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace portico::controlplane {
namespace {

// Prometheus label values escape backslash, quote and newline.
std::string LabelValue(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void Metric(std::string* out, const char* name, const char* type, const char* help,
            uint64_t value) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
          name + " " + std::to_string(value) + "\n";
}

void Gauge(std::string* out, const char* name, const char* help) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n";
}

std::string Number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", value);
  return buffer;
}

// The labels of one reflector's samples.
std::string ReflectorLabels(const ReflectorCounters& r) {
  return "{group=\"" + LabelValue(r.group) + "\",kind=\"" + LabelValue(r.kind) + "\",namespace=\"" +
         LabelValue(r.namespace_) + "\"}";
}

void KubeMetrics(std::string* out, const KubeCounters& kube) {
  Metric(out, "portico_controller_leader", "gauge",
         "1 while this replica holds the Lease and writes status.", kube.leader ? 1 : 0);
  Metric(out, "portico_controller_lease_transitions_total", "counter",
         "Times this replica acquired the Lease (became the leader).", kube.lease_transitions);
  Metric(out, "portico_controller_ingress_status_writes_total", "counter",
         "Ingress status.loadBalancer writes the API server accepted (leader only).",
         kube.ingress_status_writes);
  Metric(out, "portico_controller_ingress_status_write_failures_total", "counter",
         "Ingress status reads or writes that failed (retried later).",
         kube.ingress_status_write_failures);
  struct Series {
    const char* name;
    const char* type;
    const char* help;
    std::string (*value)(const ReflectorCounters&);
  };
  static const Series kSeries[] = {
      {"portico_controller_reflector_relists_total", "counter",
       "Lists of a collection after its first one (after 410 Gone or a failed watch).",
       [](const ReflectorCounters& r) { return std::to_string(r.relists); }},
      {"portico_controller_reflector_watch_restarts_total", "counter",
       "Watches of a collection started after its first one.",
       [](const ReflectorCounters& r) { return std::to_string(r.watch_restarts); }},
      {"portico_controller_reflector_events_total", "counter",
       "Watch events applied to the controller's copy of a collection.",
       [](const ReflectorCounters& r) { return std::to_string(r.events); }},
      {"portico_controller_reflector_last_sync_timestamp_seconds", "gauge",
       "When the copy of a collection was last known current (a complete list, a watch "
       "event or bookmark), in seconds since the Unix epoch; 0 before the first list.",
       [](const ReflectorCounters& r) { return Number(r.last_sync_unix_ms / 1000.0); }},
  };
  for (const Series& series : kSeries) {
    *out += std::string("# HELP ") + series.name + " " + series.help + "\n# TYPE " + series.name +
            " " + series.type + "\n";
    for (const ReflectorCounters& r : kube.reflectors) {
      *out += series.name + ReflectorLabels(r) + " " + series.value(r) + "\n";
    }
  }
}

}  // namespace

v1::Snapshot RedactSecrets(const v1::Snapshot& snapshot) {
  v1::Snapshot copy = snapshot;
  auto redact = [](v1::Certificate& certificate) {
    if (!certificate.private_key_pem().empty()) certificate.set_private_key_pem("<redacted>");
  };
  for (v1::Certificate& certificate : *copy.mutable_certificates()) redact(certificate);
  // Client certificates for mutual TLS to backends.
  for (v1::ServersTransport& transport : *copy.mutable_servers_transports()) {
    for (v1::Certificate& certificate : *transport.mutable_certificates()) redact(certificate);
  }
  for (v1::ServersTransportTcp& transport : *copy.mutable_tcp_servers_transports()) {
    if (!transport.has_tls()) continue;  // mutable_tls() would add one
    for (v1::Certificate& certificate : *transport.mutable_tls()->mutable_certificates()) {
      redact(certificate);
    }
  }
  return copy;
}

AdminResponse ControllerAdmin::Handle(std::string_view method, std::string_view path) const {
  if (method != "GET" && method != "HEAD") return {.status = 405, .body = "use GET\n"};
  if (path == "/ping") return {.body = "pong\n"};
  if (path == "/ready") {
    if (pipeline_->current()) return {.body = "ready\n"};
    return {.status = 503, .body = "no snapshot compiled yet\n"};
  }
  if (path == "/metrics") {
    return {.content_type = "text/plain; version=0.0.4; charset=utf-8", .body = Metrics()};
  }
  if (path == "/snapshot") return SnapshotJson();
  if (path == "/proxies") return ProxiesJson();
  return {.status = 404, .body = "not found\n"};
}

std::string ControllerAdmin::Metrics() const {
  std::string out;
  const PipelineStats& stats = pipeline_->stats();
  auto snapshot = pipeline_->current();
  out +=
      "# HELP portico_controller_snapshot_info The version of the current snapshot.\n"
      "# TYPE portico_controller_snapshot_info gauge\n";
  if (snapshot) {
    out += "portico_controller_snapshot_info{version=\"" + snapshot->version() + "\"} 1\n";
  }
  Metric(&out, "portico_controller_routes", "gauge", "Routes in the current snapshot.",
         snapshot ? static_cast<uint64_t>(snapshot->routes_size()) : 0);
  Metric(&out, "portico_controller_clusters", "gauge", "Clusters in the current snapshot.",
         snapshot ? static_cast<uint64_t>(snapshot->clusters_size()) : 0);
  Metric(&out, "portico_controller_compiles_total", "counter", "Compilations run.",
         stats.compiles_total);
  Metric(&out, "portico_controller_endpoint_only_compiles_total", "counter",
         "Compilations that only changed endpoints and skipped the decode and compile.",
         stats.endpoint_only_total);
  Metric(&out, "portico_controller_objects_decoded_total", "counter",
         "Source objects decoded, summed over every load.", stats.objects_decoded_total);
  Metric(&out, "portico_controller_objects_reused_total", "counter",
         "Source objects whose decoded form was kept from the previous load (unchanged).",
         stats.objects_reused_total);
  Metric(&out, "portico_controller_in_place_decodes_total", "counter",
         "Loads decoded by editing the previous state with what changed.",
         stats.decoded_in_place_total);
  Metric(&out, "portico_controller_ingress_patches_total", "counter",
         "Compilations that patched the previous result because only Ingresses changed.",
         stats.ingress_patches_total);
  Metric(&out, "portico_controller_source_errors", "gauge",
         "Manifests or objects refused in the last load.", stats.source_errors);
  Metric(&out, "portico_controller_source_errors_total", "counter",
         "Manifest and object problems reported, summed over every load.",
         stats.source_errors_total);
  Metric(&out, "portico_controller_compile_diagnostics", "gauge",
         "Object problems found by the last compile.", stats.diagnostics);
  std::vector<ProxyStatus> proxies = server_ ? server_->Proxies() : std::vector<ProxyStatus>{};
  std::sort(proxies.begin(), proxies.end(),
            [](const ProxyStatus& a, const ProxyStatus& b) { return a.node < b.node; });
  Metric(&out, "portico_controller_connected_proxies", "gauge", "Open snapshot streams.",
         proxies.size());
  out +=
      "# HELP portico_controller_proxy_acked The snapshot version each proxy last applied.\n"
      "# TYPE portico_controller_proxy_acked gauge\n";
  for (const ProxyStatus& p : proxies) {
    if (p.acked_version.empty()) continue;
    out += "portico_controller_proxy_acked{node=\"" + LabelValue(p.node) + "\",version=\"" +
           LabelValue(p.acked_version) + "\"} 1\n";
  }
  Gauge(&out, "portico_controller_proxy_lag_seconds",
        "How long each proxy has been behind the current snapshot (0: up to date).");
  for (const ProxyStatus& p : proxies) {
    out += "portico_controller_proxy_lag_seconds{node=\"" + LabelValue(p.node) + "\"} " +
           Number(p.lag_seconds) + "\n";
  }
  Gauge(&out, "portico_controller_proxy_push_pending",
        "1 while a transfer to the proxy awaits its answer.");
  for (const ProxyStatus& p : proxies) {
    out += "portico_controller_proxy_push_pending{node=\"" + LabelValue(p.node) + "\"} " +
           (p.pending_version.empty() ? "0" : "1") + "\n";
  }
  Metric(&out, "portico_controller_nacks_total", "counter", "Snapshots refused by proxies.",
         server_ ? server_->nacks_total() : 0);
  Metric(&out, "portico_controller_ack_timeouts_total", "counter",
         "Streams closed because a push went unanswered.",
         server_ ? server_->ack_timeouts_total() : 0);
  Metric(&out, "portico_controller_transfers_built_total", "counter",
         "FULL and DELTA transfers built (each is shared by every stream that sends it).",
         server_ ? server_->transfers_built_total() : 0);
  StatusWriterCounters status = status_counters_ ? status_counters_() : StatusWriterCounters{};
  Metric(&out, "portico_controller_crd_status_writes_total", "counter",
         "Status patches of custom resources the API server accepted (leader only).",
         status.writes);
  Metric(&out, "portico_controller_crd_status_write_failures_total", "counter",
         "Status patches of custom resources that failed and were retried.", status.failures);
  if (kube_counters_) KubeMetrics(&out, kube_counters_());
  return out;
}

AdminResponse ControllerAdmin::ProxiesJson() const {
  std::vector<ProxyStatus> proxies = server_ ? server_->Proxies() : std::vector<ProxyStatus>{};
  std::sort(proxies.begin(), proxies.end(),
            [](const ProxyStatus& a, const ProxyStatus& b) { return a.node < b.node; });
  auto snapshot = pipeline_->current();
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("current_version");
  w.String(snapshot ? snapshot->version() : "");
  w.Key("proxies");
  w.StartArray();
  for (const ProxyStatus& p : proxies) {
    w.StartObject();
    for (const auto& [key, value] :
         {std::pair<const char*, const std::string*>{"node", &p.node},
          {"peer", &p.peer},
          {"acked_version", &p.acked_version},
          {"pending_version", &p.pending_version},
          {"nacked_version", &p.nacked_version},
          {"nack_code", &p.nack_code},
          {"nack_error", &p.nack_error}}) {
      w.Key(key);
      w.String(*value);
    }
    w.Key("nack_resource_keys");
    w.StartArray();
    for (const std::string& key : p.nack_resource_keys) w.String(key);
    w.EndArray();
    w.Key("labels");
    w.StartObject();
    for (const auto& [key, value] : p.labels) {
      w.Key(key.c_str(), static_cast<rapidjson::SizeType>(key.size()));
      w.String(value);
    }
    w.EndObject();
    w.Key("connected_seconds");
    w.Double(p.connected_seconds);
    w.Key("lag_seconds");
    w.Double(p.lag_seconds);
    w.Key("transfers");
    w.Uint64(p.transfers);
    w.Key("transfer_bytes");
    w.Uint64(p.transfer_bytes);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {.content_type = "application/json", .body = std::string(buffer.GetString()) + "\n"};
}

AdminResponse ControllerAdmin::SnapshotJson() const {
  auto snapshot = pipeline_->current();
  if (!snapshot) return {.status = 503, .body = "no snapshot compiled yet\n"};
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(RedactSecrets(snapshot->ToMessage()), &json,
                                                   options)
           .ok()) {
    return {.status = 500, .body = "cannot render the snapshot\n"};
  }
  return {.content_type = "application/json", .body = json};
}

}  // namespace portico::controlplane
