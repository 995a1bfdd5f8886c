#include "controlplane/crd/crd_reader.h"

#include <algorithm>

#include "controlplane/crd/value_checks.h"

namespace portico::controlplane::crd {
namespace {

bool HasType(const rapidjson::Value& value, SchemaType type) {
  switch (type) {
    case SchemaType::kString:
      return value.IsString();
    case SchemaType::kInteger:
      return value.IsNumber();  // range and fraction are checked by JsonField::GetInt
    case SchemaType::kBoolean:
      return value.IsBool();
    case SchemaType::kArray:
      return value.IsArray();
    case SchemaType::kIntOrString:
      return value.IsString() || value.IsNumber();
    case SchemaType::kObject:
    case SchemaType::kStringMap:
    case SchemaType::kIntegerMap:
    case SchemaType::kFreeForm:
      return value.IsObject();
  }
  return false;
}

std::string_view Expected(SchemaType type) {
  switch (type) {
    case SchemaType::kString:
      return "must be a string";
    case SchemaType::kInteger:
      return "must be an integer";
    case SchemaType::kBoolean:
      return "must be true or false";
    case SchemaType::kArray:
      return "must be a list";
    case SchemaType::kIntOrString:
      return "expected an integer or a string";
    default:
      return "must be an object";
  }
}

std::string Joined(std::span<const std::string_view> values, std::string_view last) {
  std::string out;
  size_t i = 0;
  for (std::string_view v : values) {
    if (i > 0) out += (i + 1 == values.size()) ? std::string(" ") + std::string(last) + " " : ", ";
    out += v;
    ++i;
  }
  return out;
}

bool EqualsAnyCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string RangeError(int64_t value, const IntRange& range) {
  std::string got = ", got " + std::to_string(value);
  if (range.min && range.max) {
    return "must be between " + std::to_string(*range.min) + " and " + std::to_string(*range.max) +
           got;
  }
  if (range.min) return "must be at least " + std::to_string(*range.min) + got;
  return "must be at most " + std::to_string(*range.max) + got;
}

}  // namespace

std::string_view SchemaTypeName(SchemaType type) {
  switch (type) {
    case SchemaType::kString:
      return "string";
    case SchemaType::kInteger:
      return "integer";
    case SchemaType::kBoolean:
      return "boolean";
    case SchemaType::kObject:
      return "object";
    case SchemaType::kArray:
      return "array";
    case SchemaType::kIntOrString:
      return "int-or-string";
    case SchemaType::kStringMap:
      return "map of strings";
    case SchemaType::kIntegerMap:
      return "map of integers";
    case SchemaType::kFreeForm:
      return "free-form object";
  }
  return "?";
}

std::string Item(std::string_view name, size_t index) {
  return std::string(name) + "[" + std::to_string(index) + "]";
}

std::string CrdReader::Child(std::string_view name) const {
  return path().empty() ? std::string(name) : path() + "." + std::string(name);
}

void CrdReader::Record(SchemaField field) { context_->catalog->fields.push_back(std::move(field)); }

bool CrdReader::Check(std::string_view name, SchemaType type, Need need, JsonField* member) {
  read_.push_back(name);
  if (describing()) {
    Record({.path = Child(name), .type = type, .required = need == Need::kRequired});
    *member = JsonField(nullptr, Child(name));
    return true;
  }
  if (failed()) return false;
  *member = field_.Member(name);
  if (!member->present()) {
    if (need == Need::kRequired) Fail(*member, "required");
    return false;
  }
  if (!HasType(member->value(), type)) {
    Fail(*member,
         std::string(Expected(type)) + ", got " + std::string(JsonTypeName(member->value())));
    return false;
  }
  return true;
}

bool CrdReader::Enter(std::string_view name, SchemaType type, Need need, CrdReader* sub) {
  JsonField member(nullptr, "");
  if (!Check(name, type, need, &member)) return false;
  *sub = CrdReader(member, context_);
  return true;
}

bool CrdReader::EnterList(std::string_view name, SchemaType item_type, Need need, JsonField* list) {
  if (!Check(name, SchemaType::kArray, need, list)) return false;
  if (describing()) {
    if (item_type != SchemaType::kObject)
      Record({.path = list->path() + "[]", .type = item_type});
    else
      Record({.path = list->path() + "[]", .type = SchemaType::kObject});
    return true;
  }
  if (need == Need::kRequired && list->size() == 0) {
    Fail(*list, "must not be empty");
    return false;
  }
  return true;
}

void CrdReader::String(std::string_view name, std::string* out, Need need) {
  JsonField member(nullptr, "");
  if (!Check(name, SchemaType::kString, need, &member) || describing()) return;
  member.GetString(out);
  if (need == Need::kRequired && out->empty()) Fail(member, "must not be empty");
}

void CrdReader::Bool(std::string_view name, bool* out) {
  JsonField member(nullptr, "");
  if (!Check(name, SchemaType::kBoolean, Need::kOptional, &member) || describing()) return;
  *out = member.value().GetBool();
}

void CrdReader::Bool(std::string_view name, std::optional<bool>* out) {
  JsonField member(nullptr, "");
  if (!Check(name, SchemaType::kBoolean, Need::kOptional, &member) || describing()) return;
  *out = member.value().GetBool();
}

void CrdReader::Int(std::string_view name, std::optional<int64_t>* out, IntRange range, Need need) {
  JsonField member(nullptr, "");
  bool read = Check(name, SchemaType::kInteger, need, &member);
  if (describing()) {
    context_->catalog->fields.back().minimum = range.min;
    context_->catalog->fields.back().maximum = range.max;
    return;
  }
  if (!read) return;
  int64_t value = 0;
  if (std::string e = member.GetInt(&value); !e.empty()) {
    if (!failed()) context_->error = e;
    return;
  }
  if ((range.min && value < *range.min) || (range.max && value > *range.max)) {
    Fail(member, RangeError(value, range));
    return;
  }
  *out = value;
}

void CrdReader::Int(std::string_view name, int64_t* out, IntRange range, Need need) {
  std::optional<int64_t> value;
  Int(name, &value, range, need);
  if (value) *out = *value;
}

void CrdReader::Enum(std::string_view name, Values values, std::string* out, Need need) {
  JsonField member(nullptr, "");
  bool read = Check(name, SchemaType::kString, need, &member);
  if (describing()) {
    for (std::string_view v : values) context_->catalog->fields.back().enum_values.emplace_back(v);
    return;
  }
  if (!read) return;
  std::string value(member.value().GetString(), member.value().GetStringLength());
  if (std::find(values.begin(), values.end(), value) == values.end()) {
    Fail(member, "must be " + Joined(values, "or") + ", got " + Quoted(value));
    return;
  }
  *out = std::move(value);
}

void CrdReader::EnumAnyCase(std::string_view name, std::initializer_list<std::string_view> values,
                            std::string* out) {
  JsonField member(nullptr, "");
  bool read = Check(name, SchemaType::kString, Need::kOptional, &member);
  if (describing()) {
    SchemaField& field = context_->catalog->fields.back();
    for (std::string_view v : values) field.enum_values.emplace_back(v);
    field.enum_any_case = true;
    return;
  }
  if (!read) return;
  std::string_view value(member.value().GetString(), member.value().GetStringLength());
  for (std::string_view v : values) {
    if (EqualsAnyCase(v, value)) {
      *out = std::string(v);
      return;
    }
  }
  Fail(member, "must be " + Joined(values, "or") + " (any case), got " + Quoted(value));
}

void CrdReader::StringList(std::string_view name, std::vector<std::string>* out, Need need) {
  JsonField list(nullptr, "");
  if (!EnterList(name, SchemaType::kString, need, &list) || describing()) return;
  for (size_t i = 0; i < list.size(); ++i) {
    JsonField item = list.Index(i);
    std::string value;
    if (!item.present() || !item.value().IsString()) {
      Fail(item, "must be a string, got " +
                     std::string(item.present() ? JsonTypeName(item.value()) : "null"));
      return;
    }
    item.GetString(&value);
    if (value.empty()) {
      Fail(item, "must not be empty");
      return;
    }
    out->push_back(std::move(value));
  }
}

void CrdReader::EnumList(std::string_view name, Values values, std::vector<std::string>* out) {
  if (describing()) {
    StringList(name, out);
    for (std::string_view v : values) context_->catalog->fields.back().enum_values.emplace_back(v);
    return;
  }
  size_t first = out->size();
  StringList(name, out);
  for (size_t i = first; i < out->size() && !failed(); ++i) {
    if (std::find(values.begin(), values.end(), (*out)[i]) == values.end()) {
      Fail(Item(name, i - first), "must be " + Joined(values, "or") + ", got " + Quoted((*out)[i]));
    }
  }
}

void CrdReader::StringMap(std::string_view name, std::map<std::string, std::string>* out) {
  JsonField map(nullptr, "");
  if (!Check(name, SchemaType::kStringMap, Need::kOptional, &map) || describing()) return;
  for (const auto& member : map.value().GetObject()) {
    std::string key(member.name.GetString(), member.name.GetStringLength());
    if (!member.value.IsString()) {
      Fail(map.Member(key), "must be a string, got " + std::string(JsonTypeName(member.value)));
      return;
    }
    (*out)[key] = std::string(member.value.GetString(), member.value.GetStringLength());
  }
}

void CrdReader::IntMap(std::string_view name, std::map<std::string, int64_t>* out) {
  JsonField map(nullptr, "");
  if (!Check(name, SchemaType::kIntegerMap, Need::kOptional, &map) || describing()) return;
  for (const auto& member : map.value().GetObject()) {
    std::string key(member.name.GetString(), member.name.GetStringLength());
    int64_t value = 0;
    if (std::string e = map.Member(key).GetInt(&value); !e.empty()) {
      if (!failed()) context_->error = e;
      return;
    }
    (*out)[key] = value;
  }
}

void CrdReader::Port(std::string_view name, PortRef* out, Need need) {
  JsonField member(nullptr, "");
  if (describing()) {
    Check(name, SchemaType::kIntOrString, need, &member);
    return;
  }
  read_.push_back(name);
  if (failed()) return;
  member = field_.Member(name);
  if (!member.present()) {
    if (need == Need::kRequired) Fail(member, "required");
    return;
  }
  const rapidjson::Value& value = member.value();
  if (value.IsString()) {
    std::string text(value.GetString(), value.GetStringLength());
    if (!IsPortName(text)) {
      Fail(member,
           "must be a port name (up to 15 lowercase letters, digits and '-', with a "
           "letter) or a number, got " +
               Quoted(text));
      return;
    }
    out->name = std::move(text);
    return;
  }
  int64_t number = 0;
  if (!value.IsNumber() || !member.GetInt(&number).empty()) {
    Fail(member, "expected an integer or a port name, got " + std::string(JsonTypeName(value)));
    return;
  }
  if (number < 1 || number > 65535) {
    Fail(member, "must be between 1 and 65535, got " + std::to_string(number));
    return;
  }
  out->number = static_cast<int32_t>(number);
}

void CrdReader::Duration(std::string_view name, std::optional<crd::Duration>* out,
                         DurationForm form) {
  JsonField member(nullptr, "");
  SchemaType type = form == DurationForm::kString ? SchemaType::kString : SchemaType::kIntOrString;
  if (!Check(name, type, Need::kOptional, &member) || describing()) return;
  const rapidjson::Value& value = member.value();
  crd::Duration parsed{};
  if (value.IsString()) {
    std::string_view text(value.GetString(), value.GetStringLength());
    if (!ParseTraefikDuration(text, &parsed)) {
      Fail(member, "must be a duration such as \"100ms\", \"1m30s\" or a number of seconds, got " +
                       Quoted(text));
      return;
    }
  } else {
    int64_t seconds = 0;
    if (std::string e = member.GetInt(&seconds); !e.empty()) {
      Fail(member, "must be a whole number of seconds or a duration string");
      return;
    }
    if (seconds > kMaxDurationSeconds || seconds < -kMaxDurationSeconds) {
      Fail(member, "is out of range");
      return;
    }
    parsed = std::chrono::seconds(seconds);
  }
  *out = parsed;
}

void CrdReader::FreeForm(std::string_view name, bool* present) {
  JsonField member(nullptr, "");
  *present = Check(name, SchemaType::kFreeForm, Need::kOptional, &member) && !describing();
}

void CrdReader::Deprecated(std::string_view name, SchemaType type) {
  JsonField member(nullptr, "");
  if (!Check(name, type, Need::kOptional, &member) || describing()) return;
  context_->warnings.push_back(member.path() + ": deprecated, ignored");
}

void CrdReader::Choice(std::initializer_list<std::string_view> members, bool exactly_one) {
  if (describing()) {
    SchemaChoice choice{.path = path(), .exactly_one = exactly_one};
    for (std::string_view m : members) choice.members.emplace_back(m);
    context_->catalog->choices.push_back(std::move(choice));
    return;
  }
  if (failed() || !field_.present()) return;
  std::vector<std::string_view> set;
  for (std::string_view m : members) {
    if (field_.Member(m).present()) set.push_back(m);
  }
  if (exactly_one && set.empty()) {
    Fail("", "must set one of " + Joined(members, "or"));
  } else if (set.size() > 1) {
    Fail("", "must set only one of " + Joined(members, "or") + ", got " + std::string(set[0]) +
                 " and " + std::string(set[1]));
  }
}

void CrdReader::Fail(std::string_view relative, std::string_view message) {
  if (describing() || failed()) return;
  std::string at = path();
  if (!relative.empty()) {
    if (at.empty()) {
      at = relative;
    } else {
      at += relative[0] == '[' ? "" : ".";
      at += relative;
    }
  }
  context_->error = (at.empty() ? std::string("object") : at) + ": " + std::string(message);
}

void CrdReader::Warn(std::string_view relative, std::string_view message) {
  if (describing()) return;
  context_->warnings.push_back(field_.Member(relative).Error(message));
}

void CrdReader::Fail(const JsonField& at, std::string_view message) {
  if (describing() || failed()) return;
  context_->error = at.Error(message);
}

void CrdReader::RejectUnknown() {
  if (describing() || failed() || !field_.present() || !field_.value().IsObject()) return;
  for (const auto& member : field_.value().GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    if (std::find(read_.begin(), read_.end(), key) == read_.end()) {
      Fail(field_.Member(key), "unknown field (Portico reads only the fields of crds/)");
      return;
    }
  }
}

}  // namespace portico::controlplane::crd
