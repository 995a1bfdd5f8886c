#include "controlplane/controller_flags.h"

#include <cctype>
#include <functional>
#include <map>

#include "common/admin_server.h"
#include "common/log.h"
#include "controlplane/kube/ingress_status_writer.h"
#include "common/flag_values.h"
#include "controlplane/model/dns_names.h"

namespace portico::controlplane {

const char kControllerUsage[] =
    R"(usage: portico-controller (--grpc-cert=F --grpc-key=F --grpc-ca=F | --grpc-insecure) [flags]

  --source=kube|file:DIR     where objects come from: the Kubernetes API (default), or the
                             manifests (*.yaml, *.yml) in DIR, watched for changes
  --kubeconfig=PATH          with --source=kube: API server and credentials (default
                             $KUBECONFIG, else the pod's service account, else ~/.kube/config)
  --namespaces=NS[,NS...]    with --source=kube: watch only these namespaces (default all)
  --lease=NS/NAME            with --source=kube: the Lease that elects the one replica writing
                             status (default portico-controller in $POD_NAMESPACE, else in
                             portico-system)
  --publish-address=A[,A...] with --source=kube: IPs or hostnames the leader publishes as
                             Ingress status.loadBalancer.ingress (default none: no status)
  --publish-service=NS/NAME  with --source=kube: publish that Service's load-balancer
                             addresses instead, else its cluster IPs, following its changes
                             (excludes --publish-address)
  --grpc-listen=HOST:PORT    snapshot service for proxies (default 0.0.0.0:18000)
  --grpc-cert=FILE           the controller's certificate (PEM, with its chain) for the
                             mutually authenticated snapshot channel
  --grpc-key=FILE            its private key (PEM)
  --grpc-ca=FILE             CA certificates (PEM): only proxies with a certificate they
                             signed may connect (snapshots carry TLS private keys)
  --grpc-cert-refresh=DURATION  how often the three files are read again (default 60s):
                             new handshakes use a rotated certificate without a restart
  --grpc-insecure            plaintext snapshot channel instead; meant for loopback
  --traefik-compat           also read Traefik's traefik.io/v1alpha1 objects (IngressRoute,
                             Middleware, ...) as if they were portico.dev ones
  --allow-cross-namespace    IngressRoutes may use Services of other namespaces
  --ingress-class=NAME       serve the Ingresses and IngressRoutes of this class (default
                             portico; rules in docs/controller.md, "Ingress classes")
  --admin-listen=HOST:PORT   /ping /ready /metrics /snapshot (default 127.0.0.1:9000)
  --log-level=LEVEL          debug, info, warn or error (default info)
  --help                     this text
Port 0 picks a free port; the bound addresses are logged.
`portico-controller validate --help` describes offline validation.
)";

