#include "controlplane/server/latest_wins_slot.h"

namespace portico::controlplane {

LatestWinsSlot::Message LatestWinsSlot::TakeNext() {
  if (in_flight_ || !newest_ || newest_->snapshot().version() == sent_version_) return nullptr;
  in_flight_ = newest_;
  return in_flight_;
}

void LatestWinsSlot::WriteDone(bool ok) {
  if (ok && in_flight_) sent_version_ = in_flight_->snapshot().version();
  in_flight_.reset();
}

void LatestWinsSlot::Delivered(const std::string& version) {
  if (in_flight_ && in_flight_->snapshot().version() == version) sent_version_ = version;
}

}  // namespace portico::controlplane
