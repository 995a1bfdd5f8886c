// Rules come from IngressRoute manifests: anyone who may write one in any
// namespace controls this input. The first byte picks what is fuzzed:
//   bit 1 clear: a rule (bit 0: TCP), compiled, sent over the wire and
//                built by the proxy, which must accept what the controller
//                produced and whose matches must stay within the host hint;
//   bit 1 set:   a serialized v1.Matcher straight to the proxy, which must
//                refuse or accept it, never crash.
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <google/protobuf/stubs/logging.h>

#include "controlplane/rules/compile.h"
#include "dataplane/route/matcher.h"

namespace {

using portico::dataplane::MatchInput;
using portico::dataplane::RouteMatcher;

bool HintAdmits(const std::vector<std::string>& hosts, std::string_view host) {
  if (hosts.empty()) return true;
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  for (const std::string& h : hosts) {
    if (h == host) return true;
    if (h.starts_with("*.") && portico::dataplane::WildcardHostMatches(h, host)) return true;
  }
  return false;
}

// Runs `matcher` over a few requests; with `hosts`, checks that every
// match is on a host the hint admits.
void Exercise(const RouteMatcher& matcher, const std::vector<std::string>* hosts) {
  portico::dataplane::HeaderList headers = {{"X-Canary", "1"}, {"Accept", "text/html"}};
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_addr.s_addr = htonl(0x0a000001);
  std::string_view alpn[] = {"h2", "http/1.1"};
  std::vector<std::string> candidates = {"", "a.test", "x.a.test", "example.com", "[::1]"};
  if (hosts != nullptr) candidates.insert(candidates.end(), hosts->begin(), hosts->end());
  for (const std::string& candidate : candidates) {
    std::string host = candidate;
    if (host.starts_with("*.")) host[0] = 'w';  // a host the wildcard covers
    MatchInput input{.method = "GET",
                     .host = host,
                     .path = "/api/v1/items",
                     .query = "a=1&b=%20x+y&c&d=%zz",
                     .headers = &headers,
                     .peer = reinterpret_cast<const sockaddr*>(&peer),
                     .alpn = alpn};
    if (matcher.Matches(input) && hosts != nullptr && !HintAdmits(*hosts, host)) {
      __builtin_trap();  // the host index would have hidden a matching route
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // invalid UTF-8 in trees is expected, not news
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string error;

  if (mode & 2) {
    portico::v1::Matcher tree;
    if (!tree.ParseFromArray(input.data(), static_cast<int>(input.size()))) return 0;
    if (auto matcher = RouteMatcher::Build(tree, &error)) Exercise(*matcher, nullptr);
    return 0;
  }

  using portico::controlplane::rules::RuleKind;
  auto result =
      portico::controlplane::rules::Compile(input, mode & 1 ? RuleKind::kTcp : RuleKind::kHttp);
  if (!result.ok()) {
    if (result.error.message.empty() || result.error.offset > input.size() + 1) __builtin_trap();
    return 0;
  }
  portico::v1::Matcher wire;
  if (!wire.ParseFromString(result.rule->match.SerializeAsString())) __builtin_trap();
  auto matcher = RouteMatcher::Build(wire, &error);
  if (matcher == nullptr) __builtin_trap();  // the proxy would NACK a valid rule
  Exercise(*matcher, &result.rule->hosts);
  return 0;
}
