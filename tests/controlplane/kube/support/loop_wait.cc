#include "tests/controlplane/kube/support/loop_wait.h"

namespace portico::controlplane::testing {
namespace {

struct Wait {
  const std::function<bool()>* done;
  uint64_t deadline;
  bool met = false;
};

}  // namespace

bool RunUntil(uv_loop_t* loop, const std::function<bool()>& done, uint64_t timeout_ms) {
  if (done()) return true;
  uv_update_time(loop);
  Wait wait{.done = &done, .deadline = uv_now(loop) + timeout_ms};
  uv_timer_t timer;
  uv_timer_init(loop, &timer);
  timer.data = &wait;
  uv_timer_start(
      &timer,
      [](uv_timer_t* t) {
        auto* w = static_cast<Wait*>(t->data);
        w->met = (*w->done)();
        if (w->met || uv_now(t->loop) >= w->deadline) uv_stop(t->loop);
      },
      1, 1);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return wait.met;
}

}  // namespace portico::controlplane::testing
