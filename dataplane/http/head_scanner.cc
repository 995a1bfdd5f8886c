#include "dataplane/http/head_scanner.h"

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
  for (size_t i = 0; i < len; ++i) {
    char c = data[i];
    switch (state_) {
      case State::kDone:
        return nullptr;
      case State::kStartLine: {
        ++start_line_bytes_;
        if (const char* err = StartLineByte(c)) return err;
        break;
      }
      case State::kLineStart:
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
      case State::kEmptyLineCr:
        if (c != '\n') return "bare CR in the head";
        state_ = State::kDone;
        return nullptr;
      case State::kHeaderLine:
        if (c == '\n') {
          if (previous_ != '\r') return "bare LF in a header line";
          state_ = State::kLineStart;
        } else if (previous_ == '\r') {
          return "bare CR in a header line";
        }
        previous_ = c;
        break;
    }
  }
  return nullptr;
}

}  // namespace portico::dataplane
