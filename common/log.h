// Process-wide logging to stderr: one line per call, written with a single
// write(2) so lines from different threads never interleave. Thread-safe.
// Never pass secrets (keys, tokens, Secret data) to these functions.
#pragma once

#include <string_view>

namespace portico {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Lines below this level are dropped. Default: kInfo.
void SetLogLevel(LogLevel level);
// Parses "debug", "info", "warn", "error"; false if unknown.
bool ParseLogLevel(std::string_view text, LogLevel* level);

void Log(LogLevel level, std::string_view component, std::string_view message);

inline void LogDebug(std::string_view c, std::string_view m) { Log(LogLevel::kDebug, c, m); }
inline void LogInfo(std::string_view c, std::string_view m) { Log(LogLevel::kInfo, c, m); }
inline void LogWarn(std::string_view c, std::string_view m) { Log(LogLevel::kWarn, c, m); }
inline void LogError(std::string_view c, std::string_view m) { Log(LogLevel::kError, c, m); }

}  // namespace portico