namespace {

using Setter = std::function<std::string(const std::string&, ControllerFlags*)>;

Setter HostPort(const char* name, std::string ControllerFlags::*host, int ControllerFlags::*port) {
  return [=](const std::string& v, ControllerFlags* f) -> std::string {
    if (!SplitHostPort(v, &(f->*host), &(f->*port))) {
      return std::string("--") + name + ": expected HOST:PORT, got '" + v + "'";
    }
    return "";
  };
}

std::string SetSource(const std::string& v, ControllerFlags* f) {
  if (v == "kube") {
    f->source_dir.clear();
    return "";
  }
  if (!v.starts_with("file:")) {
    return "--source: expected kube or file:DIR, got '" + v + "'";
  }
  f->source_dir = v.substr(5);
  if (f->source_dir.empty()) return "--source=file:DIR: DIR is missing";
  return "";
}

std::string SetKubeconfig(const std::string& v, ControllerFlags* f) {
  if (v.empty()) return "--kubeconfig: PATH is missing";
  f->kubeconfig = v;
  return "";
}

// A namespace name is an RFC 1123 label.
bool IsNamespaceName(const std::string& name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// "NS/NAME": NS a namespace name, NAME a DNS subdomain (a Lease's name).
std::string SetLease(const std::string& v, ControllerFlags* f) {
  size_t slash = v.find('/');
  std::string ns = v.substr(0, slash);
  std::string name = slash == std::string::npos ? "" : v.substr(slash + 1);
  bool name_ok = !name.empty() && name.size() <= 253 &&
                 std::isalnum(static_cast<unsigned char>(name.front())) &&
                 std::isalnum(static_cast<unsigned char>(name.back()));
  for (char c : name) name_ok = name_ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                            c == '-' || c == '.');
  if (!IsNamespaceName(ns) || !name_ok) {
    return "--lease: expected NAMESPACE/NAME (lowercase letters, digits, '-', '.'), got '" + v +
           "'";
  }
  f->lease = v;
  return "";
}

std::string SetPublishAddress(const std::string& v, ControllerFlags* f) {
  std::vector<LoadBalancerAddress> addresses;
  if (std::string e = ParsePublishAddresses(v, &addresses); !e.empty()) return e;
  f->publish_address = v;
  return "";
}

// "NS/NAME": NS a namespace name, NAME a Service name (an RFC 1035 label:
// it starts with a letter).
std::string SetPublishService(const std::string& v, ControllerFlags* f) {
  size_t slash = v.find('/');
  std::string ns = v.substr(0, slash);
  std::string name = slash == std::string::npos ? "" : v.substr(slash + 1);
  if (!IsNamespaceName(ns) || !IsNamespaceName(name) ||
      !(name.front() >= 'a' && name.front() <= 'z')) {
    return "--publish-service: expected NAMESPACE/SERVICE (lowercase letters, digits and '-'; "
           "a Service name starts with a letter), got '" +
           v + "'";
  }
  f->publish_service = v;
  return "";
}

std::string SetNamespaces(const std::string& v, ControllerFlags* f) {
  f->namespaces.clear();
  size_t start = 0;
  for (;;) {
    size_t comma = v.find(',', start);
    std::string name = v.substr(start, comma - start);
    if (!IsNamespaceName(name)) {
      return "--namespaces: '" + name +
             "' is not a namespace name (lowercase letters, digits and '-', at most 63)";
    }
    f->namespaces.push_back(name);
    if (comma == std::string::npos) return "";
    start = comma + 1;
  }
}

std::string SetLogLevel(const std::string& v, ControllerFlags* f) {
  LogLevel level;
  if (!ParseLogLevel(v, &level)) {
    return "--log-level: expected debug, info, warn or error, got '" + v + "'";
  }
  f->log_level = v;
  return "";
}

std::string SetIngressClass(const std::string& v, ControllerFlags* f) {
  if (std::string e = CheckIngressClassName(v); !e.empty()) return "--ingress-class: " + e;
  f->compile.compile.ingress_class = v;
  return "";
}

Setter Path(std::string ControllerFlags::*field) {
  return [=](const std::string& v, ControllerFlags* f) -> std::string {
    f->*field = v;
    return "";
  };
}

std::string CheckChannel(const ControllerFlags& f) {
  bool any_tls = !f.grpc_cert.empty() || !f.grpc_key.empty() || !f.grpc_ca.empty();
  if (f.grpc_insecure && any_tls) return "--grpc-insecure excludes --grpc-cert, --grpc-key and --grpc-ca";
  if (!f.grpc_insecure && (f.grpc_cert.empty() || f.grpc_key.empty() || f.grpc_ca.empty())) {
    return "the snapshot channel needs --grpc-cert, --grpc-key and --grpc-ca (mutual TLS), or "
           "--grpc-insecure (plaintext, meant for loopback)";
  }
  return "";
}

const std::map<std::string, Setter>& ValueFlags() {
  static const std::map<std::string, Setter> flags = {
      {"source", &SetSource},
      {"kubeconfig", &SetKubeconfig},
      {"namespaces", &SetNamespaces},
      {"lease", &SetLease},
      {"publish-address", &SetPublishAddress},
      {"publish-service", &SetPublishService},
      {"grpc-listen",
       HostPort("grpc-listen", &ControllerFlags::grpc_host, &ControllerFlags::grpc_port)},
      {"admin-listen",
       HostPort("admin-listen", &ControllerFlags::admin_host, &ControllerFlags::admin_port)},
      {"log-level", &SetLogLevel},
      {"ingress-class", &SetIngressClass},
      {"grpc-cert", Path(&ControllerFlags::grpc_cert)},
      {"grpc-key", Path(&ControllerFlags::grpc_key)},
      {"grpc-ca", Path(&ControllerFlags::grpc_ca)},
      {"grpc-cert-refresh",
       [](const std::string& v, ControllerFlags* f) -> std::string {
         uint64_t ms = 0;
         if (!ParseDurationMs(v, &ms) || ms < 1000 || ms > 86'400'000) {
           return "--grpc-cert-refresh: expected a duration from 1s to 24h, got '" + v + "'";
         }
         f->grpc_cert_refresh_ms = ms;
         return "";
       }},
  };
  return flags;
}

// Applies one switch (a flag without value); false if `name` is not one.
bool ApplySwitch(const std::string& name, ControllerFlags* flags) {
  if (name == "grpc-insecure")
    flags->grpc_insecure = true;
  else if (name == "traefik-compat")
    flags->compile.traefik_compat = true;
  else if (name == "allow-cross-namespace")
    flags->compile.compile.allow_cross_namespace = true;
  else
    return false;
  return true;
}

}  // namespace

std::string CheckIngressClassName(const std::string& name) {
  if (IsDnsSubdomain(name)) return "";
  return "'" + name + "' is not an IngressClass name (lowercase letters, digits, '-' and '.')";
}

std::string ParseControllerFlags(const std::vector<std::string>& args, ControllerFlags* flags) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      flags->help = true;  // nothing else matters then
      return "";
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("-") || arg == "-" || arg == "--") {
      return "unexpected argument '" + arg + "'";
    }
    std::string body = arg.substr(arg.starts_with("--") ? 2 : 1);
    size_t eq = body.find('=');
    std::string name = body.substr(0, eq);
    auto setter = ValueFlags().find(name);
    if (setter == ValueFlags().end()) {
      if (eq == std::string::npos && ApplySwitch(name, flags)) continue;
      if (eq != std::string::npos && ApplySwitch(name, flags))
        return "--" + name + " takes no value";
      return "unknown flag '" + arg + "' (see --help)";
    }
    std::string value;
    if (eq != std::string::npos) {
      value = body.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return "--" + name + ": missing value";
    }
    if (std::string e = setter->second(value, flags); !e.empty()) return e;
  }
  if (!flags->source_dir.empty() && (!flags->kubeconfig.empty() || !flags->namespaces.empty())) {
    return std::string("--") + (flags->kubeconfig.empty() ? "namespaces" : "kubeconfig") +
           " applies to --source=kube only";
  }
  if (!flags->source_dir.empty() && (!flags->lease.empty() || !flags->publish_address.empty() ||
                                     !flags->publish_service.empty())) {
    return "--lease, --publish-address and --publish-service apply to --source=kube only";
  }
  if (!flags->publish_address.empty() && !flags->publish_service.empty()) {
    return "--publish-address and --publish-service exclude each other: publish fixed "
           "addresses or a Service's, not both";
  }
  if (std::string e = CheckChannel(*flags); !e.empty()) return e;
  return "";
}

}  // namespace portico::controlplane
