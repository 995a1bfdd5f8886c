#include "controlplane/model/secret.h"

#include <array>

#include "absl/strings/escaping.h"

namespace portico::controlplane {
namespace {

constexpr std::array<std::string_view, 4> kKeptKeys = {"tls.crt", "tls.key", "ca.crt", "tls.ca"};

bool Kept(std::string_view key) {
  for (std::string_view kept : kKeptKeys) {
    if (key == kept) return true;
  }
  return false;
}

// `data` (base64) or `stringData` (plain); on the API server stringData is
// merged over data, so it wins here too.
std::string DecodeValues(const JsonField& map, bool base64, Secret* out) {
  if (!map.present()) return "";
  if (std::string e = map.ExpectObject(); !e.empty()) return e;
  for (const auto& member : map.value().GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    if (!Kept(key)) continue;
    JsonField field = map.Member(key);
    std::string text;
    if (!member.value.IsString()) return field.Error("must be a string");
    if (std::string e = field.GetString(&text); !e.empty()) return e;
    if (!base64) {
      out->data[std::string(key)] = std::move(text);
      continue;
    }
    std::string decoded;
    if (text.size() % 4 != 0 || !absl::Base64Unescape(text, &decoded)) {
      return field.Error("not valid base64");
    }
    out->data.try_emplace(std::string(key), std::move(decoded));
  }
  return "";
}

}  // namespace

std::string DecodeSecret(const JsonField& object, Secret* out) {
  if (std::string e = object.Member("type").GetString(&out->type); !e.empty()) return e;
  if (out->type.empty()) out->type = "Opaque";
  if (std::string e = DecodeValues(object.Member("stringData"), false, out); !e.empty()) return e;
  return DecodeValues(object.Member("data"), true, out);
}

}  // namespace portico::controlplane
