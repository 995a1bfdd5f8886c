// How to reach and authenticate to the Kubernetes API: read from a
// kubeconfig file (its current context) or from the pod's service account
// (in cluster). Plain values; the loaders do file I/O and are called once at
// start-up, before any loop runs. Tokens and keys are held here but never
// put into an error message.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace portico::controlplane {

struct KubeConfig {
  std::string server;  // "https://host:port", no trailing slash
  // Trust: PEM bytes (certificate-authority-data) or a file read by the TLS
  // library on every new connection, so a rotated ca.crt is picked up.
  std::string ca_file;
  std::string ca_pem;
  bool insecure_skip_tls_verify = false;
  // Bearer token: a file re-read by TokenSource, or a fixed value.
  std::string token_file;
  std::string token;
  // Client certificate and key, each as a file or PEM bytes.
  std::string client_cert_file;
  std::string client_cert_pem;
  std::string client_key_file;
  std::string client_key_pem;
  std::string namespace_;  // the context's namespace, or the pod's
  std::string origin;      // "kubeconfig /path (context NAME)" or "in-cluster"; for logs
};

// Parses a kubeconfig (YAML) file and resolves its current context. Relative
// file paths are relative to the file's folder, as kubectl does. Returns ""
// or an error naming the file and the field (or line and column).
std::string LoadKubeconfig(const std::string& path, KubeConfig* config);
// The same from text; `path` names it in errors and anchors relative paths.
std::string ParseKubeconfig(const std::string& text, const std::string& path, KubeConfig* config);

struct InClusterEnvironment {
  // Looks up an environment variable; nullopt when unset.
  std::function<std::optional<std::string>(const char*)> getenv;
  std::string account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// True when KUBERNETES_SERVICE_HOST and _PORT are both set.
bool RunningInCluster(const InClusterEnvironment& env);
// The service-account configuration: https://$HOST:$PORT (IPv6 bracketed),
// account_dir/token (re-read by TokenSource), ca.crt and namespace.
std::string LoadInClusterConfig(const InClusterEnvironment& env, KubeConfig* config);

// The controller's choice: --kubeconfig, else $KUBECONFIG (its first
// entry), else in cluster, else ~/.kube/config when it exists.
std::string ResolveKubeConfig(const std::string& kubeconfig_flag, const InClusterEnvironment& env,
                              KubeConfig* config);

// The process environment and the real service-account folder.
InClusterEnvironment ProcessEnvironment();

}  // namespace portico::controlplane
