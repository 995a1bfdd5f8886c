#include "tests/dataplane/support/fake_backend.h"

#include <arpa/inet.h>
#include <llhttp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace portico::testing {
namespace {

void SetTimeout(int fd, int ms) {
  timeval tv{.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

bool ReadMore(int fd, std::string* buf) {
  char chunk[16384];
  ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buf->append(chunk, static_cast<size_t>(n));
  return true;
}

// Reads one request from fd (buffer carries pipelined leftovers).
bool ReadRequest(int fd, std::string* buf, ReceivedRequest* req) {
  size_t end;
  while ((end = buf->find("\r\n\r\n")) == std::string::npos) {
    if (!ReadMore(fd, buf)) return false;
  }
  req->head = buf->substr(0, end + 4);
  buf->erase(0, end + 4);
  std::string lower = req->head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (size_t cl = lower.find("\r\ncontent-length:"); cl != std::string::npos) {
    size_t len = std::stoul(lower.substr(cl + 17));
    while (buf->size() < len) {
      if (!ReadMore(fd, buf)) return false;
    }
    req->body = buf->substr(0, len);
    buf->erase(0, len);
  } else if (lower.find("transfer-encoding: chunked") != std::string::npos) {
    for (;;) {
      size_t eol;
      while ((eol = buf->find("\r\n")) == std::string::npos) {
        if (!ReadMore(fd, buf)) return false;
      }
      size_t size = std::stoul(buf->substr(0, eol), nullptr, 16);
      if (size == 0) {
        size_t stop;  // the empty line that ends the trailers
        while ((stop = buf->find("\r\n\r\n", eol)) == std::string::npos) {
          if (!ReadMore(fd, buf)) return false;
        }
        req->trailers = buf->substr(eol + 2, stop - eol);  // "" without trailers
        buf->erase(0, stop + 4);
        break;
      }
      while (buf->size() < eol + 2 + size + 2) {
        if (!ReadMore(fd, buf)) return false;
      }
      req->body.append(*buf, eol + 2, size);
      buf->erase(0, eol + 2 + size + 2);
    }
  }
  return true;
}

}  // namespace

FakeBackend::FakeBackend(const std::string& ip, Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listen_fd_, 64);
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FakeBackend::~FakeBackend() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  acceptor_.join();
  {
    std::lock_guard lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (std::thread& t : servers_) t.join();
}

void FakeBackend::AcceptLoop() {
  while (!stop_) {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    connections_++;
    std::lock_guard lock(mu_);
    fds_.push_back(fd);
    servers_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FakeBackend::Serve(int fd) {
  SetTimeout(fd, 5000);
  std::string buf;
  ReceivedRequest req;
  while (!stop_ && ReadRequest(fd, &buf, &req)) {
    {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
    }
    std::string response = handler_(req);
    if (response.empty()) break;
    if (::send(fd, response.data(), response.size(), MSG_NOSIGNAL) < 0) break;
    if (response.starts_with("HTTP/1.1 101")) {
      // Switched protocols: echo every read back with a prefix, until EOF.
      std::string data;
      data.swap(buf);
      while (!stop_ && (!data.empty() || ReadMore(fd, &data))) {
        std::string echo = "echo:" + data;
        data.clear();
        if (::send(fd, echo.data(), echo.size(), MSG_NOSIGNAL) < 0) break;
      }
      break;
    }
    if (response.find("\r\nConnection: close\r\n") != std::string::npos) break;
    req = ReceivedRequest{};
  }
  ::close(fd);
}

std::vector<ReceivedRequest> FakeBackend::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::string ParsedResponse::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

std::string OkResponse(const std::string& body, const std::string& extra_headers) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra_headers + "\r\n" + body;
}

TestClient::TestClient(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  SetTimeout(fd_, 5000);
}

TestClient::~TestClient() {
  if (fd_ >= 0) ::close(fd_);
}

void TestClient::Send(const std::string& bytes) {
  ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

namespace {
struct ParseState {
  std::vector<ParsedResponse>* out;
  ParsedResponse current;
  std::string field;
  bool in_value = false;
  bool value_done = true;
};
// A name or value may come in pieces; a field starts after a value ended.
int OnField(llhttp_t* p, const char* at, size_t len) {
  auto* s = static_cast<ParseState*>(p->data);
  if (s->value_done) {
    s->field.clear();
    s->value_done = false;
  }
  s->field.append(at, len);
  return 0;
}
int OnValue(llhttp_t* p, const char* at, size_t len) {
  auto* s = static_cast<ParseState*>(p->data);
  if (!s->in_value) s->current.headers.emplace_back(s->field, "");
  s->in_value = true;
  s->current.headers.back().second.append(at, len);
  return 0;
}
int OnFieldDone(llhttp_t* p) {
  auto* s = static_cast<ParseState*>(p->data);
  s->in_value = false;
  s->value_done = true;
  return 0;
}
int OnBody(llhttp_t* p, const char* at, size_t len) {
  static_cast<ParseState*>(p->data)->current.body.append(at, len);
  return 0;
}
int OnComplete(llhttp_t* p) {
  auto* s = static_cast<ParseState*>(p->data);
  s->current.status = p->status_code;
  s->current.keep_alive = llhttp_should_keep_alive(p);
  s->out->push_back(std::move(s->current));
  s->current = ParsedResponse{};
  s->field.clear();
  s->in_value = false;
  s->value_done = true;
  return 0;
}
}  // namespace

std::vector<ParsedResponse> TestClient::Read(size_t count, bool head_request) {
  std::vector<ParsedResponse> out;
  ParseState state{.out = &out};
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_header_field = &OnField;
  settings.on_header_value = &OnValue;
  settings.on_header_value_complete = &OnFieldDone;
  settings.on_body = &OnBody;
  settings.on_message_complete = &OnComplete;
  if (head_request) settings.on_headers_complete = [](llhttp_t*) { return 1; };
  llhttp_t parser;
  llhttp_init(&parser, HTTP_RESPONSE, &settings);
  parser.data = &state;
  std::string data;
  data.swap(leftover_);
  for (;;) {
    if (!data.empty()) {
      llhttp_errno_t err = llhttp_execute(&parser, data.data(), data.size());
      if (err != HPE_OK) break;
      data.clear();
    }
    if (out.size() >= count) break;
    if (!ReadMore(fd_, &data)) {
      llhttp_finish(&parser);
      break;
    }
  }
  return out;
}

void TestClient::ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

std::string TestClient::ReadBytes(size_t count) {
  std::string data;
  data.swap(leftover_);
  while (data.size() < count && ReadMore(fd_, &data)) {
  }
  return data;
}

bool TestClient::ClosedByPeer() {
  char c;
  ssize_t n = ::recv(fd_, &c, 1, 0);
  return n == 0;
}

}  // namespace portico::testing
