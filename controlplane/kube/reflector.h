// Reflector: keeps a local copy of one collection (one kind, in one
// namespace or all) in step with the API server, as client-go's reflector
// does: a paginated list (limit, continue), then a watch from the list's
// resourceVersion with bookmarks and a random timeoutSeconds; after a watch
// ends normally it watches again from the last resourceVersion seen,
// without listing; 410 Gone (HTTP status or in-band ERROR event) makes it
// list again, replacing its copy and reporting what vanished as deletes.
// Failures wait a jittered exponential backoff; 429 waits Retry-After.
// For an optional kind (a CRD), 404 on the list means "not installed" (403:
// not readable, a warning): the collection counts as listed and empty, and
// the list is tried again every absent_recheck_ms (±20 %) until it answers.
// Every change to the copy is reported once, in order, as a Delta.
// Threading: lives on the loop of its KubeApiClient; callbacks run there.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <random>
#include <string>

#include "controlplane/kube/api_objects.h"
#include "controlplane/kube/backoff.h"
#include "controlplane/kube/kube_api_client.h"
#include "controlplane/kube/line_splitter.h"
#include "controlplane/kube/resource_kind.h"

namespace portico::controlplane {

enum class DeltaType { kAdded, kModified, kDeleted };

struct Delta {
  DeltaType type;
  const std::string& key;
  const KubeObject& object;  // DELETED: the last state known
};

struct ReflectorOptions {
  ResourceKind kind;
  std::string namespace_;  // "" for every namespace
  int page_limit = 500;
  // timeoutSeconds of each watch, drawn from [min, max).
  uint64_t min_watch_s = 300;
  uint64_t max_watch_s = 600;
  BackoffPolicy backoff;
  size_t max_event_bytes = 16u << 20;  // one watch event (a line)
  size_t max_page_bytes = 256u << 20;  // one list page
  uint64_t seed = std::random_device{}();
  uint64_t absent_recheck_ms = 30'000;  // optional kinds: re-list after a 404
};

struct ReflectorStats {
  uint64_t lists = 0;         // complete lists (every page), the first included
  uint64_t pages = 0;
  uint64_t watches = 0;       // watch requests sent
  uint64_t events = 0;        // watch events applied
  uint64_t duplicates = 0;    // events for a version already held, skipped
  uint64_t bookmarks = 0;
  uint64_t expired = 0;       // 410s, either form
  uint64_t failures = 0;      // requests that failed and were retried after a wait
  uint64_t absent = 0;        // lists of an optional kind answered 404 or 403
  // Wall clock (ms since the Unix epoch) when the copy was last known
  // current: a complete list, or a watch event or bookmark. 0: never.
  uint64_t last_sync_unix_ms = 0;
};

using ObjectStore = std::map<std::string, KubeObject>;

class Reflector {
 public:
  using DeltaCallback = std::function<void(const Delta& delta)>;
  // After each complete list has been applied (the first one: synced).
  using ListedCallback = std::function<void()>;

  Reflector(uv_loop_t* loop, KubeApiClient* client, ReflectorOptions options,
            DeltaCallback on_delta, ListedCallback on_listed);
  ~Reflector();
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  void Start();
  // Stops requests and timers; no callback runs afterwards. The timer is
  // freed by the loop, so run it once more before closing. Safe to call twice.
  void Close();

  bool synced() const { return stats_.lists > 0; }
  // false while an optional kind's lists are answered 404 (or 403).
  bool installed() const { return installed_; }
  const ObjectStore& objects() const { return objects_; }
  const std::string& resource_version() const { return resource_version_; }
  const ReflectorStats& stats() const { return stats_; }
  const ResourceKind& kind() const { return options_.kind; }
  // The namespace watched; "" for every namespace (and cluster-scoped kinds).
  const std::string& namespace_name() const { return options_.namespace_; }
  // "ingresses" or "ingresses in namespace a", for logs.
  std::string name() const;

 private:
  enum class Next { kList, kWatch };

  std::string Query(bool watch) const;
  void List();
  void OnListDone(const ApiResult& result);
  void ApplyList();
  void OnNotInstalled(int status);
  void Watch();
  void OnWatchBody(int status, std::string_view piece);
  void OnWatchLine(std::string_view line);
  void OnWatchDone(const ApiResult& result);
  void AbortWatch(Next next, bool wait, const std::string& why);
  void Upsert(KeyedObject object);
  void Erase(const std::string& key, const KubeObject& last_state);
  void MarkSynced();
  void Fail(Next next, const std::string& why, int retry_after_s = -1);
  void Schedule(Next next, uint64_t delay_ms);
  static void OnTimer(uv_timer_t* timer);

  uv_loop_t* loop_;
  KubeApiClient* client_;
  ReflectorOptions options_;
  DeltaCallback on_delta_;
  ListedCallback on_listed_;
  Backoff backoff_;
  std::mt19937_64 random_;
  uv_timer_t* timer_ = nullptr;  // owned; freed in its close callback
  Next next_ = Next::kList;
  uint64_t request_ = 0;  // the request in flight, 0 when none
  bool closed_ = false;
  bool installed_ = true;
  int absent_status_ = 0;  // 404 or 403 while !installed_

  ObjectStore objects_;
  std::string resource_version_;

  // A list in progress.
  std::string page_body_;
  std::string continue_token_;
  ObjectStore listing_;
  std::string listing_version_;

  // The watch in progress.
  LineSplitter splitter_;
  std::string error_body_;  // the body of a non-200 watch answer (a Status)
  uint64_t watch_started_ms_ = 0;
  uint64_t watch_events_ = 0;
  uint64_t expired_in_row_ = 0;  // 410s with no event applied between them

  ReflectorStats stats_;
};

}  // namespace portico::controlplane
