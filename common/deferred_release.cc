#include "common/deferred_release.h"

#include <utility>

namespace portico {

DeferredRelease::DeferredRelease() : thread_([this] { Run(); }) {}

DeferredRelease::~DeferredRelease() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void DeferredRelease::Release(std::shared_ptr<const void> object) {
  if (object == nullptr) return;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(object));
  }
  wake_.notify_one();
}

void DeferredRelease::Drain() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void DeferredRelease::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything released
    std::shared_ptr<const void> object = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    object.reset();  // the destructor runs here, without the lock
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

}  // namespace portico
