#include "controlplane/kube/crd_status_writer.h"

#include <algorithm>

#include "common/log.h"

namespace portico::controlplane {

CrdStatusWriter::CrdStatusWriter(uv_loop_t* loop, KubeApiClient* client,
                                 CrdStatusWriterOptions options)
    : loop_(loop), client_(client), options_(std::move(options)), random_(options_.seed) {
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  tokens_ = options_.burst;
  refilled_ms_ = uv_now(loop_);
}

CrdStatusWriter::~CrdStatusWriter() { Close(); }

void CrdStatusWriter::Observe(const std::vector<SourceObject>& objects,
                              const CompileFindings& findings) {
  std::vector<CrdStatusUpdate> plan = PlanCrdStatus(
      {.kinds = options_.kinds, .objects = objects, .findings = findings, .now = options_.now()});
  std::map<std::string, CrdStatusUpdate> wanted;
  for (CrdStatusUpdate& u : plan) {
    std::string path = u.path;
    wanted.emplace(std::move(path), std::move(u));
  }
  wanted_ = std::move(wanted);
  // What no longer needs a write: the watch showed it, or the object went.
  std::erase_if(sent_, [this](const auto& s) { return !wanted_.contains(s.first); });
  std::erase_if(retry_at_, [this](const auto& r) { return !wanted_.contains(r.first); });
  std::erase_if(failures_, [this](const auto& f) { return !wanted_.contains(f.first); });
  SetEnabled(enabled_);
}

void CrdStatusWriter::SetEnabled(bool enabled) {
  enabled_ = enabled;
  if (!enabled_ || closed_) {
    queue_.clear();
    queued_.clear();
    again_.clear();
    retry_at_.clear();
    failures_.clear();
    sent_.clear();
    for (auto& [path, id] : in_flight_) client_->Cancel(id);
    in_flight_.clear();
    if (timer_ != nullptr) uv_timer_stop(timer_);
    return;
  }
  uint64_t now = uv_now(loop_);
  for (const auto& [path, update] : wanted_) {
    if (retry_at_.contains(path)) continue;  // its backoff decides
    auto sent = sent_.find(path);
    if (sent != sent_.end() && sent->second.signature == update.signature &&
        now - sent->second.at_ms < options_.resend_after_ms) {
      continue;  // written; the watch has not shown it yet
    }
    Enqueue(path);
  }
  Pump();
}

void CrdStatusWriter::Enqueue(const std::string& path) {
  if (in_flight_.contains(path)) {
    again_.insert(path);
  } else if (queued_.insert(path).second) {
    queue_.push_back(path);
  }
}

void CrdStatusWriter::Refill(uint64_t now_ms) {
  double earned = static_cast<double>(now_ms - refilled_ms_) * options_.writes_per_second / 1000.0;
  tokens_ = std::min(options_.burst, tokens_ + earned);
  refilled_ms_ = now_ms;
}

void CrdStatusWriter::Pump() {
  if (!enabled_ || closed_) return;
  uint64_t now = uv_now(loop_);
  for (auto it = retry_at_.begin(); it != retry_at_.end();) {
    if (it->second > now) {
      ++it;
      continue;
    }
    Enqueue(it->first);
    it = retry_at_.erase(it);
  }
  Refill(now);
  while (!queue_.empty() && in_flight_.size() < options_.max_in_flight && tokens_ >= 1) {
    std::string path = std::move(queue_.front());
    queue_.pop_front();
    queued_.erase(path);
    auto wanted = wanted_.find(path);
    if (wanted == wanted_.end()) continue;  // right by now, or gone
    tokens_ -= 1;
    Write(wanted->second);
  }
  ScheduleWake(now);
}

// The timer fires at the next token (when writes wait for one) or the
// earliest retry, whichever comes first.
void CrdStatusWriter::ScheduleWake(uint64_t now_ms) {
  if (timer_ == nullptr) return;
  uint64_t wake = UINT64_MAX;
  if (!queue_.empty() && in_flight_.size() < options_.max_in_flight) {
    double missing = std::max(0.0, 1.0 - tokens_);
    wake = now_ms + static_cast<uint64_t>(missing * 1000.0 / options_.writes_per_second) + 1;
  }
  for (const auto& [path, at] : retry_at_) wake = std::min(wake, at);
  if (wake == UINT64_MAX) {
    uv_timer_stop(timer_);
    return;
  }
  uv_timer_start(
      timer_, [](uv_timer_t* t) { static_cast<CrdStatusWriter*>(t->data)->Pump(); },
      wake > now_ms ? wake - now_ms : 0, 0);
}

void CrdStatusWriter::Write(const CrdStatusUpdate& update) {
  // What is written, for OnWritten: by then an Observe may have dropped it
  // from wanted_ (the watch can deliver the write before its answer).
  CrdStatusUpdate written = update;
  written.patch.clear();
  in_flight_[update.path] = client_->Send(
      {.path = update.path, .idle_timeout_s = 30, .method = "PATCH", .body = update.patch},
      {.on_body = [](int, std::string_view) {},
       .on_done = [this,
                   written = std::move(written)](const ApiResult& r) { OnWritten(written, r); }});
}

void CrdStatusWriter::OnWritten(const CrdStatusUpdate& written, const ApiResult& result) {
  const std::string& path = written.path;
  in_flight_.erase(path);
  uint64_t now = uv_now(loop_);
  const std::string& object = written.object;
  if (result.status == 200) {
    stats_.writes++;
    failures_.erase(path);
    sent_[path] = {.signature = written.signature, .at_ms = now};
    LogInfo("status",
            object + ": Ready " + written.ready.status + " (" + written.ready.reason + ")");
  } else if (result.status == 404) {
    stats_.gone++;  // deleted meanwhile: nothing to write on
    failures_.erase(path);
  } else {
    stats_.failures++;
    LogWarn("status",
            "PATCH " + object + " status: " +
                (result.status == 0 ? result.error : "HTTP " + std::to_string(result.status)));
    RetryLater(path, now);
  }
  // Observed again while in flight: write again only if the wish changed.
  if (again_.erase(path) > 0 && wanted_.contains(path) && !retry_at_.contains(path)) {
    auto sent = sent_.find(path);
    if (sent == sent_.end() || sent->second.signature != wanted_.at(path).signature) Enqueue(path);
  }
  Pump();
}

void CrdStatusWriter::RetryLater(const std::string& path, uint64_t now_ms) {
  int n = ++failures_[path];
  uint64_t wait = options_.retry_initial_ms << std::min(n - 1, 16);
  wait = std::min(wait, options_.retry_max_ms);
  std::uniform_int_distribution<uint64_t> jitter(wait, wait + wait / 2);
  retry_at_[path] = now_ms + std::min(jitter(random_), options_.retry_max_ms);
}

void CrdStatusWriter::Close() {
  closed_ = true;
  SetEnabled(false);
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
}

}  // namespace portico::controlplane
