// Portico's own routing model, the compiler's output: routes in match order,
// the clusters they use, and a diagnostic for every object problem. Plain
// values; the one protobuf inside is a compiled rule (controlplane/rules
// produces it in that form), shared and immutable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "portico/v1/match.pb.h"

namespace portico::controlplane {

enum class PathKind { kPrefix, kExact };

struct Endpoint {
  std::string address;  // canonical IP literal
  uint32_t port = 0;
  bool terminating = false;  // serving but terminating: used only when nothing is ready
  bool operator==(const Endpoint&) const = default;
};

struct Cluster {
  std::string name;  // "<namespace>/<service>:<port name, or number if unnamed>"
  std::vector<Endpoint> endpoints;
  bool operator==(const Cluster&) const = default;
};

// A compiled rule, shared between copies of a route. Equal when the trees
// are (serialized bytes compared).
struct RouteMatch {
  std::shared_ptr<const v1::Matcher> tree;  // null: no rule (Ingress routes)
  bool operator==(const RouteMatch& other) const {
    if (tree == other.tree) return true;
    return tree != nullptr && other.tree != nullptr &&
           tree->SerializeAsString() == other.tree->SerializeAsString();
  }
};

struct Route {
  std::string name;  // "<ns>/<ingress>/r<rule>/p<path>" or "<ns>/<ingress>/default"
  std::string host;  // lowercase exact host, "*.suffix", or "" for any host
  PathKind kind = PathKind::kPrefix;
  std::string path;     // Prefix paths carry no trailing '/' ("/" stays "/")
  std::string cluster;  // "" when the backend did not resolve: the proxy answers 503
  std::string source;   // "Ingress/<namespace>/<name>" or "IngressRoute/<namespace>/<name>"
  RouteMatch match;     // IngressRoute: the rule; `host` and `path` are then unused
  std::vector<std::string> hosts;        // hosts every match requires; empty: any
  int64_t priority = 0;                  // routes sort by it, descending
  std::vector<std::string> entrypoints;  // serves only there; empty: everywhere
  bool tls = false;                      // serves TLS requests only (else plaintext only)
  std::string tls_options;               // TlsOption::name for a TLS route; "" = the default option
  bool operator==(const Route&) const = default;
};

// A serving certificate from a kubernetes.io/tls Secret, checked by the
// TlsProcessor. The key is secret: never log it or put it in a message.
struct Certificate {
  std::string name;  // "<namespace>/<secret>"
  std::string cert_chain_pem;
  std::string private_key_pem;
  bool operator==(const Certificate&) const = default;
};

// Traefik's TLSOption, checked and resolved: names are the ones proxies map
// (IANA cipher suites for TLS <= 1.2, "P-256"/"X25519" groups). Unset and
// empty values mean the proxy's defaults. The enums follow proto/tls.proto's
// order.
enum class TlsVersion { kUnspecified, kTls10, kTls11, kTls12, kTls13 };
enum class ClientAuthType { kNone, kRequest, kRequireAny, kVerifyIfGiven, kRequireAndVerify };

struct TlsOption {
  std::string name;  // "<namespace>/<name>", or "default" (a TLSOption named default)
  TlsVersion min_version = TlsVersion::kUnspecified;
  TlsVersion max_version = TlsVersion::kUnspecified;
  std::vector<std::string> cipher_suites;
  std::vector<std::string> curve_preferences;
  std::vector<std::string> alpn_protocols;
  bool sni_strict = false;
  ClientAuthType client_auth = ClientAuthType::kNone;
  std::string client_ca_pem;  // public: the CA certificates of every clientAuth Secret
  std::vector<std::string> client_ca_secrets;  // "<namespace>/<secret>"
  bool disable_session_tickets = false;
  bool operator==(const TlsOption&) const = default;
};

// A problem with one object, shaped like a status condition so a later
// status writer can publish it unchanged.
struct Diagnostic {
  std::string object;  // "Ingress/<namespace>/<name>"
  std::string reason;  // CamelCase: BackendNotFound, PortNotFound, Conflict, Unsupported
  std::string message;
  bool operator==(const Diagnostic&) const = default;
};

struct CompileResult {
  std::vector<Route> routes;
  std::vector<Cluster> clusters;          // sorted by name, only those some route uses
  std::vector<Certificate> certificates;  // sorted by name
  std::vector<TlsOption> tls_options;     // sorted by name; only those in use, and "default"
  std::string default_certificate;        // Certificate::name (TLSStore default); "" = generated
  std::vector<Diagnostic> diagnostics;
};

}  // namespace portico::controlplane
