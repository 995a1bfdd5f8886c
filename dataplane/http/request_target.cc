#include "dataplane/http/request_target.h"

namespace portico::dataplane {

bool ParseRequestTarget(std::string_view target, std::string* path, std::string* authority) {
  authority->clear();
  if (target.empty()) return false;
  if (target[0] != '/') {
    size_t scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return false;
    std::string_view scheme = target.substr(0, scheme_end);
    if (scheme != "http" && scheme != "https" && scheme != "HTTP" && scheme != "HTTPS")
      return false;
    std::string_view rest = target.substr(scheme_end + 3);
    size_t slash = rest.find_first_of("/?");
    *authority = std::string(rest.substr(0, slash));
    target = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    if (target[0] == '?') {
      *path = "/";
      return !authority->empty();
    }
  }
  size_t end = target.find_first_of("?#");
  *path = std::string(target.substr(0, end));
  return true;
}

bool NormalizeHost(std::string_view authority, std::string* host) {
  std::string_view h = authority;
  if (h.empty()) return false;
  if (h[0] == '[') {
    size_t close = h.find(']');
    if (close == std::string_view::npos) return false;
    h = h.substr(0, close + 1);
  } else if (size_t colon = h.find(':'); colon != std::string_view::npos) {
    h = h.substr(0, colon);
  }
  if (h.empty() || h.size() > 255) return false;
  host->clear();
  host->reserve(h.size());
  for (char c : h) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '[' || c == ']' || c == ':';
    if (!ok) return false;
    host->push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return true;
}

}  // namespace portico::dataplane
