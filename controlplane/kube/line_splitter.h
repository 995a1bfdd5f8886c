// LineSplitter: turns a byte stream cut at arbitrary points (network reads)
// into whole newline-terminated lines, as a Kubernetes watch body needs: one
// JSON event per line, with reads that split events anywhere, even inside a
// UTF-8 sequence. A line longer than `max_line` is an error, so a broken or
// hostile server cannot make the buffer grow without bound. Not thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace portico::controlplane {

class LineSplitter {
 public:
  // Called per complete line, without its "\n" (nor a "\r" before it).
  using LineCallback = std::function<void(std::string_view line)>;

  explicit LineSplitter(size_t max_line) : max_line_(max_line) {}

  // Feeds bytes; calls `on_line` for every line they complete. Returns ""
  // or an error (the line limit); after an error, Reset before reuse.
  std::string Feed(std::string_view bytes, const LineCallback& on_line);
  // Bytes of an unfinished line held back.
  size_t pending() const { return buffer_.size(); }
  void Reset() { buffer_.clear(); }

 private:
  size_t max_line_;
  std::string buffer_;
};

}  // namespace portico::controlplane
