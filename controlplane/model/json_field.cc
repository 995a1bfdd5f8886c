#include "controlplane/model/json_field.h"

#include <cmath>
#include <cstdio>

namespace portico::controlplane {

std::string_view JsonTypeName(const rapidjson::Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "a list";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return value.IsInt64() || value.IsUint64() ? "an integer" : "a number";
  }
  return "a value";
}

std::string Quoted(std::string_view text) {
  constexpr size_t kMax = 100;
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMax) out += "...";
  return out + "\"";
}

JsonField JsonField::Member(std::string_view key) const {
  std::string path = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  if (!present() || !value_->IsObject()) return JsonField(nullptr, std::move(path));
  auto it = value_->FindMember(rapidjson::StringRef(key.data(), key.size()));
  return JsonField(it == value_->MemberEnd() ? nullptr : &it->value, std::move(path));
}

JsonField JsonField::Index(size_t index) const {
  std::string path = path_ + "[" + std::to_string(index) + "]";
  if (!present() || !value_->IsArray() || index >= value_->Size()) {
    return JsonField(nullptr, std::move(path));
  }
  return JsonField(&(*value_)[static_cast<rapidjson::SizeType>(index)], std::move(path));
}

size_t JsonField::size() const { return present() && value_->IsArray() ? value_->Size() : 0; }

std::string JsonField::Error(std::string_view message) const {
  return (path_.empty() ? std::string("object") : path_) + ": " + std::string(message);
}

std::string JsonField::ExpectObject() const {
  if (!present() || value_->IsObject()) return "";
  return Error("must be an object, got " + std::string(JsonTypeName(*value_)));
}

std::string JsonField::ExpectList() const {
  if (!present() || value_->IsArray()) return "";
  return Error("must be a list, got " + std::string(JsonTypeName(*value_)));
}

std::string JsonField::GetString(std::string* out) const {
  if (!present()) return "";
  if (!value_->IsString()) {
    return Error("must be a string, got " + std::string(JsonTypeName(*value_)));
  }
  out->assign(value_->GetString(), value_->GetStringLength());
  return "";
}

std::string JsonField::GetRequiredString(std::string* out) const {
  if (!present()) return Error("required");
  if (std::string e = GetString(out); !e.empty()) return e;
  return out->empty() ? Error("must not be empty") : "";
}

std::string JsonField::GetInt(int64_t* out) const {
  if (!present()) return "";
  if (value_->IsInt64()) {
    *out = value_->GetInt64();
    return "";
  }
  if (value_->IsUint64()) return Error("is out of range");
  // YAML "8.0" is a float, yet the API server (Go) would accept it as 8.
  if (value_->IsDouble()) {
    double d = value_->GetDouble();
    if (std::trunc(d) == d && std::fabs(d) < 9.0e15) {
      *out = static_cast<int64_t>(d);
      return "";
    }
  }
  return Error("must be an integer, got " + std::string(JsonTypeName(*value_)));
}

std::string JsonField::GetBool(bool* out) const {
  if (!present()) return "";
  if (!value_->IsBool()) {
    return Error("must be true or false, got " + std::string(JsonTypeName(*value_)));
  }
  *out = value_->GetBool();
  return "";
}

std::string JsonField::GetRequiredIntIn(int64_t min, int64_t max, int32_t* out) const {
  if (!present()) return Error("required");
  int64_t v = 0;
  if (std::string e = GetInt(&v); !e.empty()) return e;
  if (v < min || v > max) {
    return Error("must be between " + std::to_string(min) + " and " + std::to_string(max) +
                 ", got " + std::to_string(v));
  }
  *out = static_cast<int32_t>(v);
  return "";
}

}  // namespace portico::controlplane
