#include "common/flag_values.h"

#include <charconv>
#include <cstdint>
#include <map>

namespace portico {

bool ParseDurationMs(const std::string& text, uint64_t* ms) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return false;
  std::string unit(end, text.data() + text.size());
  static const std::map<std::string, uint64_t> kUnits = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end() || value > UINT64_MAX / it->second) return false;
  *ms = value * it->second;
  return true;
}

bool ParseSize(const std::string& text, size_t* bytes) {
  size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return false;
  std::string unit(end, text.data() + text.size());
  static const std::map<std::string, size_t> kUnits = {{"", 1}, {"KiB", 1024}, {"MiB", 1 << 20}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end() || value > SIZE_MAX / it->second) return false;
  *bytes = value * it->second;
  return true;
}

}  // namespace portico
