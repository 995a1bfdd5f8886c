#include "dataplane/http/head_scanner.h"

#include <cstring>

namespace portico::dataplane {

const char* HeadScanner::StartLineByte(char c) {
  if (c == '\n') {
    if (previous_ != '\r') return "bare LF in the start line";
    if (start_line_bytes_ == 1) {
      // An empty line before the request line (RFC 9112 2.2): ignored.
      start_line_bytes_ = 0;
      previous_ = 0;
      return nullptr;
    }
    state_ = State::kLineStart;
    previous_ = 0;
    return nullptr;
  }
  if (previous_ == '\r') return "bare CR in the start line";
  if (kind_ == Kind::kRequest && (c == ' ' || c == '\t')) {
    if (c == '\t') return "tab in the request line";
    if (start_line_bytes_ == 1 || previous_ == ' ') return "extra space in the request line";
  }
  previous_ = c;
  return nullptr;
}

const char* HeadScanner::Feed(const char* data, size_t len) {
  size_t i = 0;
  while (i < len) {
    switch (state_) {
      case State::kDone:
        return nullptr;
      case State::kStartLine:
        ++start_line_bytes_;
        if (const char* err = StartLineByte(data[i++])) return err;
        break;
      case State::kLineStart: {
        char c = data[i++];
        if (c == ' ' || c == '\t') return "obsolete line folding in a header";
        if (c == '\r') {
          state_ = State::kEmptyLineCr;
        } else if (c == '\n') {
          return "bare LF ends the head";
        } else {
          state_ = State::kHeaderLine;
          previous_ = c;
        }
        break;
      }
      case State::kEmptyLineCr:
        if (data[i] != '\n') return "bare CR in the head";
        state_ = State::kDone;
        return nullptr;
      case State::kHeaderLine: {
        // Whole lines at memchr speed; a CR inside a line is llhttp's to refuse.
        const char* begin = data + i;
        const char* lf = static_cast<const char*>(std::memchr(begin, '\n', len - i));
        if (lf == nullptr) {
          previous_ = data[len - 1];
          return nullptr;
        }
        char before = lf > begin ? lf[-1] : previous_;
        if (before != '\r') return "bare LF in a header line";
        i = static_cast<size_t>(lf - data) + 1;
        state_ = State::kLineStart;
        break;
      }
    }
  }
  return nullptr;
}

}  // namespace portico::dataplane
