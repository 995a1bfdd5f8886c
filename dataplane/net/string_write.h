// Writes an owned string to a libuv stream: the bytes live until the write
// completes, then the callback gets `owner` back. One heap block per write.
#pragma once

#include <uv.h>

#include <string>

namespace portico::dataplane {

struct StringWrite {
  uv_write_t req;
  std::string data;
};

// Returns libuv's error; on error nothing was queued and `cb` never runs.
inline int WriteString(uv_stream_t* stream, std::string data, void* owner, uv_write_cb cb) {
  auto* w = new StringWrite{.req = {}, .data = std::move(data)};
  w->req.data = owner;
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  int rc = uv_write(&w->req, stream, &buf, 1, cb);
  if (rc != 0) delete w;
  return rc;
}

// In the write callback: frees the write and returns its owner.
template <typename Owner>
Owner* FinishStringWrite(uv_write_t* req) {
  auto* owner = static_cast<Owner*>(req->data);
  delete reinterpret_cast<StringWrite*>(req);
  return owner;
}

}  // namespace portico::dataplane
