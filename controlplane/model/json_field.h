// A position in a Kubernetes object's JSON DOM together with its path, so
// decoders can report errors as "spec.rules[1].host: must be ...". A view:
// the DOM must outlive it. No threading concerns (plain value).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rapidjson/document.h"

namespace portico::controlplane {

class JsonField {
 public:
  JsonField(const rapidjson::Value* value, std::string path)
      : value_(value), path_(std::move(path)) {}

  // An absent member and an explicit JSON null both count as absent, as in
  // the Kubernetes API.
  bool present() const { return value_ != nullptr && !value_->IsNull(); }
  const rapidjson::Value& value() const { return *value_; }
  const std::string& path() const { return path_; }

  JsonField Member(std::string_view key) const;
  JsonField Index(size_t index) const;
  // Number of items of a list (0 when absent).
  size_t size() const;

  // Each returns "" or a message naming this field. Absent fields leave *out
  // untouched unless the method says "Required".
  std::string ExpectObject() const;
  std::string ExpectList() const;
  std::string GetString(std::string* out) const;
  std::string GetRequiredString(std::string* out) const;  // also rejects ""
  std::string GetInt(int64_t* out) const;
  std::string GetBool(bool* out) const;
  // An integer in [min, max]; absent is an error.
  std::string GetRequiredIntIn(int64_t min, int64_t max, int32_t* out) const;

  std::string Error(std::string_view message) const;

 private:
  const rapidjson::Value* value_;
  std::string path_;
};

// How a JSON value is called in messages: "a string", "a list", ...
std::string_view JsonTypeName(const rapidjson::Value& value);

// Quotes text for messages, escaping quotes and control bytes, cut at 100 bytes.
std::string Quoted(std::string_view text);

}  // namespace portico::controlplane
