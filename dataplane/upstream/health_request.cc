#include "dataplane/upstream/health_request.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "dataplane/net/http_token.h"

namespace portico::dataplane {
namespace {

// No control character, space or DEL: safe in a request line or Host.
bool IsVisible(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

bool IsFieldValue(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view StripFragment(std::string_view s) { return s.substr(0, s.find('#')); }

// "/a/b?q" → "/a/": the base a relative reference resolves against.
std::string_view Directory(std::string_view path) {
  path = path.substr(0, path.find('?'));
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view("/") : path.substr(0, slash + 1);
}

std::string PathOf(std::string_view rest) {
  if (rest.empty()) return "/";
  if (rest.front() == '?') return "/" + std::string(rest);
  return std::string(rest);
}

}  // namespace

std::string ValidateHealthCheck(const v1::HealthCheck& check) {
  if (check.path().empty() || check.path().front() != '/' || !IsVisible(check.path())) {
    return "healthCheck.path: must start with '/' and contain no spaces or control characters";
  }
  if (!check.scheme().empty() && check.scheme() != "http" && check.scheme() != "https") {
    return "healthCheck.scheme: must be http or https";
  }
  if (!IsVisible(check.hostname()) || check.hostname().find('/') != std::string::npos) {
    return "healthCheck.hostname: contains a space, '/' or a control character";
  }
  if (check.port() > 65535) return absl::StrCat("healthCheck.port: ", check.port(), " > 65535");
  if (!check.method().empty() && !IsToken(check.method())) {
    return "healthCheck.method: not an HTTP token";
  }
  for (int i = 0; i < check.headers_size(); ++i) {
    const v1::Header& h = check.headers(i);
    if (!IsToken(h.name())) {
      return absl::StrCat("healthCheck.headers[", i, "].name: not an HTTP token");
    }
    if (!IsFieldValue(h.value())) {
      return absl::StrCat("healthCheck.headers[", i, "].value: contains CR, LF or NUL");
    }
  }
  return "";
}

std::string AddressAuthority(const sockaddr_storage& address, uint16_t port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, text,
              sizeof text);
    return absl::StrCat("[", text, "]:", port);
  }
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(address).sin_addr, text, sizeof text);
  return absl::StrCat(text, ":", port);
}

std::string BuildHealthRequest(const v1::HealthCheck& check, std::string_view path,
                               std::string_view host) {
  std::string_view method = check.method();
  if (method.empty()) method = "GET";
  std::string out;
  out.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ");
  out.append(host).append("\r\n");
  for (const v1::Header& h : check.headers()) {
    // Host, Connection and User-Agent are the prober's own.
    if (absl::EqualsIgnoreCase(h.name(), "host") ||
        absl::EqualsIgnoreCase(h.name(), "connection")) {
      continue;
    }
    absl::StrAppend(&out, h.name(), ": ", h.value(), "\r\n");
  }
  absl::StrAppend(&out, "Connection: close\r\nUser-Agent: portico-health\r\n\r\n");
  return out;
}

bool HealthStatusPasses(const v1::HealthCheck& check, int status) {
  if (check.status() != 0) return static_cast<uint32_t>(status) == check.status();
  return status >= 200 && status < 400;
}

std::optional<std::string> SameEndpointRedirect(std::string_view location,
                                                std::string_view current_path,
                                                std::string_view scheme, std::string_view host,
                                                std::string_view authority) {
  location = StripFragment(TrimSpaces(location));
  if (location.empty() || !IsVisible(location)) return std::nullopt;
  std::string_view rest;
  if (location.starts_with("//")) {
    rest = location.substr(2);
  } else if (location.front() == '/') {
    return std::string(location);
  } else if (size_t colon = location.find("://");
             colon != std::string_view::npos && location.find('/') > colon) {
    std::string_view want = scheme.empty() ? "http" : scheme;
    if (!EqualsIgnoreCase(location.substr(0, colon), want)) return std::nullopt;
    rest = location.substr(colon + 3);
  } else {
    return std::string(Directory(current_path)).append(location);
  }
  size_t end = rest.find_first_of("/?");
  std::string_view target = rest.substr(0, end);
  if (!EqualsIgnoreCase(target, host) && !EqualsIgnoreCase(target, authority)) {
    return std::nullopt;
  }
  return PathOf(end == std::string_view::npos ? std::string_view() : rest.substr(end));
}

}  // namespace portico::dataplane
