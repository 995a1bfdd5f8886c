// TicketKeyRing: the keys that encrypt TLS session tickets, shared by every
// worker and every server context of a proxy so that a client resumes on
// any worker and across snapshots. A new key is made every `rotation`; the
// newest encrypts, the `keep` before it still decrypt (a ticket they open
// is renewed), older ones are forgotten. Keys are random and never leave
// the process. Thread-safe: a short mutex per full handshake or resumption.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

namespace portico::dataplane {

struct TicketKey {
  std::array<uint8_t, 16> name{};
  std::array<uint8_t, 32> aes_key{};
  std::array<uint8_t, 32> hmac_key{};
};

class TicketKeyRing {
 public:
  struct Options {
    int64_t rotation_seconds = 3600;
    int keep = 2;
  };
  using Clock = std::function<int64_t()>;  // unix seconds

  TicketKeyRing(Options options, Clock clock);
  explicit TicketKeyRing(Options options);

  // The key for new tickets (rotating first when due); false when no key
  // could be made (no entropy): then no ticket is issued.
  bool Current(TicketKey* out);
  // The key named `name`, if still kept; *current tells whether it is the
  // newest (else the ticket should be renewed).
  bool Find(const uint8_t* name, TicketKey* out, bool* current);

  // How long a ticket stays decryptable at least: hint for clients.
  int64_t lifetime_seconds() const { return options_.rotation_seconds * options_.keep; }

  // The ring every TLS server context of this process uses.
  static TicketKeyRing& Process();

 private:
  void RotateIfDue();  // mu_ held

  Options options_;
  Clock clock_;
  std::mutex mu_;
  std::deque<TicketKey> keys_;  // newest first
  int64_t next_rotation_ = 0;
};

}  // namespace portico::dataplane
