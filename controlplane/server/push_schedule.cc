#include "controlplane/server/push_schedule.h"

#include <algorithm>

namespace portico::controlplane {
namespace {
// Refusals remembered per stream; older ones are long superseded.
constexpr size_t kRefusalsKept = 16;
}  // namespace

void PushSchedule::Hello(const std::string& version, SnapshotPtr held) {
  hello_seen_ = true;
  acked_version_ = version;
  acked_ = held != nullptr && held->version() == version ? std::move(held) : nullptr;
}

void PushSchedule::Offer(SnapshotPtr newest) { newest_ = std::move(newest); }

bool PushSchedule::parked() const {
  return newest_ != nullptr &&
         std::find(refused_.begin(), refused_.end(), newest_->version()) != refused_.end();
}

std::optional<PushPlan> PushSchedule::Next() {
  if (!hello_seen_ || pending_ || newest_ == nullptr) return std::nullopt;
  if (newest_->version() == acked_version_) {
    if (hello_answered_) return std::nullopt;
    hello_answered_ = true;
    return PushPlan{.mode = v1::SnapshotBegin::UP_TO_DATE, .target = newest_, .base = nullptr};
  }
  hello_answered_ = true;
  if (parked()) return std::nullopt;
  PushPlan plan{.mode = v1::SnapshotBegin::FULL, .target = newest_, .base = nullptr};
  if (acked_ != nullptr && !force_full_) {
    plan.mode = v1::SnapshotBegin::DELTA;
    plan.base = acked_;
  }
  pending_ = plan;
  return plan;
}

PushSchedule::Answer PushSchedule::Answered(const std::string& version, bool accepted,
                                            v1::SnapshotAck::Code code) {
  if (!pending_ || pending_->target->version() != version) return Answer::kUnexpected;
  PushPlan plan = std::move(*pending_);
  pending_.reset();
  if (accepted) {
    acked_ = plan.target;
    acked_version_ = version;
    force_full_ = false;
    return Answer::kApplied;
  }
  if (code == v1::SnapshotAck::BASE_MISMATCH && plan.mode == v1::SnapshotBegin::DELTA) {
    force_full_ = true;  // the same version again, whole
  } else {
    refused_.push_back(version);
    if (refused_.size() > kRefusalsKept) refused_.pop_front();
  }
  return Answer::kRefused;
}

}  // namespace portico::controlplane
