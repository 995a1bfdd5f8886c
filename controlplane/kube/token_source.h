// TokenSource: the bearer token for API requests. A fixed token is returned
// as is; a token file (the projected service-account token, which the
// kubelet rotates) is re-read when the copy is older than `max_age` and after
// Invalidate() (a 401). Thread-safe: the HTTP client thread calls it.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

namespace portico::controlplane {

struct TokenSourceOptions {
  std::string token;       // fixed; wins over token_file
  std::string token_file;  // re-read
  std::chrono::milliseconds max_age{60'000};
  std::function<std::chrono::steady_clock::time_point()> now = &std::chrono::steady_clock::now;
};

class TokenSource {
 public:
  explicit TokenSource(TokenSourceOptions options) : options_(std::move(options)) {}

  // The current token ("" when none is configured or the file was never
  // readable). A file that cannot be read keeps the previous token; the
  // reason lands in `error` (never the token itself).
  std::string Get(std::string* error = nullptr);
  // The next Get re-reads the file. True when there is a file to re-read.
  bool Invalidate();
  uint64_t reads() const;

 private:
  TokenSourceOptions options_;
  mutable std::mutex mu_;
  std::string token_;
  bool fresh_ = false;
  std::chrono::steady_clock::time_point read_at_{};
  uint64_t reads_ = 0;
};

}  // namespace portico::controlplane
