#include "controlplane/kube/backoff.h"

#include <catch2/catch.hpp>

namespace portico::controlplane {
namespace {

TEST_CASE("backoff doubles from 0.8 s with jitter, capped at 30 s", "[kube][backoff]") {
  Backoff backoff({}, 42);
  uint64_t now = 1'000'000;
  uint64_t step = 800;
  for (int i = 0; i < 12; ++i) {
    uint64_t wait = backoff.Next(now);
    INFO("failure " << i << " waited " << wait);
    CHECK(wait >= std::min<uint64_t>(step, 30'000));
    CHECK(wait <= std::min<uint64_t>(2 * step, 30'000));
    step = std::min<uint64_t>(step * 2, 30'000);
    now += wait;
  }
  CHECK(backoff.Next(now) <= 30'000);
}

TEST_CASE("backoff forgets failures after two quiet minutes", "[kube][backoff]") {
  Backoff backoff({}, 1);
  for (int i = 0; i < 6; ++i) backoff.Next(1000);
  CHECK(backoff.Next(1000) >= 25'600);
  uint64_t after = backoff.Next(1000 + 120'000);
  CHECK(after >= 800);
  CHECK(after < 1600);
}

TEST_CASE("equal seeds give equal waits", "[kube][backoff]") {
  Backoff a({}, 9), b({}, 9);
  for (int i = 0; i < 5; ++i) CHECK(a.Next(i) == b.Next(i));
}

}  // namespace
}  // namespace portico::controlplane
