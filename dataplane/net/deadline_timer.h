// DeadlineTimer: a libuv timer that is cheap to re-arm and disarm on every
// request. libuv keeps timers in a binary heap, where every start and stop
// is a heap operation; here Arm touches the heap only when the new deadline
// is earlier than the wake-up already scheduled, and Disarm only forgets the
// deadline. A wake-up that finds no deadline does nothing; one that finds a
// later deadline schedules itself again. Deadlines are in loop time (ms).
//
// `Fire` gets the uv_timer_t whose `data` the owner set; the owner closes
// handle() like any libuv handle. Loop thread only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <limits>

namespace portico::dataplane {

template <void (*Fire)(uv_timer_t*)>
class DeadlineTimer {
 public:
  void Init(uv_loop_t* loop, void* owner) {
    uv_timer_init(loop, &timer_);
    timer_.data = owner;
  }
  void Arm(uint64_t ms) {
    uint64_t now = uv_now(timer_.loop);
    deadline_ = now + ms;
    if (deadline_ < scheduled_) {
      scheduled_ = deadline_;
      uv_timer_start(&timer_, &OnWakeUp, ms, 0);
    }
  }
  void Disarm() { deadline_ = kNever; }
  void Stop() {
    deadline_ = kNever;
    scheduled_ = kNever;
    uv_timer_stop(&timer_);
  }
  uv_handle_t* handle() { return reinterpret_cast<uv_handle_t*>(&timer_); }

 private:
  static constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

  static void OnWakeUp(uv_timer_t* timer) {
    auto* self = reinterpret_cast<DeadlineTimer*>(timer);  // timer_ is the first member
    self->scheduled_ = kNever;
    if (self->deadline_ == kNever) return;
    uint64_t now = uv_now(timer->loop);
    if (now < self->deadline_) {
      self->scheduled_ = self->deadline_;
      uv_timer_start(timer, &OnWakeUp, self->deadline_ - now, 0);
      return;
    }
    self->deadline_ = kNever;
    Fire(timer);
  }

  uv_timer_t timer_{};  // first: OnWakeUp finds the object from it
  uint64_t deadline_ = kNever;
  uint64_t scheduled_ = kNever;
};

}  // namespace portico::dataplane
