// DeferredRelease: drops the last reference to large structures (the
// previous compile, a superseded snapshot) on a background thread, so that
// freeing tens of megabytes does not delay what the caller does next (the
// compile, the push to proxies). Objects are released in the order given;
// the destructor waits until every one is gone. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace portico {

class DeferredRelease {
 public:
  DeferredRelease();
  ~DeferredRelease();
  DeferredRelease(const DeferredRelease&) = delete;
  DeferredRelease& operator=(const DeferredRelease&) = delete;

  // Takes one reference; the object is destroyed on the background thread
  // unless other references outlive it there.
  void Release(std::shared_ptr<const void> object);
  template <typename T>
  void Release(std::unique_ptr<T> object) {
    if (object != nullptr) Release(std::shared_ptr<const void>(std::move(object)));
  }

  // Blocks until everything released so far is gone (tests).
  void Drain();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::shared_ptr<const void>> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace portico
