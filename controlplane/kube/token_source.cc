#include "controlplane/kube/token_source.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace portico::controlplane {

std::string TokenSource::Get(std::string* error) {
  if (!options_.token.empty() || options_.token_file.empty()) return options_.token;
  std::lock_guard lock(mu_);
  auto now = options_.now();
  if (fresh_ && now - read_at_ < options_.max_age) return token_;
  std::ifstream in(options_.token_file, std::ios::binary);
  if (!in) {
    if (error) *error = "token file " + options_.token_file + ": " + std::strerror(errno);
    return token_;
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && std::strchr(" \t\r\n", token.back()) != nullptr) token.pop_back();
  if (token.empty()) {
    if (error) *error = "token file " + options_.token_file + " is empty";
    return token_;
  }
  token_ = std::move(token);
  fresh_ = true;
  read_at_ = now;
  reads_++;
  return token_;
}

bool TokenSource::Invalidate() {
  std::lock_guard lock(mu_);
  fresh_ = false;
  return options_.token.empty() && !options_.token_file.empty();
}

uint64_t TokenSource::reads() const {
  std::lock_guard lock(mu_);
  return reads_;
}

}  // namespace portico::controlplane
