// A decoded networking.k8s.io/v1 Ingress: hosts and paths pointing at
// Service ports. Plain values, built once per load and then only read.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/model/ingress_class.h"
#include "controlplane/model/json_field.h"
#include "controlplane/model/object_meta.h"

namespace portico::controlplane {

// ImplementationSpecific is matched like Prefix by Portico.
enum class PathType { kExact, kPrefix, kImplementationSpecific };

struct IngressBackend {
  std::string service_name;  // empty when the backend is a `resource`
  int32_t port_number = 0;   // set when the port is given by number
  std::string port_name;     // set when the port is given by name
  std::string resource;      // "<apiGroup>/<kind>/<name>" of a resource backend
};

struct IngressPath {
  std::string path;  // starts with '/'
  PathType type = PathType::kPrefix;
  IngressBackend backend;
};

struct IngressRule {
  std::string host;  // lowercase; "" matches any host; may start with "*."
  std::vector<IngressPath> paths;
};

// One entry of spec.tls: hosts served over TLS with the Secret's certificate.
struct IngressTls {
  std::vector<std::string> hosts;  // lowercase; may start with "*."
  std::string secret_name;         // "" when the entry names none (default certificate)
};

struct Ingress {
  ObjectMeta meta;
  IngressClassRef class_ref;  // decoded by kind_registry.cc
  std::optional<IngressBackend> default_backend;
  std::vector<IngressRule> rules;
  std::vector<IngressTls> tls;
  // The Portico annotations below that are set, by name, as written (an
  // integer as its decimal text). Checked by the compiler, which reports a
  // bad value on the Ingress and ignores it, the Ingress still served.
  std::map<std::string, std::string> portico_annotations;
  // Annotation portico.dev/tls-options: the TLSOption of its TLS routes,
  // "<namespace>/<name>" or "<name>" (this namespace); "" = the default.
  std::string tls_options;
};

// Per-route timeouts of every route of an Ingress (durations, as Traefik
// writes them: "5s", "1m30s" or a number of seconds).
inline constexpr std::string_view kConnectTimeoutAnnotation = "portico.dev/connect-timeout";
inline constexpr std::string_view kResponseHeaderTimeoutAnnotation =
    "portico.dev/response-header-timeout";
inline constexpr std::string_view kRequestTimeoutAnnotation = "portico.dev/request-timeout";
inline constexpr std::string_view kTlsOptionsAnnotation = "portico.dev/tls-options";

// Decodes the Ingress-specific fields of `object`. Returns "" or a precise
// error such as `spec.rules[1].http.paths[0].pathType: must be Exact, Prefix
// or ImplementationSpecific, got "Regex"`.
std::string DecodeIngress(const JsonField& object, Ingress* out);

}  // namespace portico::controlplane
