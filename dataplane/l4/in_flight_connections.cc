#include "dataplane/l4/in_flight_connections.h"

namespace portico::dataplane {

InFlightConnections& InFlightConnections::Process() {
  static InFlightConnections* counts = new InFlightConnections();  // outlives the workers
  return *counts;
}

bool InFlightConnections::Acquire(const std::string& middleware, const std::string& ip,
                                  uint32_t limit) {
  std::lock_guard lock(mu_);
  uint32_t& open = open_[Key(middleware, ip)];
  if (open >= limit) {
    if (open == 0) open_.erase(Key(middleware, ip));
    return false;
  }
  ++open;
  return true;
}

void InFlightConnections::Release(const std::string& middleware, const std::string& ip) {
  std::lock_guard lock(mu_);
  auto it = open_.find(Key(middleware, ip));
  if (it == open_.end()) return;
  if (--it->second == 0) open_.erase(it);
}

uint32_t InFlightConnections::Count(const std::string& middleware, const std::string& ip) const {
  std::lock_guard lock(mu_);
  auto it = open_.find(Key(middleware, ip));
  return it == open_.end() ? 0 : it->second;
}

}  // namespace portico::dataplane
