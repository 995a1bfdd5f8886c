#include "controlplane/kube/backoff.h"

#include <algorithm>

namespace portico::controlplane {

uint64_t Backoff::Next(uint64_t now_ms) {
  if (step_ms_ != 0 && now_ms - last_failure_ms_ >= policy_.reset_after_ms) step_ms_ = 0;
  step_ms_ = step_ms_ == 0 ? policy_.initial_ms : std::min(policy_.max_ms, step_ms_ * 2);
  last_failure_ms_ = now_ms;
  std::uniform_real_distribution<double> stretch(1.0, 2.0);
  auto wait = static_cast<uint64_t>(static_cast<double>(step_ms_) * stretch(random_));
  return std::min(policy_.max_ms, wait);
}

}  // namespace portico::controlplane
