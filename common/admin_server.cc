#include "common/admin_server.h"

#include <charconv>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace portico {
namespace {
constexpr size_t kMaxRequestBytes = 8192;
}  // namespace

struct AdminServer::Connection {
  uv_tcp_t tcp;
  AdminServer* server;
  std::string request;
  std::string response;
  uv_write_t write_req;
  char read_buf[2048];
  bool responded = false;
};

bool SplitHostPort(std::string_view text, std::string* host, int* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= text.size()) return false;
  std::string_view h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  std::string_view digits = text.substr(colon + 1);
  int p = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p);
  if (ec != std::errc() || end != digits.data() + digits.size() || p < 0 || p > 65535) return false;
  *host = std::string(h.empty() ? "0.0.0.0" : h);
  *port = p;
  return true;
}

const char* StatusReason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 421: return "Misdirected Request";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

AdminServer::AdminServer(uv_loop_t* loop, AdminHandler handler)
    : loop_(loop), handler_(std::move(handler)) {}

AdminServer::~AdminServer() { Close(); }

std::string AdminServer::Listen(const std::string& host, int port) {
  sockaddr_storage addr{};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
    return absl::StrCat("admin: invalid listen address '", host, "'");
  }
  listener_ = new uv_tcp_t;
  uv_tcp_init(loop_, listener_);
  listener_->data = this;
  int rc = uv_tcp_bind(listener_, reinterpret_cast<sockaddr*>(&addr), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_), 64, &OnConnection);
  if (rc != 0) {
    Close();
    return absl::StrCat("admin: cannot listen on ", host, ":", port, ": ", uv_strerror(rc));
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return "";
}

void AdminServer::Close() {
  if (listener_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(listener_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  listener_ = nullptr;
}

void AdminServer::OnConnection(uv_stream_t* listener, int status) {
  if (status != 0) return;
  auto* self = static_cast<AdminServer*>(listener->data);
  auto* conn = new Connection;
  conn->server = self;
  uv_tcp_init(self->loop_, &conn->tcp);
  conn->tcp.data = conn;
  auto close_conn = [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); };
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&conn->tcp)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&conn->tcp), close_conn);
    return;
  }
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&conn->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* c = static_cast<Connection*>(h->data);
        *buf = uv_buf_init(c->read_buf, sizeof c->read_buf);
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* c = static_cast<Connection*>(s->data);
        if (c->responded) return;
        if (nread < 0) {
          uv_close(reinterpret_cast<uv_handle_t*>(s),
                   [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
          return;
        }
        c->request.append(buf->base, static_cast<size_t>(nread));
        if (c->request.find("\r\n\r\n") != std::string::npos ||
            c->request.size() > kMaxRequestBytes) {
          c->server->Respond(c);
        }
      });
}

void AdminServer::Respond(Connection* conn) {
  conn->responded = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&conn->tcp));
  AdminResponse resp;
  std::string_view req = conn->request;
  size_t sp1 = req.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : req.find(' ', sp1 + 1);
  size_t eol = req.find("\r\n");
  if (conn->request.size() > kMaxRequestBytes || sp2 == std::string_view::npos || eol < sp2) {
    resp = {.status = 400, .body = "malformed request\n"};
  } else {
    std::string_view method = req.substr(0, sp1);
    std::string_view target = req.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view path = target.substr(0, target.find('?'));
    resp = handler_(method, path);
  }
  bool head = req.substr(0, 5) == "HEAD ";
  conn->response = absl::StrCat("HTTP/1.1 ", resp.status, " ", StatusReason(resp.status),
                                "\r\nContent-Type: ", resp.content_type,
                                "\r\nContent-Length: ", resp.body.size(),
                                "\r\nConnection: close\r\n\r\n", head ? "" : resp.body);
  uv_buf_t buf = uv_buf_init(conn->response.data(), static_cast<unsigned>(conn->response.size()));
  conn->write_req.data = conn;
  uv_write(&conn->write_req, reinterpret_cast<uv_stream_t*>(&conn->tcp), &buf, 1,
           [](uv_write_t* w, int) {
             auto* c = static_cast<Connection*>(w->data);
             uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp),
                      [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
           });
}

}  // namespace portico
