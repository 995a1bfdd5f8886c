#include "dataplane/http/head_codec.h"

#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/admin_server.h"

namespace portico::dataplane {
namespace {


// Headers that the proxy owns on the way upstream: from an untrusted peer
// any value is dropped and replaced; from a trusted one it is kept.
enum Forwarding { kNotForwarding, kFor, kProto, kHost, kPort, kRealIp, kForwarded, kCount };
Forwarding ForwardingHeader(std::string_view name) {
  if (name.size() < 7 || !(name[0] == 'x' || name[0] == 'X' || name[0] == 'f' || name[0] == 'F'))
    return kNotForwarding;  // the common case, decided on two bytes
  static constexpr std::pair<std::string_view, Forwarding> kNames[] = {
      {"x-forwarded-for", kFor},   {"x-forwarded-proto", kProto}, {"x-forwarded-host", kHost},
      {"x-forwarded-port", kPort}, {"x-real-ip", kRealIp},        {"forwarded", kForwarded}};
  for (const auto& [h, kind] : kNames) {
    if (HeaderNameEquals(name, h)) return kind;
  }
  return kNotForwarding;
}

// Lowercase ASCII compare of a header name against a lowercase literal.
bool NameIs(std::string_view name, std::string_view lower) {
  return HeaderNameEquals(name, lower);
}

// The names one message's Connection headers list, besides the three
// connection options every proxy handles anyway. Gathered once per message:
// most messages list none, and then nothing is allocated.
class ConnectionTokens {
 public:
  explicit ConnectionTokens(const HeaderList& headers) {
    for (const HeaderField& h : headers) {
      if (h.name.size() != 10 || !NameIs(h.name, "connection")) continue;
      std::string_view v = h.value;
      while (!v.empty()) {
        size_t comma = v.find(',');
        std::string_view token = TrimOws(v.substr(0, comma));
        if (!token.empty() && !NameIs(token, "keep-alive") && !NameIs(token, "close") &&
            !NameIs(token, "upgrade")) {
          tokens_.push_back(token);
        }
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
      }
    }
  }
  bool Lists(std::string_view name) const {
    for (std::string_view t : tokens_) {
      if (NameIs(name, t)) return true;
    }
    return false;
  }

