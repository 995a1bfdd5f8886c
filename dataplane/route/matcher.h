// RouteMatcher: evaluates a compiled rule (v1::Matcher, from the Traefik
// rule language, docs/rules.md) against one request or TLS connection.
// Built once per snapshot off the worker loops (regular expressions are
// compiled then); immutable afterwards, so Matches is thread-safe, and it
// does not allocate except for percent-decoded query values under a
// QueryRegexp (a per-thread buffer that keeps its capacity).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/http/message.h"
#include "dataplane/net/cidr_set.h"
#include "portico/v1/match.pb.h"

namespace re2 {
class RE2;
}

namespace portico::dataplane {

// What a rule looks at. Unset fields are empty and match nothing that
// needs them (an absent host still satisfies Host(`*`)).
struct MatchInput {
  std::string_view method;  // as received ("GET")
  std::string_view host;    // lower-case, without port; TCP: the TLS server name
  std::string_view path;    // the routing path
  std::string_view query;   // raw query, without '?'
  const HeaderList* headers = nullptr;
  const sockaddr* peer = nullptr;          // client address (AF_INET or AF_INET6)
  std::span<const std::string_view> alpn;  // TCP: protocols the client offered
};

class RouteMatcher {
 public:
  // Null with *error naming the offending node ("match.all_of[1].not.path_regexp:
  // invalid regular expression: ...") when `match` is malformed.
  static std::unique_ptr<const RouteMatcher> Build(const v1::Matcher& match, std::string* error);
  ~RouteMatcher();

  bool Matches(const MatchInput& input) const;

 private:
  enum class Op : uint8_t {
    kAll,
    kAny,
    kNot,
    kAnyHost,
    kHost,
    kHostWildcard,
    kHostRegexp,
    kPath,
    kPathPrefix,
    kPathRegexp,
    kMethod,
    kHeader,
    kHeaderRegexp,
    kQuery,
    kQueryRegexp,
    kClientIp,
    kAlpn,
  };
  struct Node {
    Op op = Op::kAll;
    uint32_t first = 0;  // kAll/kAny: children are nodes_[children_[first .. first+count)]
    uint32_t count = 0;  // kNot: the child is nodes_[first]
    std::string name;    // header name, query key
    std::string value;   // host, path, method, header/query value, ALPN protocol
    std::unique_ptr<re2::RE2> re;
    CidrSet networks;
  };

  RouteMatcher() = default;
  bool Add(const v1::Matcher& m, const std::string& where, int depth, std::string* error);
  bool AddLeaf(const v1::Matcher& m, Node* node, const std::string& where, std::string* error);
  bool Eval(uint32_t index, const MatchInput& input) const;
  bool EvalLeaf(const Node& node, const MatchInput& input) const;

  std::vector<Node> nodes_;  // nodes_[0] is the root
  std::vector<uint32_t> children_;
};

// Whether `host` (lower-case, no port) is matched by "*.suffix": exactly
// one non-empty label before ".suffix".
bool WildcardHostMatches(std::string_view wildcard, std::string_view host);

// One name=value pair of a raw query string, still percent-encoded.
struct RawQueryParam {
  std::string_view name;
  std::string_view value;
};

// Splits a raw query the way Go's url.ParseQuery does: pairs separated by
// '&', name and value by the first '='; empty pairs, pairs containing ';'
// and pairs with a malformed %-escape are skipped. No allocation.
class QueryParamReader {
 public:
  explicit QueryParamReader(std::string_view query) : rest_(query) {}
  bool Next(RawQueryParam* param);

 private:
  std::string_view rest_;
};

// Whether the query-decoded `raw` ('+' is a space, %XX a byte) equals
// `decoded`. `raw` must have well-formed escapes (QueryParamReader's are).
bool QueryDecodedEquals(std::string_view raw, std::string_view decoded);

// Appends the query-decoded `raw` to *out.
void QueryDecode(std::string_view raw, std::string* out);

}  // namespace portico::dataplane
