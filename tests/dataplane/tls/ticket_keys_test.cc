#include "dataplane/tls/ticket_keys.h"

#include <catch2/catch.hpp>

namespace portico::dataplane {
namespace {

TEST_CASE("ticket keys rotate: the kept ones still decrypt, older ones do not", "[tls]") {
  int64_t now = 1000;
  TicketKeyRing ring({.rotation_seconds = 60, .keep = 2}, [&] { return now; });
  TicketKey first;
  REQUIRE(ring.Current(&first));
  TicketKey same;
  REQUIRE(ring.Current(&same));
  CHECK(same.name == first.name);

  now += 60;
  TicketKey second;
  REQUIRE(ring.Current(&second));
  CHECK(second.name != first.name);
  TicketKey found;
  bool current = true;
  REQUIRE(ring.Find(first.name.data(), &found, &current));
  CHECK_FALSE(current);  // decrypts, and the ticket is renewed
  CHECK(found.aes_key == first.aes_key);
  REQUIRE(ring.Find(second.name.data(), &found, &current));
  CHECK(current);

  now += 60;  // third key: first is the oldest kept
  CHECK(ring.Find(first.name.data(), &found, &current));
  now += 60;  // fourth key: first is gone
  CHECK_FALSE(ring.Find(first.name.data(), &found, &current));
  CHECK(ring.lifetime_seconds() == 120);
}

}  // namespace
}  // namespace portico::dataplane
