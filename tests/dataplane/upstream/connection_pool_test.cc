// ConnectionPool's bookkeeping, with connections that only have a key.
#include "dataplane/upstream/connection_pool.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

namespace portico::dataplane {
namespace {

struct FakeConnection {
  std::string pool_key;
  BasicConnectionPool<FakeConnection>* pool = nullptr;
  bool closed = false;

  const std::string& key() const { return pool_key; }
  void Close() {
    closed = true;
    if (pool != nullptr) pool->Remove(this);
  }
};

struct Fixture {
  explicit Fixture(size_t cap) : pool(cap) {}
  FakeConnection* Make(std::string key) {
    conns.push_back(std::make_unique<FakeConnection>(FakeConnection{std::move(key), &pool}));
    return conns.back().get();
  }
  BasicConnectionPool<FakeConnection> pool;
  std::vector<std::unique_ptr<FakeConnection>> conns;
};

TEST_CASE("pool keys name their endpoint", "[pool]") {
  CHECK(std::string(PoolKeyEndpoint("10.0.0.7:8080")) == "10.0.0.7:8080");
  CHECK(std::string(PoolKeyEndpoint("10.0.0.7:8443 tls#3 api.test")) == "10.0.0.7:8443");
  CHECK(std::string(PoolKeyEndpoint("[2001:db8::1]:443 tls#1 x")) == "[2001:db8::1]:443");
}

TEST_CASE("idle connections are taken back by key, most recent first", "[pool]") {
  Fixture f(4);
  FakeConnection* a = f.Make("10.0.0.1:80");
  FakeConnection* b = f.Make("10.0.0.1:80");
  f.pool.Put(a);
  f.pool.Put(b);
  CHECK(f.pool.Take("10.0.0.2:80") == nullptr);
  CHECK(f.pool.Take("10.0.0.1:80") == b);
  CHECK(f.pool.Take("10.0.0.1:80") == a);
  CHECK(f.pool.Take("10.0.0.1:80") == nullptr);
  CHECK(f.pool.idle_count() == 0);
  CHECK(f.pool.idle_count("10.0.0.1:80") == 0);
}

TEST_CASE("the idle cap holds per endpoint across TLS names", "[pool]") {
  // Clients choosing Hosts make one key per name: together they get no
  // more than the endpoint's share (reviewer's finding).
  Fixture f(3);
  std::vector<FakeConnection*> parked;
  for (int i = 0; i < 10; ++i) {
    FakeConnection* conn = f.Make("10.0.0.1:443 tls#1 host" + std::to_string(i) + ".test");
    f.pool.Put(conn);
    if (!conn->closed) parked.push_back(conn);
  }
  CHECK(parked.size() == 3);
  CHECK(f.pool.idle_count("10.0.0.1:443") == 3);
  // Another endpoint has its own share.
  FakeConnection* other = f.Make("10.0.0.2:443 tls#1 host0.test");
  f.pool.Put(other);
  CHECK_FALSE(other->closed);
  // A slot freed by Take or by a close is free again.
  CHECK(f.pool.Take("10.0.0.1:443 tls#1 host0.test") == parked[0]);
  parked[1]->Close();
  CHECK(f.pool.idle_count("10.0.0.1:443") == 1);
  FakeConnection* again = f.Make("10.0.0.1:443 tls#1 host9.test");
  f.pool.Put(again);
  CHECK_FALSE(again->closed);
  f.pool.CloseAll();
  CHECK(f.pool.idle_count() == 0);
  CHECK(f.pool.idle_count("10.0.0.1:443") == 0);
  CHECK(parked[2]->closed);
  CHECK(other->closed);
}

TEST_CASE("a connection that is not parked is not forgotten twice", "[pool]") {
  Fixture f(1);
  FakeConnection* a = f.Make("10.0.0.1:80");
  FakeConnection* b = f.Make("10.0.0.1:80");
  f.pool.Put(a);
  f.pool.Remove(b);  // not pooled: no effect on a's slot
  CHECK(f.pool.idle_count("10.0.0.1:80") == 1);
  f.pool.Put(b);  // over the cap: closed
  CHECK(b->closed);
  CHECK(f.pool.idle_count("10.0.0.1:80") == 1);
  CHECK(f.pool.Take("10.0.0.1:80") == a);
}

}  // namespace
}  // namespace portico::dataplane