 private:
  std::vector<std::string_view> tokens_;
};

// RFC 9110 7.6.1's connection-specific fields, all of Proxy-*, and the
// bare "Proxy" that CGI-style backends read as HTTP_PROXY (httpoxy).
bool IsFixedHopByHop(std::string_view name) {
  switch (name.size()) {
    case 2:
      return NameIs(name, "te");
    case 5:
      return NameIs(name, "proxy");
    case 7:
      return NameIs(name, "upgrade") || NameIs(name, "trailer");
    case 10:
      return NameIs(name, "connection") || NameIs(name, "keep-alive");
    case 17:
      if (NameIs(name, "transfer-encoding")) return true;
      break;
    default:
      break;
  }
  return name.size() > 6 && (name[0] == 'p' || name[0] == 'P') &&
         NameIs(name.substr(0, 6), "proxy-");
}

void AppendHeader(std::string* out, std::string_view name, std::string_view value) {
  size_t at = out->size();
  out->resize(at + name.size() + value.size() + 4);
  char* p = out->data() + at;
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p = '\n';
}

}  // namespace

std::string_view TrimOws(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

const std::string* FindHeader(const HeaderList& headers, std::string_view name) {
  for (const HeaderField& h : headers) {
    if (HeaderNameEquals(h.name, name)) return &h.value;
  }
  return nullptr;
}

bool IsHopByHop(std::string_view name, const HeaderList& headers) {
  return IsFixedHopByHop(name) || ConnectionTokens(headers).Lists(name);
}

void SerializeUpstreamRequest(const RequestHead& request, const ForwardingInfo& fwd,
                              std::string* out_ptr) {
  std::string& out = *out_ptr;
  out.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\n");
  const std::string* host = nullptr;
  bool kept[kCount] = {};
  std::string forwarded_for;  // a trusted peer's X-Forwarded-For, to append to
  ConnectionTokens listed(request.headers);
  for (const HeaderField& h : request.headers) {
    if (IsFixedHopByHop(h.name) || listed.Lists(h.name)) {
      if (!request.upgrade || !NameIs(h.name, "upgrade")) continue;
    }
    if (Forwarding kind = ForwardingHeader(h.name); kind != kNotForwarding) {
      if (!fwd.trusted_peer) continue;
      kept[kind] = true;
      if (kind == kFor) {
        forwarded_for.append(forwarded_for.empty() ? "" : ", ").append(h.value);
        continue;
      }
    }
    if (HeaderNameEquals(h.name, "host")) {
      host = &h.value;
      if (!fwd.host_override.empty()) continue;
    }
    AppendHeader(&out, h.name, h.value);
  }
  if (!fwd.host_override.empty()) AppendHeader(&out, "Host", fwd.host_override);
  if (request.chunked) AppendHeader(&out, "Transfer-Encoding", "chunked");
  if (request.upgrade) AppendHeader(&out, "Connection", "Upgrade");
  if (kept[kFor]) {
    AppendHeader(&out, "X-Forwarded-For", forwarded_for.append(", ").append(fwd.client_ip));
  } else {
    AppendHeader(&out, "X-Forwarded-For", fwd.client_ip);
  }
  if (!kept[kProto]) AppendHeader(&out, "X-Forwarded-Proto", fwd.proto);
  if (!kept[kHost] && host != nullptr) AppendHeader(&out, "X-Forwarded-Host", *host);
  if (!kept[kPort]) AppendHeader(&out, "X-Forwarded-Port", fwd.entrypoint_port);
  if (!kept[kRealIp]) AppendHeader(&out, "X-Real-Ip", fwd.client_ip);
  out.append("\r\n");
}

void SerializeClientResponse(const ResponseHead& response, ResponseFraming framing,
                             bool keep_alive, int client_http_minor, std::string* out_ptr,
                             const std::vector<std::string>* set_cookies) {
  std::string& out = *out_ptr;
  char status[8];
  int status_len = std::snprintf(status, sizeof status, "%d", response.status);
  out.append("HTTP/1.1 ").append(status, static_cast<size_t>(status_len)).append(" ");
  out.append(response.reason.empty() ? StatusReason(response.status) : response.reason);
  out.append("\r\n");
  bool switching = response.status == 101;
  ConnectionTokens listed(response.headers);
  for (const HeaderField& h : response.headers) {
    if (IsFixedHopByHop(h.name) || listed.Lists(h.name)) {
      if (!switching || !NameIs(h.name, "upgrade")) continue;
    }
    AppendHeader(&out, h.name, h.value);
  }
  if (set_cookies != nullptr) {
    for (const std::string& cookie : *set_cookies) AppendHeader(&out, "Set-Cookie", cookie);
  }
  if (framing == ResponseFraming::kChunked) AppendHeader(&out, "Transfer-Encoding", "chunked");
  if (switching) {
    AppendHeader(&out, "Connection", "Upgrade");
  } else if (!keep_alive) {
    AppendHeader(&out, "Connection", "close");
  } else if (client_http_minor == 0) {
    AppendHeader(&out, "Connection", "keep-alive");
  }
  out.append("\r\n");
}

void LastChunk(const HeaderList& trailers, std::string* out_ptr) {
  std::string& out = *out_ptr;
  out.append("0\r\n");
  ConnectionTokens listed(trailers);
  for (const HeaderField& h : trailers) {
    if (IsFixedHopByHop(h.name) || listed.Lists(h.name) || HeaderNameEquals(h.name, "content-length") ||
        HeaderNameEquals(h.name, "host")) {
      continue;
    }
    AppendHeader(&out, h.name, h.value);
  }
  out.append("\r\n");
}

void LocalResponse(int status, std::string_view body, bool keep_alive, bool head_request,
                   std::string* out) {
  absl::StrAppend(
      out, "HTTP/1.1 ", status, " ", StatusReason(status),
      "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ", body.size(), "\r\n");
  out->append(keep_alive ? "" : "Connection: close\r\n").append("\r\n");
  if (!head_request) out->append(body);
}

void ChunkHeader(size_t size, std::string* out) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%zx\r\n", size);
  out->append(buf, static_cast<size_t>(n));
}

}  // namespace portico::dataplane
