// A small HTTP/1.1 server for operational endpoints (/ready, /metrics, ...).
// It answers one request per connection and closes it; it is not on any
// traffic path. Everything runs on the libuv loop given at construction: the
// handler is called on that loop's thread.
#pragma once

#include <uv.h>

#include <functional>
#include <string>
#include <string_view>

namespace portico {

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using AdminHandler = std::function<AdminResponse(std::string_view method, std::string_view path)>;

class AdminServer {
 public:
  AdminServer(uv_loop_t* loop, AdminHandler handler);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and listens on host:port ("127.0.0.1", 0 picks a free port).
  // Returns an error message, empty on success.
  std::string Listen(const std::string& host, int port);
  // The bound port (after a successful Listen).
  int port() const { return port_; }
  // Stops accepting and closes open connections; safe to call twice.
  void Close();

 private:
  struct Connection;
  static void OnConnection(uv_stream_t* server, int status);
  void Respond(Connection* conn);

  uv_loop_t* loop_;
  AdminHandler handler_;
  uv_tcp_t* listener_ = nullptr;  // owned; freed in its close callback
  int port_ = 0;
};

// Splits "host:port" or "[v6]:port". False on malformed input.
bool SplitHostPort(std::string_view text, std::string* host, int* port);

// Human status text for the codes Portico answers with.
const char* StatusReason(int status);

}  // namespace portico
