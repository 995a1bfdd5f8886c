#include "dataplane/http/head_scanner.h"

#include <cstring>

namespace portico::dataplane {

const char* HeadScanner::StartLineSegment(const char* begin, const char* end) {
  if (previous_ == '\r' && begin != end && *begin != '\n') return "bare CR in the start line";
  const char* cr = static_cast<const char*>(std::memchr(begin, '\r', static_cast<size_t>(end - begin)));
  if (cr != nullptr && cr != end - 1) return "bare CR in the start line";
  if (kind_ != Kind::kRequest) return nullptr;
  if (std::memchr(begin, '\t', static_cast<size_t>(end - begin)) != nullptr) {
    return "tab in the request line";
  }
  for (const char* p = begin;
       (p = static_cast<const char*>(std::memchr(p, ' ', static_cast<size_t>(end - p))));
       ++p) {
    char before = p > begin ? p[-1] : previous_;
    if ((p == begin && start_line_bytes_ == 0) || before == ' ') {
      return "extra space in the request line";
    }
  }
  return nullptr;
}

const char* HeadScanner::Feed(const char* data, size_t len) {
  size_t i = 0;
  while (i < len) {
    switch (state_) {
      case State::kDone:
        return nullptr;
      case State::kStartLine: {
        const char* begin = data + i;
        const char* lf = static_cast<const char*>(std::memchr(begin, '\n', len - i));
        const char* end = lf != nullptr ? lf : data + len;
        if (const char* err = StartLineSegment(begin, end)) return err;
        if (lf == nullptr) {
          start_line_bytes_ += len - i;
          previous_ = data[len - 1];
          return nullptr;
        }
        char before = lf > begin ? lf[-1] : previous_;
        if (before != '\r') return "bare LF in the start line";
        i = static_cast<size_t>(lf - data) + 1;
        if (start_line_bytes_ + static_cast<size_t>(lf - begin) == 1) {
          // An empty line before the request line (RFC 9112 2.2): ignored.
          start_line_bytes_ = 0;
          previous_ = 0;
          break;
        }
        state_ = State::kLineStart;
        break;
      }
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
