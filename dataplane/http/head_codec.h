// Serialises message heads for the other side of the proxy: removes
// hop-by-hop headers, adds forwarding headers, and sets the framing the
// proxy will use. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dataplane/http/message.h"

namespace portico::dataplane {

struct ForwardingInfo {
  std::string_view client_ip;  // peer address of the downstream connection
  std::string_view proto;      // "http" or "https"
  std::string_view entrypoint_port;
  // The peer is in the entrypoint's trusted IPs: its forwarding headers are
  // kept (X-Forwarded-For is appended to), not replaced.
  bool trusted_peer = false;
  // Set: the Host sent upstream (the endpoint's address, for a service with
  // passHostHeader false); the client's Host goes in X-Forwarded-Host.
  std::string_view host_override;
};

// True for headers that describe one connection only (RFC 9110 7.6.1), plus
// any header named in the message's own Connection header.
bool IsHopByHop(std::string_view name, const HeaderList& headers);

// The request as sent upstream: always HTTP/1.1, keep-alive, chunked when the
// client's body was chunked. Forwarded headers from an untrusted client are
// replaced. An upgrade request keeps its Upgrade header and says
// "Connection: Upgrade".
// Every serializer appends to `out`; the forms that return a string are for
// tests and cold paths.
void SerializeUpstreamRequest(const RequestHead& request, const ForwardingInfo& forwarding,
                              std::string* out);
inline std::string SerializeUpstreamRequest(const RequestHead& request,
                                            const ForwardingInfo& forwarding) {
  std::string out;
  SerializeUpstreamRequest(request, forwarding, &out);
  return out;
}

enum class ResponseFraming {
  kAsIs,       // Content-Length from upstream, or no body at all
  kChunked,    // the proxy writes chunked encoding
  kUntilClose  // body ends when the proxy closes the connection (HTTP/1.0 client)
};

// The response as sent downstream. A 101 keeps Upgrade and says
// "Connection: Upgrade".
// `set_cookies` are added as Set-Cookie fields (sticky sessions).
void SerializeClientResponse(const ResponseHead& response, ResponseFraming framing,
                             bool keep_alive, int client_http_minor, std::string* out,
                             const std::vector<std::string>* set_cookies = nullptr);
inline std::string SerializeClientResponse(const ResponseHead& response, ResponseFraming framing,
                                           bool keep_alive, int client_http_minor) {
  std::string out;
  SerializeClientResponse(response, framing, keep_alive, client_http_minor, &out);
  return out;
}

// The end of a chunked body: the last chunk and the trailer fields, without
// hop-by-hop and framing fields.
void LastChunk(const HeaderList& trailers, std::string* out);
inline std::string LastChunk(const HeaderList& trailers) {
  std::string out;
  LastChunk(trailers, &out);
  return out;
}

// A complete local response (404, 502, ...) with a short text body.
void LocalResponse(int status, std::string_view body, bool keep_alive, bool head_request,
                   std::string* out);
inline std::string LocalResponse(int status, std::string_view body, bool keep_alive,
                                 bool head_request) {
  std::string out;
  LocalResponse(status, body, keep_alive, head_request, &out);
  return out;
}

// One chunk of chunked encoding around `size` bytes of data (header part).
void ChunkHeader(size_t size, std::string* out);
inline std::string ChunkHeader(size_t size) {
  std::string out;
  ChunkHeader(size, &out);
  return out;
}

}  // namespace portico::dataplane
