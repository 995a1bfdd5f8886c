// Test support: a temporary directory (mkdtemp) removed with everything in it
// when the object dies, plus small file helpers. Single-threaded.
#pragma once

#include <string>

namespace portico::controlplane::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to path()/relative, creating parent directories.
  void Write(const std::string& relative, const std::string& content) const;

 private:
  std::string path_;
};

}  // namespace portico::controlplane::testing
