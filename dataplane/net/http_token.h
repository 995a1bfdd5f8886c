// RFC 9110 5.6.2 tokens: what header names, methods and cookie names are
// made of. Shared by every place that checks such a name from a snapshot.
#pragma once

#include <string_view>

namespace portico::dataplane {

inline bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Non-empty and made of token characters only.
inline bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

}  // namespace portico::dataplane
