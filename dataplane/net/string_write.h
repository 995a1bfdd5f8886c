// Writes an owned string to a libuv stream: the bytes live until the write
// completes, then the callback gets `owner` back.
#pragma once

#include <uv.h>

#include <string>
#include <string_view>

namespace portico::dataplane {

struct StringWrite {
  uv_write_t req;
  std::string data;
};

// Writes what the socket takes at once with uv_try_write (one write(2), no
// allocation, no callback: libuv's uv_write would also re-arm the epoll
// watcher once per write) and queues only the rest with uv_write.
// Returns 0 when everything was written, 1 when some bytes were queued (the
// callback runs later), or libuv's error (nothing queued, no callback).
inline int WriteString(uv_stream_t* stream, std::string data, void* owner, uv_write_cb cb) {
  uv_buf_t buf = uv_buf_init(data.data(), static_cast<unsigned>(data.size()));
  int written = uv_try_write(stream, &buf, 1);
  if (written == static_cast<int>(data.size())) return 0;
  if (written < 0 && written != UV_EAGAIN) return written;
  size_t done = written > 0 ? static_cast<size_t>(written) : 0;
  auto* w = new StringWrite{.req = {}, .data = std::move(data)};
  w->req.data = owner;
  uv_buf_t rest =
      uv_buf_init(w->data.data() + done, static_cast<unsigned>(w->data.size() - done));
  int rc = uv_write(&w->req, stream, &rest, 1, cb);
  if (rc != 0) {
    delete w;
    return rc;
  }
  return 1;
}

// The same for bytes the caller keeps: what the socket does not take at once
// is copied into the queued write.
inline int WriteBytes(uv_stream_t* stream, std::string_view data, void* owner, uv_write_cb cb) {
  uv_buf_t buf = uv_buf_init(const_cast<char*>(data.data()), static_cast<unsigned>(data.size()));
  int written = uv_try_write(stream, &buf, 1);
  if (written == static_cast<int>(data.size())) return 0;
  if (written < 0 && written != UV_EAGAIN) return written;
  size_t done = written > 0 ? static_cast<size_t>(written) : 0;
  return WriteString(stream, std::string(data.substr(done)), owner, cb) < 0 ? -1 : 1;
}

// Two pieces in one writev (a gathered head and a large body chunk): only
// what the socket does not take at once is copied.
inline int WriteTwo(uv_stream_t* stream, std::string_view first, std::string_view second,
                    void* owner, uv_write_cb cb) {
  uv_buf_t bufs[2] = {
      uv_buf_init(const_cast<char*>(first.data()), static_cast<unsigned>(first.size())),
      uv_buf_init(const_cast<char*>(second.data()), static_cast<unsigned>(second.size()))};
  size_t total = first.size() + second.size();
  int written = uv_try_write(stream, bufs, 2);
  if (written == static_cast<int>(total)) return 0;
  if (written < 0 && written != UV_EAGAIN) return written;
  size_t done = written > 0 ? static_cast<size_t>(written) : 0;
  std::string rest;
  rest.reserve(total - done);
  if (done < first.size()) {
    rest.append(first.substr(done)).append(second);
  } else {
    rest.append(second.substr(done - first.size()));
  }
  return WriteString(stream, std::move(rest), owner, cb) < 0 ? -1 : 1;
}

// In the write callback: frees the write and returns its owner.
template <typename Owner>
Owner* FinishStringWrite(uv_write_t* req) {
  auto* owner = static_cast<Owner*>(req->data);
  delete reinterpret_cast<StringWrite*>(req);
  return owner;
}

}  // namespace portico::dataplane
