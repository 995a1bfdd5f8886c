#include "dataplane/route/matcher.h"

#include <algorithm>

#include "dataplane/http/request_target.h"
#include "re2/re2.h"

namespace portico::dataplane {
namespace {

// Matcher levels a tree may have; the controller's compiler stays below.
constexpr int kMaxDepth = 64;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool EscapesWellFormed(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    if (i + 2 >= s.size()) return false;
    if (HexDigit(s[i + 1]) < 0 || HexDigit(s[i + 2]) < 0) return false;
    i += 2;
  }
  return true;
}

// Reads one decoded byte of `raw` at *i and advances past it.
char DecodedByte(std::string_view raw, size_t* i) {
  char c = raw[*i];
  if (c == '+') {
    ++*i;
    return ' ';
  }
  if (c == '%') {
    char byte = static_cast<char>(HexDigit(raw[*i + 1]) * 16 + HexDigit(raw[*i + 2]));
    *i += 3;
    return byte;
  }
  ++*i;
  return c;
}

std::string_view WithoutTrailingDot(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return host;
}

bool Search(const re2::RE2& re, std::string_view text) {
  return re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), re);
}

bool HasUpper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace

bool QueryParamReader::Next(RawQueryParam* param) {
  while (!rest_.empty()) {
    size_t amp = rest_.find('&');
    std::string_view pair = rest_.substr(0, amp);
    rest_ = amp == std::string_view::npos ? std::string_view() : rest_.substr(amp + 1);
    if (pair.empty() || pair.find(';') != std::string_view::npos) continue;
    size_t eq = pair.find('=');
    param->name = pair.substr(0, eq);
    param->value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (EscapesWellFormed(param->name) && EscapesWellFormed(param->value)) return true;
  }
  return false;
}

bool QueryDecodedEquals(std::string_view raw, std::string_view decoded) {
  size_t i = 0, j = 0;
  while (i < raw.size()) {
    if (j == decoded.size() || DecodedByte(raw, &i) != decoded[j]) return false;
    ++j;
  }
  return j == decoded.size();
}

void QueryDecode(std::string_view raw, std::string* out) {
  for (size_t i = 0; i < raw.size();) out->push_back(DecodedByte(raw, &i));
}

bool WildcardHostMatches(std::string_view wildcard, std::string_view host) {
  std::string_view suffix = wildcard.substr(1);  // ".example.com"
  if (host.size() <= suffix.size() || !host.ends_with(suffix)) return false;
  std::string_view label = host.substr(0, host.size() - suffix.size());
  return label.find('.') == std::string_view::npos;
}

RouteMatcher::~RouteMatcher() = default;

std::unique_ptr<const RouteMatcher> RouteMatcher::Build(const v1::Matcher& match,
                                                        std::string* error) {
  std::unique_ptr<RouteMatcher> matcher(new RouteMatcher());
  if (!matcher->Add(match, "match", 0, error)) return nullptr;
  return matcher;
}

bool RouteMatcher::Add(const v1::Matcher& m, const std::string& where, int depth,
                       std::string* error) {
  if (depth >= kMaxDepth) {
    *error = where + ": nested deeper than " + std::to_string(kMaxDepth) + " levels";
    return false;
  }
  const uint32_t index = static_cast<uint32_t>(nodes_.size());
  nodes_.emplace_back();
  if (m.has_all_of() || m.has_any_of()) {
    const bool all = m.has_all_of();
    const v1::MatcherList& list = all ? m.all_of() : m.any_of();
    const std::string list_name = where + (all ? ".all_of" : ".any_of");
    if (list.matchers().empty()) {
      *error = list_name + ": no matchers";
      return false;
    }
    std::vector<uint32_t> kids;
    for (int i = 0; i < list.matchers_size(); ++i) {
      kids.push_back(static_cast<uint32_t>(nodes_.size()));
      std::string child = list_name + "[" + std::to_string(i) + "]";
      if (!Add(list.matchers(i), child, depth + 1, error)) return false;
    }
    Node& node = nodes_[index];
    node.op = all ? Op::kAll : Op::kAny;
    node.first = static_cast<uint32_t>(children_.size());
    node.count = static_cast<uint32_t>(kids.size());
    children_.insert(children_.end(), kids.begin(), kids.end());
    return true;
  }
  if (m.has_not_()) {
    nodes_[index].op = Op::kNot;
    nodes_[index].first = index + 1;
    return Add(m.not_(), where + ".not", depth + 1, error);
  }
  Node node;
  if (!AddLeaf(m, &node, where, error)) return false;
  nodes_[index] = std::move(node);
  return true;
}

