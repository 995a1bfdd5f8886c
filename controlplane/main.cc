// portico-controller: watches a source of Kubernetes objects, compiles them
// into snapshots and streams those to proxies. Parses flags and wires the
// components; everything but the gRPC server runs on one libuv loop.
#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/admin_server.h"
#include "common/log.h"
#include "controlplane/admin/controller_admin.h"
#include "controlplane/controller_flags.h"
#include "controlplane/kube/crd_status_writer.h"
#include "controlplane/kube/ingress_status_writer.h"
#include "controlplane/kube/kube_source.h"
#include "controlplane/kube/leader_elector.h"
#include "controlplane/server/snapshot_server.h"
#include "controlplane/snapshot_pipeline.h"
#include "controlplane/source/file_source.h"
#include "controlplane/validate/validate_command.h"
#include "dataplane/tls/channel_pem.h"

namespace portico::controlplane {
namespace {

struct Controller {
  uv_loop_t loop{};
  uv_signal_t sigterm{}, sigint{};
  SnapshotServer* server = nullptr;
  AdminServer* admin = nullptr;
  std::function<void()> close_source;
};

std::string Hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "controller";
  return name;
}

std::string HostPort(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

void OnSignal(uv_signal_t* handle, int signum) {
  auto* c = static_cast<Controller*>(handle->data);
  LogInfo("controller", "signal " + std::to_string(signum) + ": shutting down");
  // With every handle closed uv_run returns; the gRPC server stops after it.
  c->close_source();
  c->admin->Close();
  for (uv_signal_t* s : {&c->sigterm, &c->sigint}) {
    uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
  }
}

int Fail(int status, const std::string& message) {
  std::fprintf(stderr, "portico-controller: %s\n", message.c_str());
  return status;
}

// How the Kubernetes API is reached, for the log: never the token or key.
std::string DescribeAuth(const KubeConfig& config) {
  std::string auth = !config.token.empty()        ? "bearer token"
                     : !config.token_file.empty() ? "bearer token file " + config.token_file
                                                  : "no token";
  if (!config.client_cert_file.empty() || !config.client_cert_pem.empty()) {
    auth += ", client certificate";
  }
  if (config.insecure_skip_tls_verify) auth += ", TLS NOT VERIFIED";
  return config.origin + ": " + config.server + " (" + auth + ")";
}

// The Ingresses ("namespace/name") that compiled into routes.
std::set<std::string> IngressesWithRoutes(const SharedSnapshot* snapshot) {
  std::set<std::string> out;
  if (snapshot == nullptr) return out;
  for (const RoutePartPtr& route : snapshot->route_parts()) {
    const std::string& source = route->message.source();
    if (source.starts_with("Ingress/")) out.insert(source.substr(8));
  }
  return out;
}

// The Lease from --lease, else $POD_NAMESPACE (or portico-system) /
// portico-controller. The identity is "hostname-pid": unique per replica
// even with several on one host, and the pod name in a cluster.
LeaderElectorOptions LeaseOptions(const ControllerFlags& flags) {
  LeaderElectorOptions options;
  options.identity = Hostname() + "-" + std::to_string(getpid());
  if (!flags.lease.empty()) {
    size_t slash = flags.lease.find('/');
    options.lease_namespace = flags.lease.substr(0, slash);
    options.lease_name = flags.lease.substr(slash + 1);
  } else if (const char* ns = std::getenv("POD_NAMESPACE"); ns != nullptr && *ns != '\0') {
    options.lease_namespace = ns;
  }
  return options;
}

// The --publish-service Service when --namespaces leaves out its namespace:
// it is watched on its own (a fieldSelector on its name).
std::optional<KubeCollection> PublishServiceCollection(const ControllerFlags& flags) {
  if (flags.publish_service.empty() || flags.namespaces.empty()) return std::nullopt;
  size_t slash = flags.publish_service.find('/');
  std::string ns = flags.publish_service.substr(0, slash);
  if (std::find(flags.namespaces.begin(), flags.namespaces.end(), ns) != flags.namespaces.end()) {
    return std::nullopt;
  }
  KubeCollection collection{.kind = {.version = "v1", .resource = "services", .kind = "Service"},
                            .namespace_ = ns};
  collection.kind.field_selector = "metadata.name=" + flags.publish_service.substr(slash + 1);
  return collection;
}

// The objects' source: the Kubernetes API, or a folder of manifests. The
// pipeline sees its first load only once every collection has listed, so
// /ready (a compiled snapshot) also means "synced". With the API, replicas
// elect a leader; only it writes Ingress status (--publish-address or
// --publish-service) and the Ready condition of Portico's custom resources.
struct Source {
  std::unique_ptr<KubeApiClient> kube_client;
  std::unique_ptr<KubeSource> kube;
  std::unique_ptr<LeaderElector> elector;
  std::unique_ptr<IngressStatusWriter> status;
  std::unique_ptr<CrdStatusWriter> crd_status;
  std::unique_ptr<FileSource> file;

  std::string Start(uv_loop_t* loop, const ControllerFlags& flags, SnapshotPipeline* pipeline) {
    auto apply = [this, pipeline](const SourceLoad& load) {
      pipeline->Apply(load);
      if (status) status->Observe(load.objects, IngressesWithRoutes(pipeline->current().get()));
      if (crd_status) {
        crd_status->Observe(load.objects, {.diagnostics = pipeline->diagnostics(),
                                           .issues = pipeline->issues(),
                                           .routed = pipeline->routed(),
                                           .other_class = pipeline->other_class()});
      }
    };
    if (!flags.source_dir.empty()) {
      file = std::make_unique<FileSource>(
          loop, FileSourceOptions{.root = flags.source_dir}, apply,
          [](const std::string& error) { LogWarn("controller", error); });
      return file->Start();
    }
    KubeConfig config;
    if (std::string e = ResolveKubeConfig(flags.kubeconfig, ProcessEnvironment(), &config);
        !e.empty()) {
      return e;
    }
    LogInfo("controller", "kubernetes: " + DescribeAuth(config));
    kube_client = std::make_unique<KubeApiClient>(loop, std::move(config));
    if (std::string e = kube_client->Start(); !e.empty()) return e;
    if (!flags.publish_address.empty() || !flags.publish_service.empty()) {
      IngressStatusWriterOptions status_options{.publish_service = flags.publish_service};
      if (!flags.publish_address.empty()) {
        ParsePublishAddresses(flags.publish_address,
                              &status_options.addresses);  // flags checked it
      }
      status = std::make_unique<IngressStatusWriter>(loop, kube_client.get(), status_options);
    }
    std::vector<ResourceKind> crd_kinds = CrdKinds(flags.compile.traefik_compat);
    crd_status = std::make_unique<CrdStatusWriter>(loop, kube_client.get(),
                                                   CrdStatusWriterOptions{.kinds = crd_kinds});
    LeaderElectorOptions lease = LeaseOptions(flags);
    LogInfo("controller", "leader election: lease " + lease.lease_namespace + "/" +
                              lease.lease_name + " as " + lease.identity);
    elector = std::make_unique<LeaderElector>(
        loop, kube_client.get(), std::move(lease),
        LeaderCallbacks{.on_started_leading = [this] { Lead(true); },
                        .on_stopped_leading = [this] { Lead(false); }});
    elector->Start();
    // A named object: GCC 12 at -O3 misreports the temporary's strings as
    // maybe uninitialized.
    KubeSourceOptions options;
    options.namespaces = flags.namespaces;
    options.kinds.insert(options.kinds.end(), crd_kinds.begin(), crd_kinds.end());
    if (std::optional<KubeCollection> service = PublishServiceCollection(flags)) {
      options.extra.push_back(std::move(*service));
    }
    kube = std::make_unique<KubeSource>(loop, kube_client.get(), std::move(options), apply);
    kube->Start();
    return "";
  }

  // What /metrics reports of the Kubernetes source.
  KubeCounters Counters() const {
    KubeCounters out;
    if (elector) {
      out.leader = elector->leading();
      out.lease_transitions = elector->stats().transitions;
    }
    if (status) {
      out.ingress_status_writes = status->stats().writes;
      out.ingress_status_write_failures = status->stats().errors;
    }
    for (const auto& r : kube->reflectors()) {
      const ReflectorStats& s = r->stats();
      out.reflectors.push_back({.group = r->kind().group,
                                .kind = r->kind().kind,
                                .namespace_ = r->namespace_name(),
                                .relists = s.lists > 0 ? s.lists - 1 : 0,
                                .watch_restarts = s.watches > 0 ? s.watches - 1 : 0,
                                .events = s.events,
                                .last_sync_unix_ms = s.last_sync_unix_ms});
    }
    return out;
  }

  // Only the leader writes status.
  void Lead(bool leading) {
    if (status) status->SetEnabled(leading);
    crd_status->SetEnabled(leading);
  }

  // Releases the lease (so another replica takes over at once) before the
  // client closes; the loop ends once that write is done.
  void Close() {
    if (file) file->Close();
    if (kube) kube->Close();
    if (status) status->Close();
    if (crd_status) crd_status->Close();
    if (!elector) {
      if (kube_client) kube_client->Close();
      return;
    }
    elector->Release([this] {
      elector->Close();
      kube_client->Close();
    });
  }
};

int Run(const ControllerFlags& flags) {
  Controller c;
  uv_loop_init(&c.loop);
  SnapshotServer server;
  SnapshotPipeline pipeline([&server](auto snapshot) { server.Publish(std::move(snapshot)); },
                            flags.compile);
  Source source;
  if (std::string e = source.Start(&c.loop, flags, &pipeline); !e.empty()) return Fail(2, e);

  SnapshotServerOptions server_options{.host = flags.grpc_host, .port = flags.grpc_port};
  server_options.replica = Hostname() + ":" + std::to_string(getpid());
  if (!flags.grpc_insecure) {
    dataplane::ChannelPem pem;
    if (std::string e = dataplane::LoadChannelPem(flags.grpc_cert, flags.grpc_key, flags.grpc_ca,
                                                  &pem);
        !e.empty()) {
      return Fail(2, e);
    }
    // Checked here for a precise error at start-up; gRPC reads the files
    // again every --grpc-cert-refresh.
    server_options.tls = ServerTls{.certificate_chain = std::move(pem.certificate_chain),
                                   .private_key = std::move(pem.private_key),
                                   .client_ca = std::move(pem.ca),
                                   .certificate_file = flags.grpc_cert,
                                   .private_key_file = flags.grpc_key,
                                   .client_ca_file = flags.grpc_ca,
                                   .refresh_s = static_cast<unsigned>(
                                       flags.grpc_cert_refresh_ms / 1000)};
  }
  int grpc_port = 0;
  if (std::string e = server.Start(server_options, &grpc_port); !e.empty()) return Fail(1, e);
  if (flags.grpc_insecure) {
    LogWarn("controller",
            "the snapshot channel is plaintext (--grpc-insecure); keep it on loopback");
  } else {
    LogInfo("controller", "the snapshot channel is mutual TLS: proxies need a certificate "
                          "signed by --grpc-ca");
  }
  LogInfo("controller", "grpc listening on " + HostPort(flags.grpc_host, grpc_port));

  ControllerAdmin handler(&pipeline, &server);
  handler.SetStatusCounters([&source] {
    if (!source.crd_status) return StatusWriterCounters{};
    const CrdStatusStats& s = source.crd_status->stats();
    return StatusWriterCounters{.writes = s.writes, .failures = s.failures};
  });
  if (source.kube) handler.SetKubeCounters([&source] { return source.Counters(); });
  AdminServer admin(&c.loop, [&handler](std::string_view method, std::string_view path) {
    return handler.Handle(method, path);
  });
  if (std::string e = admin.Listen(flags.admin_host, flags.admin_port); !e.empty()) {
    return Fail(1, e);
  }
  LogInfo("controller", "admin listening on " + HostPort(flags.admin_host, admin.port()));

  c.server = &server;
  c.admin = &admin;
  c.close_source = [&source] { source.Close(); };
  for (auto [handle, signum] : {std::pair{&c.sigterm, SIGTERM}, std::pair{&c.sigint, SIGINT}}) {
    uv_signal_init(&c.loop, handle);
    handle->data = &c;
    uv_signal_start(handle, &OnSignal, signum);
  }
  uv_run(&c.loop, UV_RUN_DEFAULT);
  server.Shutdown();
  uv_loop_close(&c.loop);
  LogInfo("controller", "stopped");
  return 0;
}

}  // namespace
}  // namespace portico::controlplane

int main(int argc, char** argv) {
  using namespace portico::controlplane;
  ::signal(SIGPIPE, SIG_IGN);
  ControllerFlags flags;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "validate") {
    return RunValidate({args.begin() + 1, args.end()}, stdin, stdout, stderr);
  }
  if (std::string e = ParseControllerFlags(args, &flags); !e.empty()) {
    std::fprintf(stderr, "portico-controller: %s\n(see --help)\n", e.c_str());
    return 2;
  }
  if (flags.help) {
    std::fputs(kControllerUsage, stdout);
    return 0;
  }
  portico::LogLevel level;
  portico::ParseLogLevel(flags.log_level, &level);
  portico::SetLogLevel(level);
  return Run(flags);
}
