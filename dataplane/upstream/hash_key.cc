#include "dataplane/upstream/hash_key.h"

#include "dataplane/upstream/stable_hash.h"

namespace portico::dataplane {
namespace {

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Distinct seeds keep a header value "x" and a path "x" apart.
constexpr uint64_t kSeedClientIp = 1;
constexpr uint64_t kSeedHeader = 2;
constexpr uint64_t kSeedCookie = 3;
constexpr uint64_t kSeedPath = 4;

}  // namespace

std::string_view FindCookie(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    size_t end = cookie_header.find(';');
    std::string_view pair = cookie_header.substr(0, end);
    cookie_header =
        end == std::string_view::npos ? std::string_view() : cookie_header.substr(end + 1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (TrimSpaces(pair.substr(0, eq)) != name) continue;
    std::string_view value = TrimSpaces(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return {};
}

std::string_view RequestCookie(const PickRequest& request, std::string_view name) {
  if (request.headers == nullptr) return {};
  return FindCookie(request.headers->Get("cookie"), name);
}

uint64_t RequestHashKey(const HashKeySpec& spec, std::string_view lower_header_name,
                        const PickRequest& request) {
  std::string_view value;
  uint64_t seed = kSeedClientIp;
  switch (spec.source) {
    case HashKeySource::kHeader:
      if (request.headers != nullptr) value = request.headers->Get(lower_header_name);
      seed = kSeedHeader;
      break;
    case HashKeySource::kCookie:
      value = RequestCookie(request, spec.name);
      seed = kSeedCookie;
      break;
    case HashKeySource::kPath:
      value = request.path;
      seed = kSeedPath;
      break;
    case HashKeySource::kClientIp:
      break;
  }
  if (value.empty()) {
    value = request.client_ip;
    seed = kSeedClientIp;
  }
  return StableHash64(value, seed);
}

}  // namespace portico::dataplane
