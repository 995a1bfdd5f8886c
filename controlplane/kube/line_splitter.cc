#include "controlplane/kube/line_splitter.h"

namespace portico::controlplane {
namespace {

std::string_view WithoutCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

std::string LineSplitter::Feed(std::string_view bytes, const LineCallback& on_line) {
  while (!bytes.empty()) {
    size_t newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      if (buffer_.size() + bytes.size() > max_line_) {
        return "a line exceeds " + std::to_string(max_line_) + " bytes";
      }
      buffer_.append(bytes);
      return "";
    }
    std::string_view head = bytes.substr(0, newline);
    bytes.remove_prefix(newline + 1);
    if (buffer_.size() + head.size() > max_line_) {
      return "a line exceeds " + std::to_string(max_line_) + " bytes";
    }
    if (buffer_.empty()) {
      on_line(WithoutCr(head));  // the common case: no copy
    } else {
      buffer_.append(head);
      std::string line = std::move(buffer_);
      buffer_.clear();
      on_line(WithoutCr(line));
    }
  }
  return "";
}

}  // namespace portico::controlplane
