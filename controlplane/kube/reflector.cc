#include "controlplane/kube/reflector.h"

#include <cctype>
#include <chrono>

#include "common/log.h"

namespace portico::controlplane {
namespace {

// Percent-encodes a query value (continue tokens are base64, with + / =).
std::string QueryEscape(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

constexpr size_t kMaxErrorBody = 64 * 1024;

}  // namespace

Reflector::Reflector(uv_loop_t* loop, KubeApiClient* client, ReflectorOptions options,
                     DeltaCallback on_delta, ListedCallback on_listed)
    : loop_(loop),
      client_(client),
      options_(std::move(options)),
      on_delta_(std::move(on_delta)),
      on_listed_(std::move(on_listed)),
      backoff_(options_.backoff, options_.seed),
      random_(options_.seed ^ 0x9e3779b97f4a7c15ULL),
      splitter_(options_.max_event_bytes) {}

Reflector::~Reflector() { Close(); }

std::string Reflector::name() const {
  // A CRD's plural is not unique across groups (portico.dev, traefik.io).
  const ResourceKind& kind = options_.kind;
  std::string resource = kind.optional ? kind.resource + "." + kind.group : kind.resource;
  if (options_.namespace_.empty() || !kind.namespaced) return resource;
  return resource + " in namespace " + options_.namespace_;
}

void Reflector::Start() {
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  Schedule(Next::kList, 0);
}

void Reflector::Close() {
  if (closed_) return;
  closed_ = true;
  if (request_ != 0) client_->Cancel(request_);
  request_ = 0;
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
}

std::string Reflector::Query(bool watch) const {
  std::string path = CollectionPath(options_.kind, options_.namespace_);
  if (watch) {
    path += "?watch=1&resourceVersion=" + QueryEscape(resource_version_) +
            "&allowWatchBookmarks=true";
  } else {
    // No resourceVersion: a consistent read, which honours limit.
    path += "?limit=" + std::to_string(options_.page_limit);
    if (!continue_token_.empty()) path += "&continue=" + QueryEscape(continue_token_);
  }
  if (!options_.kind.field_selector.empty()) {
    path += "&fieldSelector=" + QueryEscape(options_.kind.field_selector);
  }
  return path;
}

// ---- list ----

void Reflector::List() {
  page_body_.clear();
  request_ = client_->Get(
      {.path = Query(false)},
      {.on_body =
           [this](int, std::string_view piece) {
             if (page_body_.size() + piece.size() > options_.max_page_bytes) {
               client_->Cancel(request_);
               request_ = 0;
               continue_token_.clear();
               Fail(Next::kList, "list page larger than " +
                                     std::to_string(options_.max_page_bytes) + " bytes");
               return;
             }
             page_body_.append(piece);
           },
       .on_done = [this](const ApiResult& result) { OnListDone(result); }});
}

void Reflector::OnListDone(const ApiResult& result) {
  request_ = 0;
  std::string body = std::move(page_body_);
  page_body_.clear();
  if (result.status == 0) {
    continue_token_.clear();
    return Fail(Next::kList, "list: " + result.error);
  }
  if (result.status == 410 && !continue_token_.empty()) {
    // The continue token expired mid-list: start the list over.
    LogInfo("kube", name() + ": continue token expired; listing again from the start");
    stats_.expired++;
    continue_token_.clear();
    listing_.clear();
    return Schedule(Next::kList, 0);
  }
  if (result.status == 429) {
    return Fail(Next::kList, "list: 429 Too Many Requests", result.retry_after_s);
  }
  if ((result.status == 404 || result.status == 403) && options_.kind.optional) {
    return OnNotInstalled(result.status);
  }
  if (result.status != 200) {
    continue_token_.clear();
    std::string status = StatusText(body);
    return Fail(Next::kList, "list: HTTP " + std::to_string(result.status) +
                                 (status.empty() ? "" : " (" + status + ")"));
  }
  ListPage page;
  if (std::string e = ParseListPage(body, options_.kind, &page); !e.empty()) {
    continue_token_.clear();
    return Fail(Next::kList, e);
  }
  stats_.pages++;
  if (!installed_) {
    installed_ = true;
    LogInfo("kube", name() + ": now served (its CRD was installed); watching");
  }
  if (continue_token_.empty()) listing_.clear();  // the first page
  for (KeyedObject& item : page.items) listing_[item.key] = std::move(item.object);
  listing_version_ = page.resource_version;
  continue_token_ = page.continue_token;
  if (!continue_token_.empty()) return List();
  ApplyList();
  Watch();
}

// Replaces the copy with the list: what vanished is reported deleted.
void Reflector::ApplyList() {
  ObjectStore fresh = std::move(listing_);
  listing_.clear();
  ObjectStore old = std::move(objects_);
  objects_.clear();
  resource_version_ = listing_version_;
  for (auto& [key, object] : old) {
    if (!fresh.contains(key)) on_delta_({DeltaType::kDeleted, key, object});
  }
  for (auto& [key, object] : fresh) {
    auto before = old.find(key);
    if (before == old.end()) {
      objects_[key] = object;
      on_delta_({DeltaType::kAdded, key, object});
      continue;
    }
    const rapidjson::Value& m0 = (*before->second)["metadata"];
    const rapidjson::Value& m1 = (*object)["metadata"];
    bool same = m0.HasMember("resourceVersion") && m1.HasMember("resourceVersion") &&
                m0["resourceVersion"] == m1["resourceVersion"];
    objects_[key] = same ? before->second : object;
    if (!same) on_delta_({DeltaType::kModified, key, object});
  }
  stats_.lists++;
  MarkSynced();
  LogDebug("kube", name() + ": listed " + std::to_string(objects_.size()) +
                       " objects at resourceVersion " + resource_version_);
  if (on_listed_) on_listed_();
}

// An optional kind whose CRD is not installed (404), or that RBAC does not
// let us read (403): an empty collection, so that it never holds up the
// first load, and a re-check every ~30 s, logged once.
void Reflector::OnNotInstalled(int status) {
  continue_token_.clear();
  stats_.absent++;
  if (installed_ || status != absent_status_) {
    installed_ = false;
    absent_status_ = status;
    std::string again =
        "; checking again every ~" + std::to_string(options_.absent_recheck_ms / 1000) + " s";
    if (status == 404) {
      LogInfo("kube", name() + ": not served (CRD not installed)" + again);
    } else {
      LogWarn("kube", name() + ": list forbidden (403): RBAC must grant get, list, watch on " +
                          options_.kind.resource + "." + options_.kind.group +
                          "; taken as empty" + again);
    }
  }
  // Later 404s matter only when objects are held (the CRD was deleted):
  // an unchanged empty collection must not cause a load each time.
  if (stats_.lists == 0 || !objects_.empty()) {
    listing_.clear();
    listing_version_.clear();
    ApplyList();
  }
  std::uniform_int_distribution<uint64_t> jitter(options_.absent_recheck_ms * 8 / 10,
                                                 options_.absent_recheck_ms * 12 / 10);
  Schedule(Next::kList, jitter(random_));
}

// ---- watch ----

void Reflector::Watch() {
  std::uniform_int_distribution<uint64_t> timeout(
      options_.min_watch_s, std::max(options_.min_watch_s, options_.max_watch_s - 1));
  uint64_t timeout_s = timeout(random_);
  splitter_.Reset();
  error_body_.clear();
  watch_events_ = 0;
  watch_started_ms_ = uv_now(loop_);
  stats_.watches++;
  std::string path = Query(true) + "&timeoutSeconds=" + std::to_string(timeout_s);
  request_ = client_->Get(
      {.path = path, .idle_timeout_s = timeout_s + 30},
      {.on_body = [this](int status, std::string_view piece) { OnWatchBody(status, piece); },
       .on_done = [this](const ApiResult& result) { OnWatchDone(result); }});
}

void Reflector::OnWatchBody(int status, std::string_view piece) {
  if (status != 200) {
    if (error_body_.size() < kMaxErrorBody) error_body_.append(piece.substr(0, kMaxErrorBody));
    return;
  }
  uint64_t request = request_;
  std::string e = splitter_.Feed(piece, [this, request](std::string_view line) {
    if (request_ == request) OnWatchLine(line);  // not once the watch was aborted
  });
  if (!e.empty() && request_ == request) AbortWatch(Next::kWatch, true, "watch: " + e);
}

void Reflector::OnWatchLine(std::string_view line) {
  if (line.empty()) return;
  WatchEvent event;
  if (std::string e = ParseWatchEvent(line, options_.kind, &event); !e.empty()) {
    // The version was not advanced: watching again from it redelivers.
    return AbortWatch(Next::kWatch, true, e);
  }
  if (event.type != WatchEventType::kError && event.type != WatchEventType::kOther) MarkSynced();
  switch (event.type) {
    case WatchEventType::kAdded:
    case WatchEventType::kModified:
      resource_version_ = event.object.resource_version;
      Upsert(std::move(event.object));
      break;
    case WatchEventType::kDeleted: {
      resource_version_ = event.object.resource_version;
      auto it = objects_.find(event.object.key);
      if (it == objects_.end()) {
        stats_.duplicates++;
        break;
      }
      stats_.events++;
      watch_events_++;
      expired_in_row_ = 0;
      KubeObject last = event.object.object;
      objects_.erase(it);
      on_delta_({DeltaType::kDeleted, event.object.key, last});
      break;
    }
    case WatchEventType::kBookmark:
      stats_.bookmarks++;
      resource_version_ = event.object.resource_version;
      break;
    case WatchEventType::kError:
      if (event.error_code == 410 || event.error_reason == "Expired" ||
          event.error_reason == "Gone") {
        stats_.expired++;
        return AbortWatch(Next::kList, ++expired_in_row_ > 1,
                          "watch expired (" + event.error_message + "); listing again");
      }
      return AbortWatch(Next::kList, true,
                        "watch ERROR event " + std::to_string(event.error_code) + " " +
                            event.error_reason + ": " + event.error_message);
    case WatchEventType::kOther:
      LogDebug("kube", name() + ": skipping a watch event of type " + event.type_name);
      break;
  }
}

void Reflector::Upsert(KeyedObject object) {
  auto it = objects_.find(object.key);
  if (it != objects_.end()) {
    const rapidjson::Value& m = (*it->second)["metadata"];
    auto rv = m.FindMember("resourceVersion");
    if (rv != m.MemberEnd() && rv->value.IsString() &&
        object.resource_version == rv->value.GetString()) {
      stats_.duplicates++;  // this version is held already: never applied twice
      return;
    }
  }
  stats_.events++;
  watch_events_++;
  expired_in_row_ = 0;
  bool added = it == objects_.end();
  KubeObject& slot = objects_[object.key];
  slot = std::move(object.object);
  on_delta_({added ? DeltaType::kAdded : DeltaType::kModified, object.key, slot});
}

void Reflector::OnWatchDone(const ApiResult& result) {
  request_ = 0;
  if (result.status == 200) {
    // A normal end (timeoutSeconds, or the server closed it): watch again
    // from the last version, no list. A watch that ended at once without an
    // event is a proxy or server cutting it: wait first.
    bool short_watch = watch_events_ == 0 && uv_now(loop_) - watch_started_ms_ < 1000;
    if (!result.error.empty()) LogDebug("kube", name() + ": watch ended: " + result.error);
    if (short_watch) {
      stats_.failures++;
      return Schedule(Next::kWatch, backoff_.Next(uv_now(loop_)));
    }
    return Schedule(Next::kWatch, 0);
  }
  if (result.status == 410) {
    stats_.expired++;
    LogInfo("kube", name() + ": resourceVersion " + resource_version_ + " expired; listing again");
    if (++expired_in_row_ > 1) return Fail(Next::kList, "watch: 410 Gone again");
    return Schedule(Next::kList, 0);
  }
  if (result.status == 429) {
    return Fail(Next::kWatch, "watch: 429 Too Many Requests", result.retry_after_s);
  }
  if (result.status == 0) return Fail(Next::kWatch, "watch: " + result.error);
  std::string status = StatusText(error_body_);
  Fail(Next::kList, "watch: HTTP " + std::to_string(result.status) +
                        (status.empty() ? "" : " (" + status + ")"));
}

void Reflector::AbortWatch(Next next, bool wait, const std::string& why) {
  client_->Cancel(request_);
  request_ = 0;
  if (wait) return Fail(next, why);
  LogInfo("kube", name() + ": " + why);
  Schedule(next, 0);
}

// ---- retries ----

void Reflector::MarkSynced() {
  auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  stats_.last_sync_unix_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count());
}

void Reflector::Fail(Next next, const std::string& why, int retry_after_s) {
  stats_.failures++;
  uint64_t wait_ms = retry_after_s >= 0 ? static_cast<uint64_t>(retry_after_s) * 1000
                                        : backoff_.Next(uv_now(loop_));
  LogWarn("kube", name() + ": " + why + "; retrying in " + std::to_string(wait_ms) + " ms");
  Schedule(next, wait_ms);
}

void Reflector::Schedule(Next next, uint64_t delay_ms) {
  if (closed_ || timer_ == nullptr) return;
  next_ = next;
  uv_timer_start(timer_, &OnTimer, delay_ms, 0);
}

void Reflector::OnTimer(uv_timer_t* timer) {
  auto* self = static_cast<Reflector*>(timer->data);
  if (self->closed_) return;
  if (self->next_ == Next::kList) {
    self->List();
  } else {
    self->Watch();
  }
}

}  // namespace portico::controlplane