bool RouteMatcher::AddLeaf(const v1::Matcher& m, Node* node, const std::string& where,
                           std::string* error) {
  auto fail = [&](const char* field, const std::string& why) {
    *error = where + "." + field + ": " + why;
    return false;
  };
  auto regexp = [&](const char* field, const std::string& pattern) {
    re2::RE2::Options options;
    options.set_log_errors(false);
    node->re = std::make_unique<re2::RE2>(pattern, options);
    if (!node->re->ok()) return fail(field, "invalid regular expression: " + node->re->error());
    return true;
  };
  switch (m.kind_case()) {
    case v1::Matcher::kAnyHost:
      node->op = Op::kAnyHost;
      return m.any_host() || fail("any_host", "must be true when set");
    case v1::Matcher::kHost:
      node->op = Op::kHost;
      node->value = m.host();
      if (node->value.empty() || HasUpper(node->value) || node->value.back() == '.') {
        return fail("host", "must be a non-empty lower-case host without a trailing dot");
      }
      return true;
    case v1::Matcher::kHostWildcard:
      node->op = Op::kHostWildcard;
      node->value = m.host_wildcard();
      if (node->value.size() < 3 || !node->value.starts_with("*.") || HasUpper(node->value) ||
          node->value.find('*', 1) != std::string::npos) {
        return fail("host_wildcard", "must be a lower-case \"*.suffix\"");
      }
      return true;
    case v1::Matcher::kHostRegexp:
      node->op = Op::kHostRegexp;
      return regexp("host_regexp", m.host_regexp());
    case v1::Matcher::kPath:
    case v1::Matcher::kPathPrefix: {
      bool exact = m.has_path();
      node->op = exact ? Op::kPath : Op::kPathPrefix;
      // In the request's routing-path form (escapes decoded as there).
      node->value = RoutingPath(exact ? m.path() : m.path_prefix());
      if (node->value.empty() || node->value[0] != '/') {
        return fail(exact ? "path" : "path_prefix", "must start with '/'");
      }
      return true;
    }
    case v1::Matcher::kPathRegexp:
      node->op = Op::kPathRegexp;
      return regexp("path_regexp", m.path_regexp());
    case v1::Matcher::kMethod:
      node->op = Op::kMethod;
      node->value = m.method();
      return !node->value.empty() || fail("method", "empty");
    case v1::Matcher::kHeader:
    case v1::Matcher::kHeaderRegexp: {
      bool exact = m.has_header();
      const char* field = exact ? "header" : "header_regexp";
      const v1::KeyValue& kv = exact ? m.header() : m.header_regexp();
      node->op = exact ? Op::kHeader : Op::kHeaderRegexp;
      node->name = kv.name();
      node->value = kv.value();
      if (node->name.empty()) return fail(field, "empty header name");
      return exact || regexp(field, kv.value());
    }
    case v1::Matcher::kQuery:
    case v1::Matcher::kQueryRegexp: {
      bool exact = m.has_query();
      const v1::KeyValue& kv = exact ? m.query() : m.query_regexp();
      node->op = exact ? Op::kQuery : Op::kQueryRegexp;
      node->name = kv.name();
      node->value = kv.value();
      return exact || regexp("query_regexp", kv.value());
    }
    case v1::Matcher::kClientIp: {
      node->op = Op::kClientIp;
      if (m.client_ip().find(',') != std::string::npos) {
        return fail("client_ip", "one address or network, not a list");
      }
      std::string why = node->networks.Parse(m.client_ip());
      if (!why.empty()) return fail("client_ip", why);
      return !node->networks.empty() || fail("client_ip", "empty");
    }
    case v1::Matcher::kAlpn:
      node->op = Op::kAlpn;
      node->value = m.alpn();
      return !node->value.empty() || fail("alpn", "empty");
    default:
      *error = where + ": no matcher set";
      return false;
  }
}

bool RouteMatcher::Matches(const MatchInput& input) const { return Eval(0, input); }

bool RouteMatcher::Eval(uint32_t index, const MatchInput& input) const {
  const Node& node = nodes_[index];
  switch (node.op) {
    case Op::kAll:
      for (uint32_t i = 0; i < node.count; ++i) {
        if (!Eval(children_[node.first + i], input)) return false;
      }
      return true;
    case Op::kAny:
      for (uint32_t i = 0; i < node.count; ++i) {
        if (Eval(children_[node.first + i], input)) return true;
      }
      return false;
    case Op::kNot:
      return !Eval(node.first, input);
    default:
      return EvalLeaf(node, input);
  }
}

bool RouteMatcher::EvalLeaf(const Node& node, const MatchInput& input) const {
  switch (node.op) {
    case Op::kAnyHost:
      return true;
    case Op::kHost:
      return WithoutTrailingDot(input.host) == node.value;
    case Op::kHostWildcard:
      return WildcardHostMatches(node.value, WithoutTrailingDot(input.host));
    case Op::kHostRegexp:
      return Search(*node.re, input.host);
    case Op::kPath:
      return input.path == node.value;
    case Op::kPathPrefix:
      return input.path.starts_with(node.value);
    case Op::kPathRegexp:
      return Search(*node.re, input.path);
    case Op::kMethod:
      return input.method == node.value;
    case Op::kHeader:
    case Op::kHeaderRegexp:
      if (input.headers == nullptr) return false;
      for (const HeaderField& field : *input.headers) {
        if (!HeaderNameEquals(field.name, node.name)) continue;
        std::string_view value = TrimOws(field.value);
        if (node.op == Op::kHeader ? value == node.value : Search(*node.re, value)) return true;
      }
      return false;
    case Op::kQuery:
    case Op::kQueryRegexp: {
      QueryParamReader reader(input.query);
      RawQueryParam param;
      while (reader.Next(&param)) {
        if (!QueryDecodedEquals(param.name, node.name)) continue;
        if (node.op == Op::kQuery) {
          if (QueryDecodedEquals(param.value, node.value)) return true;
          continue;
        }
        if (param.value.find_first_of("%+") == std::string_view::npos) {
          if (Search(*node.re, param.value)) return true;
          continue;
        }
        thread_local std::string decoded;  // keeps its capacity between requests
        decoded.clear();
        QueryDecode(param.value, &decoded);
        if (Search(*node.re, decoded)) return true;
      }
      return false;
    }
    case Op::kClientIp:
      return input.peer != nullptr && node.networks.Contains(input.peer);
    case Op::kAlpn:
      return std::find(input.alpn.begin(), input.alpn.end(), node.value) != input.alpn.end();
    default:
      return false;
  }
}

}  // namespace portico::dataplane
