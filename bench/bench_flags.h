// What the micro-benchmarks share: `--name=N` flags and thread CPU time.
#pragma once

#include <cstdlib>
#include <cstring>
#include <ctime>

namespace portico::bench {

// The value of `--name=N` among the arguments, or `fallback`.
inline int IntFlag(int argc, char** argv, const char* name, int fallback) {
  size_t n = std::strlen(name);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') return std::atoi(argv[i] + n + 1);
  }
  return fallback;
}

// CPU time of the calling thread: steadier than wall time on a loaded machine.
inline double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace portico::bench
