// UpstreamOwner: what an UpstreamConnection reports to while it serves one
// request: the client connection it proxies for, or a mirrored copy of a
// request whose answer nobody reads. Loop thread only.
#pragma once

#include <cstddef>

#include "dataplane/http/message.h"

namespace portico::dataplane {

enum class UpstreamError {
  kConnectFailed,    // refused, unreachable, connect timeout → 502
  kResponseTimeout,  // no response head in time → 504
  kReset,            // closed or reset before the response was complete → 502
  kBadResponse,      // the backend's bytes are not valid HTTP → 502
  // TLS to the backend failed before the backend's HTTP server could read
  // the request: a handshake that did not complete, or the backend
  // aborting its side of it with an alert → 502, a connect failure.
  kTlsFailed,
  // The proxy refused the backend's certificate (chain, name, peerCertURI)
  // → 502. Nothing was sent; a connect failure that says nothing about the
  // endpoint's health (the name may be the client's Host), so it ejects
  // nobody.
  kTlsUntrusted,
  // The backend asked for a client certificate the transport does not have
  // and closed after the handshake without saying why → 502. A backend for
  // which the certificate was optional may have read the request, so this
  // is retried like a reset, not like a failed connect.
  kTlsRefused,
};

// Failures before the backend could read the request: retried like a
// refused connection.
inline bool IsConnectFailure(UpstreamError error) {
  return error == UpstreamError::kConnectFailed || error == UpstreamError::kTlsFailed ||
         error == UpstreamError::kTlsUntrusted;
}

inline bool IsTlsFailure(UpstreamError error) {
  return error == UpstreamError::kTlsFailed || error == UpstreamError::kTlsUntrusted ||
         error == UpstreamError::kTlsRefused;
}

// Whether a failure counts against the endpoint's passive health: not a
// pooled connection the backend closed while idle (`reused`), not a
// certificate the proxy refused.
inline bool CountsAgainstEndpoint(UpstreamError error, bool reused) {
  if (error == UpstreamError::kReset && reused) return false;
  return error != UpstreamError::kTlsUntrusted;
}

class UpstreamOwner {
 public:
  virtual void OnUpstreamHead(const ResponseHead& head) = 0;
  virtual void OnUpstreamBody(const char* data, size_t len) = 0;
  virtual void OnUpstreamComplete(bool reusable, const HeaderList& trailers) = 0;
  virtual void OnUpstreamUpgraded() = 0;
  virtual void OnUpstreamTunnelEnd() = 0;
  // The connection is gone (closed by the time this runs).
  virtual void OnUpstreamFailed(UpstreamError error, bool reused) = 0;
  virtual void OnUpstreamWritable() = 0;
  // Around each read the connection parses: output the owner produces may
  // be gathered and sent once at Uncork.
  virtual void Cork() = 0;
  virtual void Uncork() = 0;

 protected:
  ~UpstreamOwner() = default;
};

}  // namespace portico::dataplane
