#include "dataplane/upstream/balancer_spec.h"

#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "dataplane/net/http_token.h"

namespace portico::dataplane {
namespace {

// Cookie attribute values may hold neither ';' nor control characters.
bool IsAttributeValue(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == ';' || u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

constexpr std::pair<BalanceAlgorithm, std::string_view> kAlgorithmNames[] = {
    {BalanceAlgorithm::kWeightedRoundRobin, "wrr"},
    {BalanceAlgorithm::kPowerOfTwoChoices, "p2c"},
    {BalanceAlgorithm::kLeastRequests, "leastrequests"},
    {BalanceAlgorithm::kMaglev, "maglev"},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  absl::AsciiStrToLower(&out);
  return out;
}

}  // namespace

std::optional<BalanceAlgorithm> ParseBalanceAlgorithm(std::string_view name) {
  std::string lower = Lower(name);
  if (lower.empty()) return BalanceAlgorithm::kWeightedRoundRobin;
  for (auto [algorithm, algorithm_name] : kAlgorithmNames) {
    if (lower == algorithm_name) return algorithm;
  }
  return std::nullopt;
}

std::string_view BalanceAlgorithmName(BalanceAlgorithm algorithm) {
  for (auto [known, name] : kAlgorithmNames) {
    if (known == algorithm) return name;
  }
  return "wrr";
}

std::optional<SameSite> ParseSameSite(std::string_view value) {
  std::string lower = Lower(value);
  if (lower.empty()) return SameSite::kUnset;
  if (lower == "none") return SameSite::kNone;
  if (lower == "lax") return SameSite::kLax;
  if (lower == "strict") return SameSite::kStrict;
  return std::nullopt;
}

bool ValidWeight(double weight) { return std::isfinite(weight) && weight > 0 && weight <= 1e6; }

std::string ValidateStickyCookie(const StickyCookieSpec& cookie) {
  if (!cookie.name.empty() && !IsToken(cookie.name)) {
    return absl::StrCat("sticky.cookie.name: '", cookie.name, "' is not a cookie name");
  }
  if (cookie.path.empty() || cookie.path[0] != '/' || !IsAttributeValue(cookie.path)) {
    return absl::StrCat("sticky.cookie.path: '", cookie.path,
                        "' must start with '/' and hold no ';' or control character");
  }
  if (!IsAttributeValue(cookie.domain)) {
    return absl::StrCat("sticky.cookie.domain: '", cookie.domain,
                        "' holds a ';' or a control character");
  }
  return "";
}

std::string ValidateBalancerSpec(const BalancerSpec& spec) {
  if (spec.passive_health && (spec.passive_health->consecutive_failures < 1 ||
                              spec.passive_health->base_ejection_ms == 0)) {
    return "passiveHealthCheck: maxFailedAttempts must be at least 1 and failureWindow positive";
  }
  if (spec.algorithm == BalanceAlgorithm::kMaglev &&
      (spec.hash_key.source == HashKeySource::kHeader ||
       spec.hash_key.source == HashKeySource::kCookie) &&
      !IsToken(spec.hash_key.name)) {
    return absl::StrCat(
        "hashKey.", spec.hash_key.source == HashKeySource::kHeader ? "header" : "cookie", ": '",
        spec.hash_key.name, "' is not a ",
        spec.hash_key.source == HashKeySource::kHeader ? "header" : "cookie", " name");
  }
  if (spec.sticky) {
    std::string error = ValidateStickyCookie(*spec.sticky);
    if (!error.empty()) return error;
  }
  for (const auto& [endpoint, weight] : spec.weights) {
    if (!ValidWeight(weight)) {
      return absl::StrCat("weights[", endpoint, "]: ", weight, " is not in (0, 1000000]");
    }
  }
  return "";
}

}  // namespace portico::dataplane
