// Exchange: the state of one request and its response on a client
// connection, from the first byte of the request head to the end of the
// response. A connection borrows one per request from its worker's
// ExchangePool and gives it back when the exchange ends, so an idle
// keep-alive connection holds none, and busy ones reuse the same objects
// instead of allocating per request. Loop thread only.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/config/runtime_config.h"
#include "dataplane/http/header_collector.h"
#include "dataplane/http/message.h"

namespace portico::dataplane {

struct Exchange {
  RequestHead request;
  HeaderCollector headers;  // llhttp's header callbacks → request.headers, then trailers
  std::shared_ptr<const RuntimeConfig> config;  // snapped at routing, kept to the end
  const Cluster* cluster = nullptr;             // owned by `config`
  const Endpoint* endpoint = nullptr;           // of the current attempt; owned by `config`
  size_t head_bytes = 0;                        // request line and headers so far
  int connect_attempts = 0;
  std::string replay;  // request bytes sent so far, for a retry on a fresh connection
  bool replayable = true;
};

class ExchangePool {
 public:
  std::unique_ptr<Exchange> Take() {
    if (spare_.empty()) return std::make_unique<Exchange>();
    std::unique_ptr<Exchange> e = std::move(spare_.back());
    spare_.pop_back();
    return e;
  }
  void Give(std::unique_ptr<Exchange> e) {
    if (e == nullptr) return;
    e->config.reset();  // never keep a configuration alive from the pool
    if (spare_.size() >= kMaxSpare) return;
    e->request.Clear();
    e->cluster = nullptr;
    e->endpoint = nullptr;
    e->head_bytes = 0;
    e->connect_attempts = 0;
    e->replay.clear();
    e->replayable = true;
    spare_.push_back(std::move(e));
  }

 private:
  static constexpr size_t kMaxSpare = 256;
  std::vector<std::unique_ptr<Exchange>> spare_;
};

}  // namespace portico::dataplane
