#include "dataplane/tls/ticket_keys.h"

#include <openssl/rand.h>

#include <cstring>
#include <ctime>

namespace portico::dataplane {

TicketKeyRing::TicketKeyRing(Options options, Clock clock)
    : options_(options), clock_(std::move(clock)) {}

TicketKeyRing::TicketKeyRing(Options options)
    : TicketKeyRing(options, [] { return static_cast<int64_t>(time(nullptr)); }) {}

void TicketKeyRing::RotateIfDue() {
  int64_t now = clock_();
  if (!keys_.empty() && now < next_rotation_) return;
  TicketKey key;
  // RAND_bytes fails only when the system has no entropy source; a zero key
  // would be guessable, so the old key stays in use until it succeeds.
  if (RAND_bytes(key.name.data(), key.name.size()) != 1 ||
      RAND_bytes(key.aes_key.data(), key.aes_key.size()) != 1 ||
      RAND_bytes(key.hmac_key.data(), key.hmac_key.size()) != 1) {
    return;
  }
  keys_.push_front(key);
  while (keys_.size() > static_cast<size_t>(options_.keep) + 1) keys_.pop_back();
  next_rotation_ = now + options_.rotation_seconds;
}

bool TicketKeyRing::Current(TicketKey* out) {
  std::lock_guard lock(mu_);
  RotateIfDue();
  if (keys_.empty()) return false;
  *out = keys_.front();
  return true;
}

bool TicketKeyRing::Find(const uint8_t* name, TicketKey* out, bool* current) {
  std::lock_guard lock(mu_);
  RotateIfDue();
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (std::memcmp(keys_[i].name.data(), name, keys_[i].name.size()) == 0) {
      *out = keys_[i];
      *current = i == 0;
      return true;
    }
  }
  return false;
}

TicketKeyRing& TicketKeyRing::Process() {
  static TicketKeyRing ring(Options{});
  return ring;
}

}  // namespace portico::dataplane
