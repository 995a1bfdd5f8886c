#include "controlplane/kube/kube_api_client.h"

#include <cstdlib>
#include <cstring>

#include "common/log.h"

namespace portico::controlplane {
namespace {

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::strchr(" \t\r\n", text.front()) != nullptr) text.remove_prefix(1);
  while (!text.empty() && std::strchr(" \t\r\n", text.back()) != nullptr) text.remove_suffix(1);
  return text;
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && strncasecmp(text.data(), prefix.data(), prefix.size()) == 0;
}

}  // namespace

// One request on the transfer thread. Everything in it belongs to that
// thread.
struct KubeApiClient::Transfer {
  KubeApiClient* client = nullptr;
  uint64_t id = 0;
  ApiRequest request;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  int status = 0;
  int retry_after_s = -1;
  bool retried_unauthorized = false;
  bool swallow = false;  // a 401 about to be retried: its body is not delivered

  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (headers != nullptr) curl_slist_free_all(headers);
  }
};

KubeApiClient::KubeApiClient(uv_loop_t* loop, KubeConfig config, KubeApiClientOptions options)
    : loop_(loop),
      config_(std::move(config)),
      options_(options),
      tokens_({.token = config_.token,
               .token_file = config_.token_file,
               .max_age = options.token_max_age}) {
  InitCurlOnce();
}

KubeApiClient::~KubeApiClient() { Close(); }

std::string KubeApiClient::Start() {
  multi_ = curl_multi_init();
  if (multi_ == nullptr) return "curl_multi_init failed";
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  async_ = new uv_async_t;
  uv_async_init(loop_, async_, &OnAsync);
  async_->data = this;
  thread_ = std::thread([this] { Run(); });
  return "";
}

uint64_t KubeApiClient::Get(ApiRequest request, ApiHandlers handlers) {
  request.method = "GET";
  request.body.clear();
  return Send(std::move(request), std::move(handlers));
}

uint64_t KubeApiClient::Send(ApiRequest request, ApiHandlers handlers) {
  uint64_t id = next_id_++;
  handlers_[id] = std::move(handlers);
  auto t = std::make_unique<Transfer>();
  t->client = this;
  t->id = id;
  t->request = std::move(request);
  {
    std::lock_guard lock(mu_);
    to_start_.push_back(std::move(t));
    stats_.requests++;
  }
  if (multi_ != nullptr) curl_multi_wakeup(multi_);
  return id;
}

void KubeApiClient::Cancel(uint64_t id) {
  if (handlers_.erase(id) == 0) return;
  {
    std::lock_guard lock(mu_);
    to_cancel_.push_back(id);
  }
  if (multi_ != nullptr) curl_multi_wakeup(multi_);
}

void KubeApiClient::Close() {
  handlers_.clear();
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_);
    thread_.join();
  }
  if (multi_ != nullptr) {
    curl_multi_cleanup(multi_);
    multi_ = nullptr;
  }
  if (async_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(async_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
    async_ = nullptr;
  }
}

ApiClientStats KubeApiClient::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

// ---- transfer thread ----

void KubeApiClient::Run() {
  for (;;) {
    std::deque<std::unique_ptr<Transfer>> starting;
    std::deque<uint64_t> cancelling;
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      starting.swap(to_start_);
      cancelling.swap(to_cancel_);
    }
    for (auto& t : starting) StartTransfer(std::move(t));
    for (uint64_t id : cancelling) {
      auto it = active_.find(id);
      if (it == active_.end()) continue;
      curl_multi_remove_handle(multi_, it->second->easy);
      active_.erase(it);
    }
    int running = 0;
    curl_multi_perform(multi_, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
      Finish(t, msg->data.result);
    }
    curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
  }
  for (auto& [id, t] : active_) curl_multi_remove_handle(multi_, t->easy);
  active_.clear();
}

void KubeApiClient::StartTransfer(std::unique_ptr<Transfer> t) {
  if (std::string e = Configure(t.get()); !e.empty()) {
    Post({.id = t->id, .done = true, .result = {.error = e}});
    return;
  }
  curl_multi_add_handle(multi_, t->easy);
  uint64_t id = t->id;
  active_[id] = std::move(t);
}

