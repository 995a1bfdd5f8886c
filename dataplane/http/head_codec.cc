#include "dataplane/http/head_codec.h"

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/admin_server.h"

namespace portico::dataplane {
namespace {

absl::string_view AsAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Headers that the proxy owns on the way upstream: any client-supplied value
// is dropped and replaced (no trusted forwarders in this build).
bool IsForwardingHeader(std::string_view name) {
  for (std::string_view h : {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
                             "x-forwarded-port", "x-real-ip", "forwarded"}) {
    if (HeaderNameEquals(name, h)) return true;
  }
  return false;
}

bool ConnectionNames(const std::vector<HeaderField>& headers, std::string_view name) {
  for (const HeaderField& h : headers) {
    if (!HeaderNameEquals(h.name, "connection")) continue;
    std::string_view v = h.value;
    while (!v.empty()) {
      size_t comma = v.find(',');
      std::string_view token = v.substr(0, comma);
      absl::string_view trimmed = absl::StripAsciiWhitespace(AsAbsl(token));
      if (HeaderNameEquals(std::string_view(trimmed.data(), trimmed.size()), name)) return true;
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  return false;
}

void AppendHeader(std::string* out, std::string_view name, std::string_view value) {
  out->append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

bool HeaderNameEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && absl::EqualsIgnoreCase(AsAbsl(a), AsAbsl(b));
}

const std::string* FindHeader(const std::vector<HeaderField>& headers, std::string_view name) {
  for (const HeaderField& h : headers) {
    if (HeaderNameEquals(h.name, name)) return &h.value;
  }
  return nullptr;
}

bool IsHopByHop(std::string_view name, const std::vector<HeaderField>& headers) {
  for (std::string_view h :
       {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
        "upgrade", "proxy-authenticate", "proxy-authorization"}) {
    if (HeaderNameEquals(name, h)) return true;
  }
  return ConnectionNames(headers, name);
}

std::string SerializeUpstreamRequest(const RequestHead& request, const ForwardingInfo& fwd) {
  std::string out;
  out.reserve(256 + request.target.size() + request.headers.size() * 48);
  out.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\n");
  const std::string* host = nullptr;
  for (const HeaderField& h : request.headers) {
    if (IsHopByHop(h.name, request.headers) || IsForwardingHeader(h.name)) continue;
    if (HeaderNameEquals(h.name, "host")) host = &h.value;
    AppendHeader(&out, h.name, h.value);
  }
  if (request.chunked) AppendHeader(&out, "Transfer-Encoding", "chunked");
  AppendHeader(&out, "X-Forwarded-For", fwd.client_ip);
  AppendHeader(&out, "X-Forwarded-Proto", fwd.proto);
  if (host != nullptr) AppendHeader(&out, "X-Forwarded-Host", *host);
  AppendHeader(&out, "X-Forwarded-Port", fwd.entrypoint_port);
  AppendHeader(&out, "X-Real-Ip", fwd.client_ip);
  out.append("\r\n");
  return out;
}

std::string SerializeClientResponse(const ResponseHead& response, ResponseFraming framing,
                                    bool keep_alive, int client_http_minor) {
  std::string out;
  out.reserve(128 + response.headers.size() * 48);
  out.append("HTTP/1.1 ").append(std::to_string(response.status)).append(" ");
  out.append(response.reason.empty() ? StatusReason(response.status) : response.reason);
  out.append("\r\n");
  for (const HeaderField& h : response.headers) {
    if (IsHopByHop(h.name, response.headers)) continue;
    AppendHeader(&out, h.name, h.value);
  }
  if (framing == ResponseFraming::kChunked) AppendHeader(&out, "Transfer-Encoding", "chunked");
  if (!keep_alive) {
    AppendHeader(&out, "Connection", "close");
  } else if (client_http_minor == 0) {
    AppendHeader(&out, "Connection", "keep-alive");
  }
  out.append("\r\n");
  return out;
}

std::string LocalResponse(int status, std::string_view body, bool keep_alive, bool head_request) {
  std::string out = absl::StrCat(
      "HTTP/1.1 ", status, " ", StatusReason(status),
      "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ", body.size(), "\r\n");
  out.append(keep_alive ? "" : "Connection: close\r\n").append("\r\n");
  if (!head_request) out.append(body);
  return out;
}

std::string ChunkHeader(size_t size) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%zx\r\n", size);
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace portico::dataplane
