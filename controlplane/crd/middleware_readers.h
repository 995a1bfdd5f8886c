// The readers of each Middleware type, shared by middleware*.cc; internal to
// portico_crd. Each reads one `spec.<type>` object and validates it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "controlplane/crd/crd_reader.h"
#include "controlplane/crd/middleware.h"

namespace portico::controlplane::crd {

// Shared checks: each Fails at `name` (or its items) on a bad value.
void CheckAbsolutePath(CrdReader& r, std::string_view name, const std::string& value);
void CheckRegex(CrdReader& r, std::string_view relative, const std::string& pattern);
void CheckHeaderNames(CrdReader& r, std::string_view name, const std::vector<std::string>& names);
void CheckHeaderName(CrdReader& r, std::string_view name, const std::string& value);
void CheckHeaderValue(CrdReader& r, std::string_view name, const std::string& value);
void CheckHeaderMap(CrdReader& r, std::string_view name,
                    const std::map<std::string, std::string>& headers);
void CheckSecretName(CrdReader& r, std::string_view name, const std::string& value);
void CheckPositive(CrdReader& r, std::string_view name, const std::optional<Duration>& value);
void CheckStatusList(CrdReader& r, std::string_view name, const std::vector<std::string>& texts,
                     std::vector<StatusRange>* out);

void ReadIpStrategy(CrdReader& r, IpStrategy* out);
void ReadSourceCriterion(CrdReader& r, SourceCriterion* out);
void ReadClientTls(CrdReader& r, ClientTls* out, bool with_ca_optional);

void ReadAddPrefix(CrdReader& r, AddPrefix* out);
void ReadStripPrefix(CrdReader& r, StripPrefix* out);
void ReadStripPrefixRegex(CrdReader& r, StripPrefixRegex* out);
void ReadReplacePath(CrdReader& r, ReplacePath* out);
void ReadReplacePathRegex(CrdReader& r, ReplacePathRegex* out);
void ReadRedirectRegex(CrdReader& r, RedirectRegex* out);
void ReadRedirectScheme(CrdReader& r, RedirectScheme* out);

void ReadBasicAuth(CrdReader& r, BasicAuth* out);
void ReadDigestAuth(CrdReader& r, DigestAuth* out);
void ReadForwardAuth(CrdReader& r, ForwardAuth* out);
void ReadHeaders(CrdReader& r, Headers* out);

void ReadIpAllowList(CrdReader& r, IpAllowList* out);
void ReadRateLimit(CrdReader& r, RateLimit* out);
void ReadInFlightReq(CrdReader& r, InFlightReq* out);
void ReadCircuitBreaker(CrdReader& r, CircuitBreaker* out);
void ReadRetry(CrdReader& r, Retry* out);
void ReadBuffering(CrdReader& r, Buffering* out);

void ReadChain(CrdReader& r, Chain* out);
void ReadCompress(CrdReader& r, Compress* out);
void ReadContentType(CrdReader& r, ContentType* out);
void ReadErrorPages(CrdReader& r, ErrorPages* out);
void ReadGrpcWeb(CrdReader& r, GrpcWeb* out);
void ReadPassTlsClientCert(CrdReader& r, PassTlsClientCert* out);
void ReadEncodedCharacters(CrdReader& r, EncodedCharacters* out);

}  // namespace portico::controlplane::crd