std::string KubeApiClient::Configure(Transfer* t) {
  if (t->easy == nullptr) t->easy = curl_easy_init();
  if (t->easy == nullptr) return "curl_easy_init failed";
  CURL* e = t->easy;
  if (t->headers != nullptr) curl_slist_free_all(t->headers);
  t->headers = curl_slist_append(nullptr, "Accept: application/json");
  std::string token_error;
  std::string token = tokens_.Get(&token_error);
  if (!token_error.empty()) LogWarn("kube", token_error);
  if (!token.empty()) {
    t->headers = curl_slist_append(t->headers, ("Authorization: Bearer " + token).c_str());
  }
  const std::string& method = t->request.method;
  if (method != "GET") {
    const char* type = method == "PATCH" ? "Content-Type: application/merge-patch+json"
                                         : "Content-Type: application/json";
    t->headers = curl_slist_append(t->headers, type);
    // No "Expect: 100-continue" round trip for bodies over 1 KiB.
    t->headers = curl_slist_append(t->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(t->request.body.size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->request.body.c_str());
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  std::string url = config_.server + t->request.path;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "portico-controller");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  // No whole-transfer timeout: a watch lasts its timeoutSeconds. A stalled
  // connection is caught by the byte-rate watchdog and TCP keepalive.
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(t->request.idle_timeout_s));
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 15L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(e, CURLOPT_PRIVATE, t);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
  if (config_.insecure_skip_tls_verify) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!config_.ca_pem.empty()) {
    curl_blob blob{.data = const_cast<char*>(config_.ca_pem.data()),
                   .len = config_.ca_pem.size(),
                   .flags = CURL_BLOB_COPY};
    curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
  } else if (!config_.ca_file.empty()) {
    curl_easy_setopt(e, CURLOPT_CAINFO, config_.ca_file.c_str());
    // A rotated ca.crt is read again within a minute.
    curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, 60L);
  }
  if (!config_.client_cert_pem.empty()) {
    curl_blob cert{.data = const_cast<char*>(config_.client_cert_pem.data()),
                   .len = config_.client_cert_pem.size(),
                   .flags = CURL_BLOB_COPY};
    curl_blob key{.data = const_cast<char*>(config_.client_key_pem.data()),
                  .len = config_.client_key_pem.size(),
                  .flags = CURL_BLOB_COPY};
    curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &key);
  } else if (!config_.client_cert_file.empty()) {
    curl_easy_setopt(e, CURLOPT_SSLCERT, config_.client_cert_file.c_str());
  }
  if (config_.client_key_pem.empty() && !config_.client_key_file.empty()) {
    curl_easy_setopt(e, CURLOPT_SSLKEY, config_.client_key_file.c_str());
  }
  return "";
}

void KubeApiClient::Finish(Transfer* t, CURLcode code) {
  curl_multi_remove_handle(multi_, t->easy);
  uint64_t id = t->id;
  if (t->swallow && code == CURLE_OK) {
    // A 401: the token may have rotated under us. Re-read it, try once more.
    t->retried_unauthorized = true;
    t->swallow = false;
    t->status = 0;
    t->retry_after_s = -1;
    t->error[0] = '\0';
    {
      std::lock_guard lock(mu_);
      stats_.unauthorized_retries++;
    }
    std::string e = Configure(t);
    if (e.empty()) {
      curl_multi_add_handle(multi_, t->easy);
      return;
    }
    Post({.id = id, .done = true, .result = {.error = e}});
    active_.erase(id);
    return;
  }
  ApiResult result{.status = t->status, .retry_after_s = t->retry_after_s};
  if (code != CURLE_OK) {
    result.error = t->error[0] != '\0' ? t->error : curl_easy_strerror(code);
    if (t->swallow) result.status = 401;
  }
  Post({.id = id, .done = true, .result = std::move(result)});
  active_.erase(id);
}

size_t KubeApiClient::OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    size_t space = line.find(' ');
    t->status = space == std::string_view::npos ? 0 : std::atoi(line.data() + space + 1);
    t->retry_after_s = -1;
  } else if (StartsWithNoCase(line, "retry-after:")) {
    std::string value(Trim(line.substr(12)));
    char* end = nullptr;
    long seconds = std::strtol(value.c_str(), &end, 10);
    // An HTTP-date form is not used by the API server; left as "absent".
    if (!value.empty() && *end == '\0' && seconds >= 0) {
      t->retry_after_s = static_cast<int>(std::min(seconds, 3600L));
    }
  } else if (Trim(line).empty() && t->status == 401 && !t->retried_unauthorized) {
    t->swallow = t->client->tokens_.Invalidate();
  }
  return size * count;
}

size_t KubeApiClient::OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (!t->swallow) {
    t->client->Post({.id = t->id, .status = t->status, .body = std::string(data, size * count)});
  }
  return size * count;
}

void KubeApiClient::Post(Event event) {
  {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
  }
  uv_async_send(async_);
}

// ---- loop thread ----

void KubeApiClient::OnAsync(uv_async_t* handle) { static_cast<KubeApiClient*>(handle->data)->Deliver(); }

void KubeApiClient::Deliver() {
  std::deque<Event> events;
  {
    std::lock_guard lock(mu_);
    events.swap(events_);
  }
  for (Event& event : events) {
    auto it = handlers_.find(event.id);
    if (it == handlers_.end()) continue;  // cancelled
    if (!event.done) {
      if (it->second.on_body) it->second.on_body(event.status, event.body);
      continue;
    }
    ApiHandlers handlers = std::move(it->second);
    handlers_.erase(it);
    if (handlers.on_done) handlers.on_done(event.result);
  }
}

}  // namespace portico::controlplane
