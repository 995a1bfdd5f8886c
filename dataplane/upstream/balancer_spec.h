// BalancerSpec: how one cluster's requests are spread over its endpoints
// (Traefik's `strategy`, `sticky.cookie` and server weights, plus what
// Traefik lacks: least requests and consistent hashing on a header, a
// cookie, the client IP or the path). Plain data built from the snapshot;
// PickerFactory validates it and turns it into shared picking state.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "dataplane/worker/proxy_options.h"

namespace portico::dataplane {

class UpstreamTlsContext;

enum class BalanceAlgorithm : uint8_t {
  kWeightedRoundRobin,  // "wrr": smooth, earliest deadline first (the default)
  kPowerOfTwoChoices,   // "p2c": two random endpoints, the one with fewer requests in flight
  kLeastRequests,       // "leastrequests": the endpoint with the fewest requests in flight
  kMaglev,              // "maglev": consistent hashing of a request key
};

enum class HashKeySource : uint8_t { kClientIp, kHeader, kCookie, kPath };

struct HashKeySpec {
  HashKeySource source = HashKeySource::kClientIp;
  std::string name;  // header or cookie name (kHeader, kCookie)
};

enum class SameSite : uint8_t { kUnset, kNone, kLax, kStrict };

// Traefik's `sticky.cookie`.
struct StickyCookieSpec {
  std::string name;  // empty: "_" + 5 hex digits of a hash of the service name
  bool secure = false;
  bool http_only = false;
  SameSite same_site = SameSite::kUnset;
  int64_t max_age = 0;  // seconds; 0: a session cookie; < 0: expires at once
  std::string path = "/";
  std::string domain;  // empty: no Domain attribute
};

struct BalancerSpec {
  BalanceAlgorithm algorithm = BalanceAlgorithm::kWeightedRoundRobin;
  HashKeySpec hash_key;                    // kMaglev only
  std::optional<StickyCookieSpec> sticky;  // any algorithm; the cookie wins when valid
  // Endpoint identity ("10.0.0.1:8080") → weight, in (0, 1e6]; absent: 1.
  // Weights of endpoints that are not in the cluster are ignored.
  absl::flat_hash_map<std::string, double> weights;
  // The snapshot's Service name, when it differs from the cluster's (names
  // the default sticky cookie); empty: the cluster name.
  std::string service_name;
  bool rewrite_host = false;  // Traefik's passHostHeader: false
  // Set: the endpoints are reached over TLS (scheme https) with this context.
  std::shared_ptr<const UpstreamTlsContext> tls;
  // Set: the service's own passive health rules (passiveHealthCheck) instead
  // of the proxy's; its endpoints' health is then kept apart from other
  // services' of the same cluster (see PickerFactory::state_key).
  std::optional<PassiveHealthPolicy> passive_health;
};

// "wrr" (or empty), "p2c", "leastrequests", "maglev".
std::optional<BalanceAlgorithm> ParseBalanceAlgorithm(std::string_view name);
std::string_view BalanceAlgorithmName(BalanceAlgorithm algorithm);
// Traefik's sameSite values: "" (unset), "none", "lax", "strict" (any case).
std::optional<SameSite> ParseSameSite(std::string_view value);

// Empty when valid; otherwise a message naming the offending field, e.g.
// "sticky.cookie.name: 'a b' is not a cookie name".
std::string ValidateBalancerSpec(const BalancerSpec& spec);
std::string ValidateStickyCookie(const StickyCookieSpec& cookie);
// A weight in (0, 1e6] and finite.
bool ValidWeight(double weight);

}  // namespace portico::dataplane
