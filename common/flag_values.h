// Values of command-line flags that both binaries take.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace portico {

// "250ms", "5s", "2m", "1h" → milliseconds. A unit is required.
bool ParseDurationMs(const std::string& text, uint64_t* ms);
// "4096", "64KiB", "1MiB" → bytes.
bool ParseSize(const std::string& text, size_t* bytes);

}  // namespace portico
