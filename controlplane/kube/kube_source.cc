#include "controlplane/kube/kube_source.h"

#include <algorithm>

#include "common/log.h"

namespace portico::controlplane {
namespace {

// The API server changes an object's resourceVersion with every write.
std::string ResourceVersionOf(const rapidjson::Value& object) {
  if (!object.IsObject()) return "";
  auto meta = object.FindMember("metadata");
  if (meta == object.MemberEnd() || !meta->value.IsObject()) return "";
  auto rv = meta->value.FindMember("resourceVersion");
  if (rv == meta->value.MemberEnd() || !rv->value.IsString()) return "";
  return std::string("rv:") + rv->value.GetString();
}

}  // namespace

KubeSource::KubeSource(uv_loop_t* loop, KubeApiClient* client, KubeSourceOptions options,
                       ChangeCallback on_change)
    : loop_(loop), client_(client), options_(std::move(options)), on_change_(std::move(on_change)) {}

KubeSource::~KubeSource() { Close(); }

void KubeSource::Start() {
  started_ms_ = uv_now(loop_);
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  std::vector<KubeCollection> collections;
  for (const ResourceKind& kind : options_.kinds) {
    std::vector<std::string> namespaces = options_.namespaces;
    if (!kind.namespaced || namespaces.empty()) namespaces = {""};
    for (const std::string& ns : namespaces) collections.push_back({kind, ns});
  }
  collections.insert(collections.end(), options_.extra.begin(), options_.extra.end());
  uint64_t seed = options_.reflector.seed;
  for (KubeCollection& collection : collections) {
    ReflectorOptions o = options_.reflector;
    o.kind = std::move(collection.kind);
    o.namespace_ = std::move(collection.namespace_);
    o.seed = seed++;
    reflectors_.push_back(std::make_unique<Reflector>(
        loop_, client_, std::move(o), [this](const Delta&) { OnChange(); },
        [this] { OnListed(); }));
  }
  for (auto& r : reflectors_) r->Start();
}

void KubeSource::Close() {
  for (auto& r : reflectors_) r->Close();
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
}

std::string KubeSource::waiting_for() const {
  std::string out;
  for (const auto& r : reflectors_) {
    if (r->synced()) continue;
    out += (out.empty() ? "" : ", ") + r->name();
  }
  return out;
}

void KubeSource::OnListed() {
  if (all_listed_) return OnChange();
  all_listed_ = std::all_of(reflectors_.begin(), reflectors_.end(),
                            [](const auto& r) { return r->synced(); });
  if (!all_listed_) return;
  // Objects are consistent only between callbacks: load on the next turn.
  leading_ = true;
  pending_since_ = uv_now(loop_);
  StartTimer(0);
}

void KubeSource::OnChange() {
  if (!all_listed_ || leading_) return;  // the first load or a due one covers it
  uint64_t now = uv_now(loop_);
  if (pending_since_ == 0) {
    pending_since_ = now;
    if (now - last_load_ms_ >= options_.quiet_ms) {
      leading_ = true;  // the first change after a quiet spell goes out at once
      return StartTimer(0);
    }
  }
  uint64_t deadline = pending_since_ + options_.max_delay_ms;
  uint64_t at = std::min(now + options_.quiet_ms, deadline);
  StartTimer(at > now ? at - now : 0);
}

void KubeSource::StartTimer(uint64_t delay_ms) {
  if (timer_ != nullptr) uv_timer_start(timer_, &OnTimer, delay_ms, 0);
}

void KubeSource::OnTimer(uv_timer_t* timer) { static_cast<KubeSource*>(timer->data)->Load(); }

void KubeSource::Load() {
  SourceLoad load;
  size_t count = 0;
  for (const auto& r : reflectors_) count += r->objects().size();
  load.objects.reserve(count);
  for (const auto& r : reflectors_) {
    for (const auto& [key, object] : r->objects()) {
      SourceObject& o = load.objects.emplace_back();
      // CRD kinds name their group: portico.dev and traefik.io share plurals.
      const ResourceKind& kind = r->kind();
      o.origin = "kube:" + kind.resource + (kind.optional ? "." + kind.group : "") + "/" + key;
      o.json.CopyFrom(*object, o.json.GetAllocator());
      o.fingerprint = ResourceVersionOf(*object);
    }
  }
  leading_ = false;
  pending_since_ = 0;
  last_load_ms_ = uv_now(loop_);
  if (loads_++ == 0) {
    LogInfo("kube", "synced: " + std::to_string(count) + " objects from " +
                        std::to_string(reflectors_.size()) + " collections in " +
                        std::to_string(last_load_ms_ - started_ms_) + " ms");
  }
  on_change_(std::move(load));
}

}  // namespace portico::controlplane
