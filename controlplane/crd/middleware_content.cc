// Middleware types that shape responses, plus chain and TLS client
// certificate forwarding.
#include <algorithm>
#include <array>

#include "controlplane/crd/middleware_readers.h"

namespace portico::controlplane::crd {
namespace {

constexpr std::array<std::string_view, 3> kEncodings = {"gzip", "br", "zstd"};

void CheckMediaTypes(CrdReader& r, std::string_view name, const std::vector<std::string>& types) {
  for (size_t i = 0; i < types.size(); ++i) {
    const std::string& t = types[i];
    size_t slash = t.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == t.size() || !IsHeaderValue(t)) {
      r.Fail(Item(name, i), "must be a media type such as \"text/html\", got " + Quoted(t));
    }
  }
}

void ReadDistinguishedName(CrdReader& r, DistinguishedNameFields* out, bool subject) {
  r.Bool("country", &out->country);
  r.Bool("province", &out->province);
  r.Bool("locality", &out->locality);
  r.Bool("organization", &out->organization);
  if (subject) r.Bool("organizationalUnit", &out->organizational_unit);
  r.Bool("commonName", &out->common_name);
  r.Bool("serialNumber", &out->serial_number);
  r.Bool("domainComponent", &out->domain_component);
}

void ReadCertInfo(CrdReader& r, ClientCertInfo* out) {
  r.Bool("notAfter", &out->not_after);
  r.Bool("notBefore", &out->not_before);
  r.Bool("sans", &out->sans);
  r.Bool("serialNumber", &out->serial_number);
  r.OptionalObject("subject", &out->subject, [](CrdReader& s, DistinguishedNameFields* d) {
    ReadDistinguishedName(s, d, true);
  });
  r.OptionalObject("issuer", &out->issuer, [](CrdReader& s, DistinguishedNameFields* d) {
    ReadDistinguishedName(s, d, false);
  });
}

}  // namespace

void ReadChain(CrdReader& r, Chain* out) {
  r.List("middlewares", &out->middlewares, ReadObjectRef, Need::kRequired);
}

void ReadCompress(CrdReader& r, Compress* out) {
  r.EnumList("encodings", kEncodings, &out->encodings);
  r.Enum("defaultEncoding", kEncodings, &out->default_encoding);
  r.Int("minResponseBodyBytes", &out->min_response_body_bytes, {.min = 0});
  r.StringList("excludedContentTypes", &out->excluded_content_types);
  r.StringList("includedContentTypes", &out->included_content_types);
  r.Choice({"excludedContentTypes", "includedContentTypes"}, false);
  CheckMediaTypes(r, "excludedContentTypes", out->excluded_content_types);
  CheckMediaTypes(r, "includedContentTypes", out->included_content_types);
}

void ReadContentType(CrdReader& r, ContentType* out) { r.Bool("autoDetect", &out->auto_detect); }

void ReadErrorPages(CrdReader& r, ErrorPages* out) {
  std::vector<std::string> status;
  std::map<std::string, int64_t> rewrites;
  r.StringList("status", &status, Need::kRequired);
  r.IntMap("statusRewrites", &rewrites);
  r.Object(
      "service", [&](CrdReader& s) { ReadServiceRef(s, &out->service); }, Need::kRequired);
  r.String("query", &out->query);
  r.StringList("errorRequestHeaders", &out->error_request_headers);
  CheckStatusList(r, "status", status, &out->status);
  for (const auto& [from, to] : rewrites) {
    std::vector<StatusRange> ranges;
    if (std::string e = ParseStatusRanges(from, &ranges); !e.empty() || ranges.size() != 1) {
      r.Fail("statusRewrites",
             "keys must be a status code or one range such as \"500-503\", got " + Quoted(from));
    } else if (to < 100 || to > 599) {
      r.Fail("statusRewrites." + from,
             "must be a status code (100-599), got " + std::to_string(to));
    } else {
      out->status_rewrites.push_back({ranges[0], to});
    }
  }
  std::sort(
      out->status_rewrites.begin(), out->status_rewrites.end(),
      [](const StatusRewrite& a, const StatusRewrite& b) { return a.from.first < b.from.first; });
  CheckAbsolutePath(r, "query", out->query);
  CheckHeaderNames(r, "errorRequestHeaders", out->error_request_headers);
}

void ReadGrpcWeb(CrdReader& r, GrpcWeb* out) { r.StringList("allowOrigins", &out->allow_origins); }

void ReadPassTlsClientCert(CrdReader& r, PassTlsClientCert* out) {
  r.Bool("pem", &out->pem);
  r.OptionalObject("info", &out->info, ReadCertInfo);
}

void ReadEncodedCharacters(CrdReader& r, EncodedCharacters* out) {
  r.Bool("allowEncodedSlash", &out->allow_encoded_slash);
  r.Bool("allowEncodedBackSlash", &out->allow_encoded_back_slash);
  r.Bool("allowEncodedNullCharacter", &out->allow_encoded_null_character);
  r.Bool("allowEncodedSemicolon", &out->allow_encoded_semicolon);
  r.Bool("allowEncodedPercent", &out->allow_encoded_percent);
  r.Bool("allowEncodedQuestionMark", &out->allow_encoded_question_mark);
  r.Bool("allowEncodedHash", &out->allow_encoded_hash);
}

}  // namespace portico::controlplane::crd
