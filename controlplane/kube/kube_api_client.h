// KubeApiClient: requests to the Kubernetes API over libcurl (GET, and
// PUT/POST/merge-PATCH with a JSON body), on a
// thread of its own that drives every transfer with one curl multi handle
// (HTTP/2 over TLS multiplexes every watch on one connection; HTTP/1.1 uses
// one connection per watch). Bodies are handed to the libuv loop piece by
// piece, as they arrive, through a uv_async_t; a 401 makes the token be
// re-read and the request retried once, unseen by the caller.
// Threading: construct, call and destroy on the loop's thread; handlers run
// there too, never from inside Get() or Cancel().
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "controlplane/kube/kube_config.h"
#include "controlplane/kube/token_source.h"

namespace portico::controlplane {

struct ApiRequest {
  std::string path;  // "/api/v1/services?limit=500", appended to the server URL
  // A transfer that moves less than one byte per second for this long is
  // abandoned: for a watch, the server's timeoutSeconds plus a margin.
  uint64_t idle_timeout_s = 60;
  // "GET" (default), "PUT", "POST" or "PATCH" (sent as a JSON merge patch).
  std::string method = "GET";
  std::string body;  // sent as application/json when the method is not GET
};

struct ApiResult {
  int status = 0;          // the HTTP status; 0 when no response came
  std::string error;       // the transport error when status is 0 (or cut mid-body)
  int retry_after_s = -1;  // the Retry-After header in seconds, -1 when absent
};

struct ApiHandlers {
  // Every piece of the response body as it arrives, with the final status.
  std::function<void(int status, std::string_view piece)> on_body;
  // Last call for a request, unless it was cancelled first.
  std::function<void(const ApiResult& result)> on_done;
};

struct KubeApiClientOptions {
  uint64_t connect_timeout_ms = 10'000;
  std::chrono::milliseconds token_max_age{60'000};
};

struct ApiClientStats {
  uint64_t requests = 0;
  uint64_t unauthorized_retries = 0;  // 401s answered by re-reading the token
};

class KubeApiClient {
 public:
  KubeApiClient(uv_loop_t* loop, KubeConfig config, KubeApiClientOptions options = {});
  ~KubeApiClient();
  KubeApiClient(const KubeApiClient&) = delete;
  KubeApiClient& operator=(const KubeApiClient&) = delete;

  // Starts the transfer thread. Returns "" or the error.
  std::string Start();
  // Starts a GET; the id names it for Cancel.
  uint64_t Get(ApiRequest request, ApiHandlers handlers);
  // Starts a request with request.method and request.body; otherwise as Get.
  uint64_t Send(ApiRequest request, ApiHandlers handlers);
  // No handler of `id` runs after this; unknown or finished ids are ignored.
  void Cancel(uint64_t id);
  // Stops every transfer and the thread; no handler runs afterwards. The
  // async handle is freed by the loop, so run it once more before closing.
  void Close();

  ApiClientStats stats() const;
  const KubeConfig& config() const { return config_; }

 private:
  struct Transfer;
  struct Event {
    uint64_t id = 0;
    bool done = false;
    int status = 0;
    std::string body;
    ApiResult result;
  };

  void Run();
  void StartTransfer(std::unique_ptr<Transfer> transfer);
  std::string Configure(Transfer* t);
  void Finish(Transfer* t, CURLcode code);
  void Post(Event event);
  static size_t OnHeader(char* data, size_t size, size_t count, void* user);
  static size_t OnWrite(char* data, size_t size, size_t count, void* user);
  static void OnAsync(uv_async_t* handle);
  void Deliver();

  uv_loop_t* loop_;
  const KubeConfig config_;
  const KubeApiClientOptions options_;
  TokenSource tokens_;
  uv_async_t* async_ = nullptr;  // owned; freed in its close callback
  std::thread thread_;
  CURLM* multi_ = nullptr;
  uint64_t next_id_ = 1;
  std::map<uint64_t, ApiHandlers> handlers_;  // loop thread only

  mutable std::mutex mu_;  // guards what follows
  std::deque<std::unique_ptr<Transfer>> to_start_;
  std::deque<uint64_t> to_cancel_;
  std::deque<Event> events_;
  bool stopping_ = false;
  ApiClientStats stats_;

  std::map<uint64_t, std::unique_ptr<Transfer>> active_;  // transfer thread only
};

}  // namespace portico::controlplane
