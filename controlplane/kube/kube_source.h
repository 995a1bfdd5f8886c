// KubeSource: the Kubernetes API as a source, the counterpart of FileSource.
// Runs one Reflector per kind (per namespace with --namespaces; cluster-
// scoped kinds once), one per extra collection, and, once every one of them
// has listed, hands the callback every object it holds, as a SourceLoad.
// After that, changes are coalesced: the first change after a quiet spell
// goes out on the next loop turn, a burst behind it waits for `quiet_ms`
// without change, at most `max_delay_ms`. Threading: lives on the loop of its KubeApiClient.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "controlplane/kube/kube_api_client.h"
#include "controlplane/kube/reflector.h"
#include "controlplane/kube/resource_kind.h"
#include "controlplane/source/source_object.h"

namespace portico::controlplane {

// One more collection to watch besides `kinds` × `namespaces`: one kind in
// one namespace (with a fieldSelector, one object).
struct KubeCollection {
  ResourceKind kind;
  std::string namespace_;
};

struct KubeSourceOptions {
  std::vector<ResourceKind> kinds = DefaultKinds();  // CRD kinds are appended here
  std::vector<std::string> namespaces;               // empty: every namespace
  // Watched too, their objects loaded with the rest: the --publish-service
  // Service when its namespace is not among `namespaces`.
  std::vector<KubeCollection> extra;
  uint64_t quiet_ms = 100;
  uint64_t max_delay_ms = 500;
  // Settings shared by every reflector; kind and namespace are set per one.
  ReflectorOptions reflector;
};

class KubeSource {
 public:
  using ChangeCallback = std::function<void(SourceLoad load)>;

  KubeSource(uv_loop_t* loop, KubeApiClient* client, KubeSourceOptions options,
             ChangeCallback on_change);
  ~KubeSource();
  KubeSource(const KubeSource&) = delete;
  KubeSource& operator=(const KubeSource&) = delete;

  // Starts every reflector. The client must be started.
  void Start();
  // Stops every reflector and the timer; no callback runs afterwards. Run
  // the loop once more before closing it. Safe to call twice.
  void Close();

  // Every reflector has listed once and the first load was handed over.
  bool synced() const { return loads_ > 0; }
  uint64_t loads() const { return loads_; }
  // Collections not listed yet ("services, secrets in namespace a").
  std::string waiting_for() const;
  const std::vector<std::unique_ptr<Reflector>>& reflectors() const { return reflectors_; }

 private:
  void OnChange();
  void OnListed();
  void StartTimer(uint64_t delay_ms);
  static void OnTimer(uv_timer_t* timer);
  void Load();

  uv_loop_t* loop_;
  KubeApiClient* client_;
  KubeSourceOptions options_;
  ChangeCallback on_change_;
  std::vector<std::unique_ptr<Reflector>> reflectors_;
  uv_timer_t* timer_ = nullptr;  // owned; freed in its close callback
  bool all_listed_ = false;
  bool leading_ = false;         // a load is due on the next loop turn
  uint64_t pending_since_ = 0;   // uv_now of the first change not loaded; 0 when none
  uint64_t last_load_ms_ = 0;
  uint64_t started_ms_ = 0;
  uint64_t loads_ = 0;
};

}  // namespace portico::controlplane
