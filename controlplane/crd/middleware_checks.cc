// Checks and sub-objects that several Middleware types share.
#include "controlplane/crd/middleware_readers.h"
#include "controlplane/model/dns_names.h"

namespace portico::controlplane::crd {

void CheckAbsolutePath(CrdReader& r, std::string_view name, const std::string& value) {
  if (!value.empty() && value[0] != '/') r.Fail(name, "must start with '/', got " + Quoted(value));
}

void CheckRegex(CrdReader& r, std::string_view relative, const std::string& pattern) {
  if (std::string e = Re2Error(pattern); !e.empty()) {
    r.Fail(relative, "is not a valid RE2 expression (" + e + "): " + Quoted(pattern));
  }
}

void CheckHeaderName(CrdReader& r, std::string_view name, const std::string& value) {
  if (!value.empty() && !IsHeaderName(value)) {
    r.Fail(name, "must be a header name (an HTTP token), got " + Quoted(value));
  }
}

void CheckHeaderNames(CrdReader& r, std::string_view name, const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) CheckHeaderName(r, Item(name, i), names[i]);
}

void CheckHeaderValue(CrdReader& r, std::string_view name, const std::string& value) {
  if (!IsHeaderValue(value)) r.Fail(name, "must not contain CR, LF or NUL");
}

void CheckHeaderMap(CrdReader& r, std::string_view name,
                    const std::map<std::string, std::string>& headers) {
  for (const auto& [key, value] : headers) {
    std::string at = std::string(name) + "." + key;
    if (!IsHeaderName(key)) {
      r.Fail(name, "has an invalid header name " + Quoted(key));
    }
    CheckHeaderValue(r, at, value);
  }
}

void CheckSecretName(CrdReader& r, std::string_view name, const std::string& value) {
  if (!value.empty() && !IsDnsSubdomain(value)) {
    r.Fail(name, "must be a Secret name (a DNS subdomain), got " + Quoted(value));
  }
}

void CheckPositive(CrdReader& r, std::string_view name, const std::optional<Duration>& value) {
  if (value && value->count() <= 0) r.Fail(name, "must be a positive duration");
}

void CheckStatusList(CrdReader& r, std::string_view name, const std::vector<std::string>& texts,
                     std::vector<StatusRange>* out) {
  for (size_t i = 0; i < texts.size(); ++i) {
    if (std::string e = ParseStatusRanges(texts[i], out); !e.empty()) {
      r.Fail(Item(name, i), e + ", got " + Quoted(texts[i]));
    }
  }
}

void ReadIpStrategy(CrdReader& r, IpStrategy* out) {
  r.Int("depth", &out->depth, {.min = 0});
  r.StringList("excludedIPs", &out->excluded_ips);
  r.Int("ipv6Subnet", &out->ipv6_subnet, {.min = 0, .max = 128});
  for (size_t i = 0; i < out->excluded_ips.size(); ++i) {
    if (!IsIpOrCidr(out->excluded_ips[i])) {
      r.Fail(Item("excludedIPs", i),
             "must be an IP address or CIDR range, got " + Quoted(out->excluded_ips[i]));
    }
  }
}

void ReadSourceCriterion(CrdReader& r, SourceCriterion* out) {
  r.OptionalObject("ipStrategy", &out->ip_strategy, ReadIpStrategy);
  r.String("requestHeaderName", &out->request_header_name);
  r.Bool("requestHost", &out->request_host);
  r.Choice({"ipStrategy", "requestHeaderName", "requestHost"}, false);
  CheckHeaderName(r, "requestHeaderName", out->request_header_name);
}

void ReadClientTls(CrdReader& r, ClientTls* out, bool with_ca_optional) {
  r.String("caSecret", &out->ca_secret);
  r.String("certSecret", &out->cert_secret);
  r.Bool("insecureSkipVerify", &out->insecure_skip_verify);
  if (with_ca_optional) r.Bool("caOptional", &out->ca_optional);
  CheckSecretName(r, "caSecret", out->ca_secret);
  CheckSecretName(r, "certSecret", out->cert_secret);
}

}  // namespace portico::controlplane::crd
