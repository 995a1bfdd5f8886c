#include "controlplane/rules/matcher_catalog.h"

#include <array>

#include "absl/strings/ascii.h"
#include "controlplane/rules/matcher_values.h"

namespace portico::controlplane::rules {
namespace {

using Args = std::vector<std::string>;

ArgumentError Ok() { return {}; }
ArgumentError Bad(size_t argument, std::string message) { return {argument, std::move(message)}; }

ArgumentError BuildHost(const Args& args, v1::Matcher* leaf, bool allow_wildcard) {
  HostForm form = HostForm::kExact;
  std::string host;
  std::string error = NormalizeHostValue(args[0], allow_wildcard, &form, &host);
  if (!error.empty()) return Bad(0, "invalid host '" + args[0] + "': " + error);
  switch (form) {
    case HostForm::kAny:
      leaf->set_any_host(true);
      break;
    case HostForm::kExact:
      leaf->set_host(std::move(host));
      break;
    case HostForm::kWildcard:
      leaf->set_host_wildcard(std::move(host));
      break;
  }
  return Ok();
}

ArgumentError Host(const Args& args, v1::Matcher* leaf) { return BuildHost(args, leaf, true); }
ArgumentError HostSni(const Args& args, v1::Matcher* leaf) { return BuildHost(args, leaf, false); }

ArgumentError HostRegexp(const Args& args, v1::Matcher* leaf) {
  if (!IsAscii(args[0])) return Bad(0, "non-ASCII characters are not allowed in a host pattern");
  if (std::string error = CheckRegexp(args[0]); !error.empty()) return Bad(0, error);
  leaf->set_host_regexp(args[0]);
  return Ok();
}

ArgumentError CheckPathArg(const Args& args) {
  if (args[0].empty() || args[0][0] != '/') {
    return Bad(0, "path '" + args[0] + "' does not start with '/'");
  }
  return Ok();
}

ArgumentError Path(const Args& args, v1::Matcher* leaf) {
  ArgumentError error = CheckPathArg(args);
  if (error.message.empty()) leaf->set_path(args[0]);
  return error;
}

ArgumentError PathPrefix(const Args& args, v1::Matcher* leaf) {
  ArgumentError error = CheckPathArg(args);
  if (error.message.empty()) leaf->set_path_prefix(args[0]);
  return error;
}

ArgumentError PathRegexp(const Args& args, v1::Matcher* leaf) {
  if (std::string error = CheckRegexp(args[0]); !error.empty()) return Bad(0, error);
  leaf->set_path_regexp(args[0]);
  return Ok();
}

ArgumentError Method(const Args& args, v1::Matcher* leaf) {
  if (!IsToken(args[0])) return Bad(0, "invalid method '" + args[0] + "'");
  leaf->set_method(absl::AsciiStrToUpper(args[0]));
  return Ok();
}

ArgumentError BuildHeader(const Args& args, v1::KeyValue* kv) {
  if (!IsToken(args[0])) return Bad(0, "invalid header name '" + args[0] + "'");
  kv->set_name(absl::AsciiStrToLower(args[0]));
  kv->set_value(args[1]);
  return Ok();
}

ArgumentError Header(const Args& args, v1::Matcher* leaf) {
  return BuildHeader(args, leaf->mutable_header());
}

ArgumentError HeaderRegexp(const Args& args, v1::Matcher* leaf) {
  if (std::string error = CheckRegexp(args[1]); !error.empty()) return Bad(1, error);
  return BuildHeader(args, leaf->mutable_header_regexp());
}

ArgumentError Query(const Args& args, v1::Matcher* leaf) {
  v1::KeyValue* kv = leaf->mutable_query();
  kv->set_name(args[0]);
  if (args.size() > 1) kv->set_value(args[1]);
  return Ok();
}

// QueryRegexp(`k`) is Query(`k`), as in Traefik.
ArgumentError QueryRegexp(const Args& args, v1::Matcher* leaf) {
  if (args.size() == 1) return Query(args, leaf);
  if (std::string error = CheckRegexp(args[1]); !error.empty()) return Bad(1, error);
  v1::KeyValue* kv = leaf->mutable_query_regexp();
  kv->set_name(args[0]);
  kv->set_value(args[1]);
  return Ok();
}

ArgumentError ClientIp(const Args& args, v1::Matcher* leaf) {
  if (args[0].find(',') != std::string::npos) {
    return Bad(0, "one address or network per ClientIP; combine several with ||");
  }
  std::string canonical;
  if (std::string error = CanonicalClientIp(args[0], &canonical); !error.empty()) {
    return Bad(0, error);
  }
  leaf->set_client_ip(std::move(canonical));
  return Ok();
}

ArgumentError Alpn(const Args& args, v1::Matcher* leaf) {
  if (args[0].empty()) return Bad(0, "empty protocol");
  if (args[0].size() > 255) return Bad(0, "a protocol name is at most 255 bytes");
  // Reserved for TLS-ALPN-01 certificate challenges, never routed.
  if (args[0] == "acme-tls/1") return Bad(0, "protocol 'acme-tls/1' is not allowed");
  leaf->set_alpn(args[0]);
  return Ok();
}

constexpr std::array<MatcherSpec, 14> kMatchers = {{
    {"Host", true, false, 1, 1, Host},
    {"HostRegexp", true, false, 1, 1, HostRegexp},
    {"Path", true, false, 1, 1, Path},
    {"PathPrefix", true, false, 1, 1, PathPrefix},
    {"PathRegexp", true, false, 1, 1, PathRegexp},
    {"Method", true, false, 1, 1, Method},
    {"Header", true, false, 2, 2, Header},
    {"HeaderRegexp", true, false, 2, 2, HeaderRegexp},
    {"Query", true, false, 1, 2, Query},
    {"QueryRegexp", true, false, 1, 2, QueryRegexp},
    {"ClientIP", true, true, 1, 1, ClientIp},
    {"HostSNI", false, true, 1, 1, HostSni},
    {"HostSNIRegexp", false, true, 1, 1, HostRegexp},
    {"ALPN", false, true, 1, 1, Alpn},
}};

}  // namespace

const MatcherSpec* FindMatcher(std::string_view name) {
  for (const MatcherSpec& spec : kMatchers) {
    if (name == spec.name) return &spec;
    std::string lower = absl::AsciiStrToLower(std::string(spec.name));
    if (name == lower || name == absl::AsciiStrToUpper(std::string(spec.name))) return &spec;
    lower[0] = absl::ascii_toupper(static_cast<unsigned char>(lower[0]));
    if (name == lower) return &spec;
  }
  return nullptr;
}

std::string MatcherNames(RuleKind kind) {
  std::string names;
  for (const MatcherSpec& spec : kMatchers) {
    if (!(kind == RuleKind::kHttp ? spec.http : spec.tcp)) continue;
    if (!names.empty()) names += ", ";
    names += spec.name;
  }
  return names;
}

}  // namespace portico::controlplane::rules
