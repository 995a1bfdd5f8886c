#include "controlplane/admin/controller_admin.h"

#include <algorithm>

#include "google/protobuf/util/json_util.h"

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

}  // namespace

v1::Snapshot RedactSecrets(const v1::Snapshot& snapshot) {
  // Snapshots hold no secret field yet (routes, clusters, endpoints only);
  // when TLS certificates arrive, their private keys are cleared here.
  return snapshot;
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
  Metric(&out, "portico_controller_nacks_total", "counter", "Snapshots refused by proxies.",
         server_ ? server_->nacks_total() : 0);
  return out;
}

AdminResponse ControllerAdmin::SnapshotJson() const {
  auto snapshot = pipeline_->current();
  if (!snapshot) return {.status = 503, .body = "no snapshot compiled yet\n"};
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(RedactSecrets(*snapshot), &json, options).ok()) {
    return {.status = 500, .body = "cannot render the snapshot\n"};
  }
  return {.content_type = "application/json", .body = json};
}

}  // namespace portico::controlplane
