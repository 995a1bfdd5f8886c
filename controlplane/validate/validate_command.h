// `portico-controller validate [FLAGS] PATH...`: reads manifests (files,
// folders, "-" for stdin), compiles them exactly as the controller would
// with the same compile flags, and prints one line per object: ok, or each
// error with its file and field. Exit status 0 when everything is ok, 1 on
// any error, 2 on a usage error. Meant for CI on a GitOps repository.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace portico::controlplane {

extern const char kValidateUsage[];

// `args` follow the word "validate". Writes the report to `out`, usage
// errors to `err`; returns the exit status.
int RunValidate(const std::vector<std::string>& args, std::FILE* in, std::FILE* out,
                std::FILE* err);

}  // namespace portico::controlplane
