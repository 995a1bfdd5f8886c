// ScriptedApiServer: a stand-in for the Kubernetes API in reflector tests.
// A plain HTTP/1.1 server on 127.0.0.1 (port 0) that answers each request
// with the first scripted response whose matcher accepts it, in the order
// they were scripted, streaming the body as chunks (optionally one byte per
// chunk and write) and optionally holding the stream open afterwards, like a
// watch. A request nothing matches is held open, unanswered, until Stop().
// Every request is recorded, with its method and body. Thread-safe: one thread per connection.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace portico::controlplane::testing {

struct ScriptedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> parts;  // the body, in chunks
  bool byte_by_byte = false;       // every byte in a chunk and a write of its own
  bool hold_open = false;          // no final chunk: the stream stays open until Stop()
  std::string gate;                // wait for Open(gate) before answering
  std::function<void()> before;    // run on the server thread before answering
};

struct ReceivedRequest {
  std::string target;         // path and query
  std::string authorization;  // the Authorization header
  std::string method;         // "GET", "PUT", ...
  std::string content_type;   // the Content-Type header
  std::string body;           // read by Content-Length
  std::chrono::steady_clock::time_point at;
};

using RequestMatcher = std::function<bool(const std::string& target)>;

// A list (not a watch) of the collection at `path`.
RequestMatcher ListOf(const std::string& path);
// A watch of the collection at `path`.
RequestMatcher WatchOf(const std::string& path);
// Exactly `target` (path and query).
RequestMatcher Target(const std::string& target);

class ScriptedApiServer {
 public:
  ScriptedApiServer() = default;
  ~ScriptedApiServer();

  // Listens on 127.0.0.1:0. Returns "" or the error.
  std::string Start();
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void Expect(RequestMatcher matcher, ScriptedResponse response);
  // Only requests with `method` ("GET", "PUT", ...) match.
  void Expect(std::string method, RequestMatcher matcher, ScriptedResponse response);
  void Open(const std::string& gate);
  std::vector<ReceivedRequest> requests() const;
  // Requests whose target contains `fragment`.
  size_t count(const std::string& fragment) const;
  // Ends every held stream and stops; safe to call twice.
  void Stop();

 private:
  struct Script {
    RequestMatcher matcher;
    ScriptedResponse response;
    std::string method;  // empty: any
    bool used = false;
  };

  void Accept();
  void Serve(int fd);
  bool Answer(int fd, const ScriptedResponse& r);
  void WaitForStop();

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<Script> scripts_;
  std::set<std::string> open_gates_;
  std::vector<ReceivedRequest> requests_;
  std::vector<std::thread> connections_;
  std::set<int> fds_;
};

}  // namespace portico::controlplane::testing
