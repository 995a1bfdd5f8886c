// Shared by the files that implement DownstreamConnection (one concept
// each: downstream_connection.cc the connection's life, downstream_parse.cc
// reading requests, downstream_exchange.cc proxying one exchange and
// tunnels, downstream_output.cc writing to the client). Not for other users.
#pragma once

#include <llhttp.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dataplane/tls/tls_connection.h"

namespace portico::dataplane {

class DownstreamConnection;

namespace downstream {

// Request bytes (body) kept for a retry on a fresh upstream connection.
inline constexpr size_t kMaxReplayBytes = 64 * 1024;
// After the last response is written, how long to wait for the client to close.
inline constexpr uint64_t kLingerMs = 2000;
// Writes at least this large are not copied into the gather buffer.
inline constexpr size_t kGatherBytes = 4096;
// Pipelined bytes buffered while a response is pending; reading pauses above.
inline constexpr size_t kMaxPipelinedBytes = 64 * 1024;
// Tries of one request (failed connects) when its route has no retry middleware.
inline constexpr int kMaxConnectAttempts = 3;
// Extra picks a retry makes to avoid an endpoint the request already failed on.
inline constexpr int kRetryRepicks = 4;
// A retry middleware's backoff never waits longer than this.
inline constexpr uint64_t kMaxRetryBackoffMs = 10'000;

// RFC 9110 9.2.2: a request that may be repeated with the same effect.
inline bool IsIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" ||
         method == "PUT" || method == "DELETE";
}

inline DownstreamConnection* Self(llhttp_t* p) {
  return static_cast<DownstreamConnection*>(p->data);
}

// The TLS side of a connection: the ClientHello while it is incomplete,
// then the TLS layer.
struct TlsState {
  std::string hello;        // bytes of an incomplete ClientHello (usually never used)
  std::string server_name;  // SNI, for the SNI router and sniStrict
  std::unique_ptr<TlsConnection> connection;
};

// Every connection of a worker reads into the worker's one buffer: reads are
// parsed synchronously, and an idle connection holds none.
void AllocFromWorker(uv_handle_t* handle, size_t, uv_buf_t* buf);

}  // namespace downstream
}  // namespace portico::dataplane
