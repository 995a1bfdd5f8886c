// HeadScanner: a byte-level check of a message head that runs before llhttp
// and refuses what llhttp 8 tolerates but a proxy must not forward, because
// a server behind it may read the same bytes differently:
//   - obsolete line folding (a header line that starts with SP or HTAB),
//   - bare LF as a line end, a bare CR where a line or the head should end
//     (a CR inside a header line is left to llhttp, which refuses it),
//   - in a request line, anything but single spaces between the three parts.
// It stops at the empty line that ends the head and ignores what follows
// (body, pipelined requests) until Reset(). Plain state machine, no
// allocation; the state carries over reads that split the head anywhere.
#pragma once

#include <cstddef>

namespace portico::dataplane {

class HeadScanner {
 public:
  enum class Kind { kRequest, kResponse };
  explicit HeadScanner(Kind kind) : kind_(kind) {}

  // Scans the next bytes of the stream. Returns null, or why the head is
  // refused (a static string).
  const char* Feed(const char* data, size_t len);
  // Starts over at the first byte of the next message.
  void Reset() { state_ = State::kStartLine, start_line_bytes_ = 0, previous_ = 0; }
  bool head_done() const { return state_ == State::kDone; }

 private:
  enum class State { kStartLine, kLineStart, kHeaderLine, kEmptyLineCr, kDone };
  // Checks the start line's bytes in [begin, end), which holds no LF.
  const char* StartLineSegment(const char* begin, const char* end);

  Kind kind_;
  State state_ = State::kStartLine;
  size_t start_line_bytes_ = 0;  // bytes of the start line so far
  char previous_ = 0;            // last byte of the current line seen so far
};

}  // namespace portico::dataplane
