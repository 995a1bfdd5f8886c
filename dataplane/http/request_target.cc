#include "dataplane/http/request_target.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

namespace portico::dataplane {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986's reserved characters (gen-delims and sub-delims) and '%': an
// escape of one of these means something else than the character itself
// ("%2F" is not a path separator), so it stays encoded.
bool StaysEncoded(unsigned char c) {
  return c == '%' || (c != '\0' && std::string_view(":/?#[]@!$&'()*+,;=").find(c) !=
                                        std::string_view::npos);
}

}  // namespace

std::string RoutingPath(std::string_view raw) {
  std::string path;
  path.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      path.push_back(raw[i]);
      continue;
    }
    int high = i + 2 < raw.size() ? HexValue(raw[i + 1]) : -1;
    int low = high < 0 ? -1 : HexValue(raw[i + 2]);
    if (low < 0) {  // a '%' that starts no escape stands for itself: "%25"
      path.append("%25");
      continue;
    }
    auto byte = static_cast<unsigned char>(high * 16 + low);
    if (StaysEncoded(byte)) {
      constexpr char kHex[] = "0123456789ABCDEF";
      path.append({'%', kHex[high], kHex[low]});
    } else {
      path.push_back(static_cast<char>(byte));
    }
    i += 2;
  }
  return path;
}

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
  *path = RoutingPath(target.substr(0, end));
  return true;
}

std::string_view PathRefusal(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) return "the path holds an escaped NUL (%00)";
  // Segments end at '/', and also where some backend may see a separator:
  // '\\' (Windows servers, some frameworks) and an escaped "%2F" (servers
  // that decode before they resolve dot segments; RoutingPath writes it in
  // upper case). A segment's parameters (";jsessionid=…", which Tomcat and
  // others strip) do not make ".." another name.
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = start;
    size_t next = path.size() + 1;
    for (; end < path.size(); ++end) {
      if (path[end] == '/' || path[end] == '\\') {
        next = end + 1;
        break;
      }
      if (path.substr(end, 3) == "%2F") {
        next = end + 3;
        break;
      }
    }
    std::string_view segment = path.substr(start, end - start);
    segment = segment.substr(0, segment.find(';'));
    if (segment == "." || segment == "..") return "the path has a '.' or '..' segment";
    start = next;
  }
  return "";
}

bool NormalizeHost(std::string_view authority, std::string* host) {
  std::string_view h = authority;
  std::string_view port;
  if (!h.empty() && h[0] == '[') {
    // An IPv6 literal, checked as one: "[]" or "[x]" names no host, and the
    // name a backend's certificate is checked against comes from here.
    size_t close = h.find(']');
    if (close == std::string_view::npos) return false;
    std::string literal(h.substr(1, close - 1));
    in6_addr address;
    if (inet_pton(AF_INET6, literal.c_str(), &address) != 1) return false;
    port = h.substr(close + 1);
    h = h.substr(0, close + 1);
    host->clear();
    for (char c : h) host->push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  } else {
    if (size_t colon = h.find(':'); colon != std::string_view::npos) {
      port = h.substr(colon);
      h = h.substr(0, colon);
    }
    // "example.com." names the same host as "example.com" (a fully
    // qualified name); routes and certificates are filed without the dot.
    if (h.size() > 1 && h.back() == '.') h.remove_suffix(1);
    // An empty label ("a..b", ".a", "a.." before the strip) is no host.
    if (h.empty() || h.size() > 255 || h.front() == '.' || h.back() == '.' ||
        h.find("..") != std::string_view::npos) {
      return false;
    }
    host->clear();
    host->reserve(h.size());
    for (char c : h) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '.' || c == '_';
      if (!ok) return false;
      host->push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
  }
  // The port, if any: ':' and up to five digits (RFC 3986 allows it empty).
  if (port.empty()) return true;
  if (port[0] != ':' || port.size() > 6) return false;
  for (char c : port.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace portico::dataplane
