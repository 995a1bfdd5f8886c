// Middleware types that rewrite the request path or redirect.
#include "controlplane/crd/middleware_readers.h"

namespace portico::controlplane::crd {
namespace {

bool IsScheme(std::string_view text) {
  if (text.empty() || !std::isalpha(static_cast<unsigned char>(text[0]))) return false;
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

bool IsPortNumber(std::string_view text) {
  if (text.empty() || text.size() > 5) return false;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return value >= 1 && value <= 65535;
}

}  // namespace

void ReadAddPrefix(CrdReader& r, AddPrefix* out) {
  r.String("prefix", &out->prefix, Need::kRequired);
  CheckAbsolutePath(r, "prefix", out->prefix);
}

void ReadStripPrefix(CrdReader& r, StripPrefix* out) {
  r.StringList("prefixes", &out->prefixes, Need::kRequired);
  r.Deprecated("forceSlash", SchemaType::kBoolean);
  for (size_t i = 0; i < out->prefixes.size(); ++i) {
    CheckAbsolutePath(r, Item("prefixes", i), out->prefixes[i]);
  }
}

void ReadStripPrefixRegex(CrdReader& r, StripPrefixRegex* out) {
  r.StringList("regex", &out->regex, Need::kRequired);
  for (size_t i = 0; i < out->regex.size(); ++i) CheckRegex(r, Item("regex", i), out->regex[i]);
}

void ReadReplacePath(CrdReader& r, ReplacePath* out) {
  r.String("path", &out->path, Need::kRequired);
  CheckAbsolutePath(r, "path", out->path);
}

void ReadReplacePathRegex(CrdReader& r, ReplacePathRegex* out) {
  r.String("regex", &out->regex, Need::kRequired);
  r.String("replacement", &out->replacement, Need::kRequired);
  CheckRegex(r, "regex", out->regex);
}

void ReadRedirectRegex(CrdReader& r, RedirectRegex* out) {
  r.String("regex", &out->regex, Need::kRequired);
  r.String("replacement", &out->replacement, Need::kRequired);
  r.Bool("permanent", &out->permanent);
  CheckRegex(r, "regex", out->regex);
}

void ReadRedirectScheme(CrdReader& r, RedirectScheme* out) {
  r.String("scheme", &out->scheme, Need::kRequired);
  r.String("port", &out->port);
  r.Bool("permanent", &out->permanent);
  if (!out->scheme.empty() && !IsScheme(out->scheme)) {
    r.Fail("scheme", "must be a URL scheme such as \"https\", got " + Quoted(out->scheme));
  }
  if (!out->port.empty() && !IsPortNumber(out->port)) {
    r.Fail("port", "must be a port number from 1 to 65535 (as a string), got " + Quoted(out->port));
  }
}

}  // namespace portico::controlplane::crd
