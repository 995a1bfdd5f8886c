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
  // TLS to the backend failed: handshake, verification (chain, name,
  // peerCertURI) or the backend refusing our client certificate → 502.
  // Nothing reached the backend's HTTP server: counted as a connect failure.
  kTlsFailed,
};

// Failures before the backend could read the request: retried like a
// refused connection, and counted against the endpoint's health.
inline bool IsConnectFailure(UpstreamError error) {
  return error == UpstreamError::kConnectFailed || error == UpstreamError::kTlsFailed;
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
