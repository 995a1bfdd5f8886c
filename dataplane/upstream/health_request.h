// The HTTP side of one active health check, as pure functions: checking a
// HealthCheck from the snapshot, the request bytes, which statuses pass and
// which redirects stay on the checked endpoint. No I/O; any thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "portico/v1/snapshot.pb.h"

namespace portico::dataplane {

// Defaults of the HealthCheck fields whose 0 means "unset".
inline constexpr uint64_t kDefaultHealthIntervalMs = 30'000;
inline constexpr uint64_t kDefaultHealthTimeoutMs = 5'000;

// "" when `check` can be sent as is, else what is wrong, naming the field
// ("healthCheck.headers[1].value: contains CR or LF").
std::string ValidateHealthCheck(const v1::HealthCheck& check);

// "10.0.0.1:8080" / "[::1]:8080": the address with `port` (host order).
std::string AddressAuthority(const sockaddr_storage& address, uint16_t port);

// The request head: `<method> <path> HTTP/1.1`, Host, the configured
// headers, Connection: close, User-Agent: portico-health.
std::string BuildHealthRequest(const v1::HealthCheck& check, std::string_view path,
                               std::string_view host);

// status == check.status when set, else any 2xx or 3xx (Traefik's rule).
bool HealthStatusPasses(const v1::HealthCheck& check, int status);

// Where a redirect to `location` leads when it stays on the endpoint being
// checked: a path ("/login?x=1") for a relative location or an absolute one
// with the check's scheme and an authority equal to `host` (the Host sent)
// or `authority` (the address connected to). nullopt when it leaves.
std::optional<std::string> SameEndpointRedirect(std::string_view location,
                                                std::string_view current_path,
                                                std::string_view scheme, std::string_view host,
                                                std::string_view authority);

}  // namespace portico::dataplane
