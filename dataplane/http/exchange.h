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
#include "dataplane/upstream/endpoint_picker.h"

namespace portico::dataplane {

struct Exchange {
  RequestHead request;
  HeaderCollector headers;  // llhttp's header callbacks → request.headers, then trailers
  std::shared_ptr<const RuntimeConfig> config;  // snapped at routing, kept to the end
  const RouteAction* action = nullptr;          // owned by `config`
  // The current attempt's endpoint (owned by `config`); its state is
  // cleared once the attempt's outcome is reported (Worker::EndPick).
  Picked picked;
  PickOutcome verdict = PickOutcome::kUnjudged;  // from the response head
  std::vector<MirrorPlan> mirrors;  // of the first pick: copies sent once the request is whole
  size_t head_bytes = 0;                         // request line and headers so far
  int attempts = 0;                              // endpoints tried
  std::vector<const Endpoint*> tried;            // by this request, in order
  uint64_t deadline_ms = 0;  // loop time the response head is due (total timeout); 0: none
  uint64_t retry_at_ms = 0;  // loop time of a retry waiting out its backoff; 0: none
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
    e->action = nullptr;
    e->picked = Picked{};
    e->verdict = PickOutcome::kUnjudged;
    e->mirrors.clear();
    e->head_bytes = 0;
    e->attempts = 0;
    e->tried.clear();
    e->deadline_ms = 0;
    e->retry_at_ms = 0;
    e->replay.clear();
    e->replayable = true;
    spare_.push_back(std::move(e));
  }

 private:
  static constexpr size_t kMaxSpare = 256;
  std::vector<std::unique_ptr<Exchange>> spare_;
};

}  // namespace portico::dataplane
