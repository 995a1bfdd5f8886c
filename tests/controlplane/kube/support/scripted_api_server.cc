#include "tests/controlplane/kube/support/scripted_api_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <strings.h>

namespace portico::controlplane::testing {
namespace {

bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

std::string Chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 410: return "Gone";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    default: return "Status";
  }
}

}  // namespace

RequestMatcher ListOf(const std::string& path) {
  return [path](const std::string& target) {
    return target.starts_with(path + "?") && target.find("watch=1") == std::string::npos;
  };
}

RequestMatcher WatchOf(const std::string& path) {
  return [path](const std::string& target) {
    return target.starts_with(path + "?") && target.find("watch=1") != std::string::npos;
  };
}

RequestMatcher Target(const std::string& target) {
  return [target](const std::string& t) { return t == target; };
}

ScriptedApiServer::~ScriptedApiServer() { Stop(); }

std::string ScriptedApiServer::Start() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return std::string("scripted server: ") + std::strerror(errno);
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
  return "";
}

void ScriptedApiServer::Expect(RequestMatcher matcher, ScriptedResponse response) {
  std::lock_guard lock(mu_);
  scripts_.push_back({std::move(matcher), std::move(response)});
}

void ScriptedApiServer::Expect(std::string method, RequestMatcher matcher,
                               ScriptedResponse response) {
  std::lock_guard lock(mu_);
  scripts_.push_back({std::move(matcher), std::move(response), std::move(method)});
}

void ScriptedApiServer::Open(const std::string& gate) {
  std::lock_guard lock(mu_);
  open_gates_.insert(gate);
  cv_.notify_all();
}

std::vector<ReceivedRequest> ScriptedApiServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

size_t ScriptedApiServer::count(const std::string& fragment) const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const ReceivedRequest& r : requests_) n += r.target.find(fragment) != std::string::npos;
  return n;
}

void ScriptedApiServer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    cv_.notify_all();
  }
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  for (std::thread& t : connections_) t.join();
}

void ScriptedApiServer::Accept() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    std::lock_guard lock(mu_);
    if (fd < 0 || stopping_) {
      if (fd >= 0) ::close(fd);
      if (stopping_) return;
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fds_.insert(fd);
    connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

void ScriptedApiServer::Serve(int fd) {
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    head.append(buf, static_cast<size_t>(n));
  }
  ReceivedRequest request{.at = std::chrono::steady_clock::now()};
  size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
  if (sp1 != std::string::npos && sp2 != std::string::npos) {
    request.method = head.substr(0, sp1);
    request.target = head.substr(sp1 + 1, sp2 - sp1 - 1);
  }
  size_t content_length = 0;
  for (size_t pos = head.find("\r\n"); pos != std::string::npos;) {
    size_t end = head.find("\r\n", pos + 2);
    if (end == std::string::npos) break;
    std::string line = head.substr(pos + 2, end - pos - 2);
    if (strncasecmp(line.c_str(), "authorization: ", 15) == 0) request.authorization = line.substr(15);
    if (strncasecmp(line.c_str(), "content-type: ", 14) == 0) request.content_type = line.substr(14);
    if (strncasecmp(line.c_str(), "content-length: ", 16) == 0) {
      content_length = std::strtoul(line.c_str() + 16, nullptr, 10);
    }
    pos = end;
  }
  if (size_t end = head.find("\r\n\r\n"); end != std::string::npos) {
    request.body = head.substr(end + 4);
    while (request.body.size() < content_length) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      request.body.append(buf, static_cast<size_t>(n));
    }
  }
  ScriptedResponse response;
  bool matched = false;
  {
    std::unique_lock lock(mu_);
    requests_.push_back(request);
    for (Script& s : scripts_) {
      if (s.used || !s.matcher(request.target)) continue;
      if (!s.method.empty() && s.method != request.method) continue;
      s.used = true;
      response = s.response;
      matched = true;
      break;
    }
    if (matched && !response.gate.empty()) {
      cv_.wait(lock, [&] { return stopping_ || open_gates_.contains(response.gate); });
    }
  }
  if (matched && Answer(fd, response) && !response.hold_open) {
    ::shutdown(fd, SHUT_WR);
  } else {
    WaitForStop();
  }
  std::lock_guard lock(mu_);
  fds_.erase(fd);
  ::close(fd);
}

bool ScriptedApiServer::Answer(int fd, const ScriptedResponse& r) {
  if (r.before) r.before();
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + Reason(r.status) +
                     "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                     "Connection: close\r\n";
  for (const auto& [name, value] : r.headers) head += name + ": " + value + "\r\n";
  if (!WriteAll(fd, head + "\r\n")) return false;
  for (const std::string& part : r.parts) {
    if (!r.byte_by_byte) {
      if (!WriteAll(fd, Chunk(part))) return false;
      continue;
    }
    for (char c : part) {
      if (!WriteAll(fd, Chunk(std::string(1, c)))) return false;
      // Paces the bytes so that reads end up split; correctness never
      // depends on it.
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  if (r.hold_open) return true;
  return WriteAll(fd, "0\r\n\r\n");
}

void ScriptedApiServer::WaitForStop() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return stopping_; });
}

}  // namespace portico::controlplane::testing
