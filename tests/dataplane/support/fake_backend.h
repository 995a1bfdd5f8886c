// Test doubles around a real proxy worker: a blocking-socket HTTP backend
// with scripted answers, and a client that reads responses with llhttp.
// Every socket has a receive timeout, so a broken proxy fails a test
// instead of hanging it.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace portico::testing {

struct ReceivedRequest {
  std::string head;  // request line and headers, as received
  std::string body;  // de-chunked
  std::string trailers;  // trailer lines of a chunked body, each ending in CRLF
};

// Answers each request with handler(request); "" from the handler closes the
// connection without answering. After an answer that starts with
// "HTTP/1.1 101" the connection echoes every read back as "echo:" + bytes.
class FakeBackend {
 public:
  using Handler = std::function<std::string(const ReceivedRequest&)>;
  FakeBackend(const std::string& ip, Handler handler);
  ~FakeBackend();
  int port() const { return port_; }
  int connections() const { return connections_.load(); }
  std::vector<ReceivedRequest> requests() const;

 private:
  void AcceptLoop();
  void Serve(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<ReceivedRequest> requests_;
  std::vector<std::thread> servers_;
  std::vector<int> fds_;
};

struct ParsedResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = false;
  std::string Header(const std::string& name) const;
};

class TestClient {
 public:
  explicit TestClient(int port);
  ~TestClient();
  bool connected() const { return fd_ >= 0; }
  void Send(const std::string& bytes);
  // Reads until `count` complete responses arrived (or timeout/close).
  // `head_request` marks responses that have no body.
  std::vector<ParsedResponse> Read(size_t count, bool head_request = false);
  // Sends FIN: the client is done sending but still reads.
  void ShutdownWrite();
  // Raw bytes: reads until `count` arrived, EOF or timeout.
  std::string ReadBytes(size_t count);
  // True if the proxy closed the connection (reads EOF within the timeout).
  bool ClosedByPeer();

 private:
  int fd_ = -1;
  std::string leftover_;
};

std::string OkResponse(const std::string& body, const std::string& extra_headers = "");

}  // namespace portico::testing
