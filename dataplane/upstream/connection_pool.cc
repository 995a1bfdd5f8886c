#include "dataplane/upstream/connection_pool.h"

#include <algorithm>

#include "dataplane/http/upstream_connection.h"

namespace portico::dataplane {

UpstreamConnection* ConnectionPool::Take(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  UpstreamConnection* conn = it->second.back();
  it->second.pop_back();
  return conn;
}

void ConnectionPool::Put(UpstreamConnection* conn) {
  std::vector<UpstreamConnection*>& idle = idle_[conn->key()];
  if (idle.size() >= max_idle_) {
    conn->Close();
    return;
  }
  idle.push_back(conn);
}

void ConnectionPool::Remove(UpstreamConnection* conn) {
  auto it = idle_.find(conn->key());
  if (it == idle_.end()) return;
  auto& idle = it->second;
  idle.erase(std::remove(idle.begin(), idle.end(), conn), idle.end());
  if (idle.empty()) idle_.erase(it);
}

void ConnectionPool::CloseAll() {
  auto idle = std::move(idle_);
  idle_.clear();
  for (auto& [_, conns] : idle) {
    for (UpstreamConnection* conn : conns) conn->Close();
  }
}

size_t ConnectionPool::idle_count() const {
  size_t n = 0;
  for (const auto& [_, conns] : idle_) n += conns.size();
  return n;
}

}  // namespace portico::dataplane
