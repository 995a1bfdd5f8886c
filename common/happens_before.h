// Happens-before edges for ThreadSanitizer that a library guarantees but
// establishes in code TSan cannot see (Debian's gRPC and Abseil are not built
// with -fsanitize=thread, so their mutexes and atomics are invisible to it).
// HappensBefore(tag) on one thread and a later HappensAfter(tag) on another
// order everything before the first call before everything after the second.
// Use one tag per documented guarantee, never to silence a report you cannot
// explain. No-ops (and no cost) outside ThreadSanitizer builds; thread-safe.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define PORTICO_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PORTICO_TSAN 1
#endif
#endif

#ifdef PORTICO_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace portico {

inline void HappensBefore([[maybe_unused]] const void* tag) {
#ifdef PORTICO_TSAN
  __tsan_release(const_cast<void*>(tag));
#endif
}

inline void HappensAfter([[maybe_unused]] const void* tag) {
#ifdef PORTICO_TSAN
  __tsan_acquire(const_cast<void*>(tag));
#endif
}

}  // namespace portico
