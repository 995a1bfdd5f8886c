#include "common/deferred_release.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

namespace portico {
namespace {

// Records where and in which order it was destroyed.
struct Probe {
  Probe(std::vector<int>* order, std::thread::id* where, int id)
      : order(order), where(where), id(id) {}
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;
  std::vector<int>* order;
  std::thread::id* where;
  int id;
  ~Probe() {
    order->push_back(id);  // one releasing thread: no race on `order`
    *where = std::this_thread::get_id();
  }
};

TEST_CASE("released objects are destroyed off the caller's thread, in order", "[deferred]") {
  std::vector<int> order;
  std::thread::id where;
  DeferredRelease release;
  for (int i = 0; i < 3; ++i) release.Release(std::make_unique<Probe>(&order, &where, i));
  release.Drain();
  CHECK(order == std::vector<int>{0, 1, 2});
  CHECK(where != std::this_thread::get_id());
}

TEST_CASE("an object still referenced elsewhere outlives its release", "[deferred]") {
  std::vector<int> order;
  std::thread::id where;
  auto shared = std::make_shared<Probe>(&order, &where, 7);
  {
    DeferredRelease release;
    release.Release(std::shared_ptr<const void>(shared));
    release.Drain();
    CHECK(order.empty());
  }
  shared.reset();
  CHECK(order == std::vector<int>{7});
  CHECK(where == std::this_thread::get_id());
}

TEST_CASE("the destructor waits for everything released", "[deferred]") {
  std::vector<int> order;
  std::thread::id where;
  {
    DeferredRelease release;
    for (int i = 0; i < 100; ++i) {
      release.Release(std::make_unique<Probe>(&order, &where, i));
    }
    release.Release(std::unique_ptr<Probe>());  // null: ignored
  }
  REQUIRE(order.size() == 100);
  CHECK(order.back() == 99);
}

}  // namespace
}  // namespace portico
