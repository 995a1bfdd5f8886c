// portico-controller's command line, parsed into one options struct. Pure:
// errors come back as precise messages, never thrown or exited on.
#pragma once

#include <string>
#include <vector>

#include "controlplane/snapshot_pipeline.h"

namespace portico::controlplane {

struct ControllerFlags {
  std::string source_dir;  // from --source=file:DIR; empty: the Kubernetes API (--source=kube)
  std::string kubeconfig;  // --kubeconfig; empty: $KUBECONFIG, in cluster, ~/.kube/config
  std::vector<std::string> namespaces;  // --namespaces=a,b; empty: every namespace
  // --lease=NS/NAME; empty: portico-controller in $POD_NAMESPACE, else in portico-system
  std::string lease;
  std::string publish_address;  // --publish-address=IP|HOST[,...]; empty: no Ingress status
  // --publish-service=NS/NAME: publish that Service's addresses instead
  // (excludes --publish-address).
  std::string publish_service;
  std::string grpc_host = "0.0.0.0";
  int grpc_port = 18000;
  bool grpc_insecure = false;
  PipelineOptions compile;  // --traefik-compat, --allow-cross-namespace, --ingress-class
  // Mutual TLS for proxies (all three, or --grpc-insecure).
  std::string grpc_cert, grpc_key, grpc_ca;
  // How often those files are read again: new handshakes use what they
  // hold (certificate rotation without a restart).
  uint64_t grpc_cert_refresh_ms = 60'000;
  std::string admin_host = "127.0.0.1";
  int admin_port = 9000;
  std::string log_level = "info";
  bool help = false;
};

// Parses argv without argv[0], accepting "--flag=value" and "--flag value".
// Returns "" or the error (the caller exits with status 2). With --help set
// the rest is not validated.
std::string ParseControllerFlags(const std::vector<std::string>& args, ControllerFlags* flags);

// "" when `name` can be an IngressClass name (a DNS subdomain), else why
// not; shared by the controller's and validate's --ingress-class.
std::string CheckIngressClassName(const std::string& name);

extern const char kControllerUsage[];

}  // namespace portico::controlplane
