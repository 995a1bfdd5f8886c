// CrdReader: how every CRD decoder reads its JSON DOM. In decoding mode it
// fills typed structs, keeps the first error with the field's full path
// ("spec.routes[1].services[0].port: ...") and refuses members no reader
// asked for. In describing mode (no object at all) it records every field a
// decoder asks for, with type, enum, bounds and required flag, into a
// SchemaCatalog that the tests compare with crds/*.yaml. One decoder thus
// serves as both the parser and the statement of what it parses.
//
// Decoders call the readers unconditionally (no early returns on absent
// fields) so that describing mode sees every field; once an error is kept,
// further reads do nothing. Single-threaded; a Context outlives its readers.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/crd/schema_catalog.h"
#include "controlplane/model/json_field.h"

namespace portico::controlplane::crd {

enum class Need { kOptional, kRequired };

struct IntRange {
  std::optional<int64_t> min;
  std::optional<int64_t> max;
};

// A Service port given by number or by name (x-kubernetes-int-or-string).
struct PortRef {
  int32_t number = 0;  // 0 when given by name or not given
  std::string name;
  bool set() const { return number != 0 || !name.empty(); }
  bool operator==(const PortRef&) const = default;
};

// Durations as Traefik reads them: an integer is seconds, a string is a Go
// duration ("100ms", "1m30s") or a plain number of seconds.
using Duration = std::chrono::nanoseconds;
enum class DurationForm { kIntOrString, kString };

class CrdReader {
 public:
  // Shared by a reader and every reader created for its nested fields.
  struct Context {
    std::string error;                  // the first error; "" while none
    std::vector<std::string> warnings;  // "spec.x: deprecated, ignored" for set deprecated fields
    SchemaCatalog* catalog = nullptr;   // non-null: describing, not decoding
  };

  CrdReader(JsonField field, Context* context) : field_(std::move(field)), context_(context) {}

  bool describing() const { return context_->catalog != nullptr; }
  bool failed() const { return !context_->error.empty(); }
  const std::string& path() const { return field_.path(); }
  const JsonField& field() const { return field_; }

  void String(std::string_view name, std::string* out, Need need = Need::kOptional);
  void Bool(std::string_view name, bool* out);
  void Bool(std::string_view name, std::optional<bool>* out);
  void Int(std::string_view name, int64_t* out, IntRange range = {}, Need need = Need::kOptional);
  void Int(std::string_view name, std::optional<int64_t>* out, IntRange range = {},
           Need need = Need::kOptional);
  // One of `values`, compared exactly (or ignoring ASCII case: *out then
  // gets the spelling from `values`).
  using Values = std::span<const std::string_view>;
  void Enum(std::string_view name, Values values, std::string* out, Need need = Need::kOptional);
  void Enum(std::string_view name, std::initializer_list<std::string_view> values, std::string* out,
            Need need = Need::kOptional) {
    Enum(name, Values(values.begin(), values.size()), out, need);
  }
  void EnumAnyCase(std::string_view name, std::initializer_list<std::string_view> values,
                   std::string* out);
  // A required list must have at least one item; items must be non-empty.
  void StringList(std::string_view name, std::vector<std::string>* out,
                  Need need = Need::kOptional);
  void EnumList(std::string_view name, Values values, std::vector<std::string>* out);
  void EnumList(std::string_view name, std::initializer_list<std::string_view> values,
                std::vector<std::string>* out) {
    EnumList(name, Values(values.begin(), values.size()), out);
  }
  void StringMap(std::string_view name, std::map<std::string, std::string>* out);
  void IntMap(std::string_view name, std::map<std::string, int64_t>* out);
  void Port(std::string_view name, PortRef* out, Need need = Need::kOptional);
  void Duration(std::string_view name, std::optional<crd::Duration>* out,
                DurationForm form = DurationForm::kIntOrString);
  // An object whose content is not interpreted (x-kubernetes-preserve-unknown-fields).
  void FreeForm(std::string_view name, bool* present);
  // Accepted for compatibility and ignored: a warning names it when set.
  void Deprecated(std::string_view name, SchemaType type);

  // Calls fn(CrdReader&) for the nested object when it is present (always
  // when describing), then refuses its unknown members.
  template <typename Fn>
  void Object(std::string_view name, Fn&& fn, Need need = Need::kOptional) {
    CrdReader sub(JsonField(nullptr, ""), context_);
    if (!Enter(name, SchemaType::kObject, need, &sub)) return;
    fn(sub);
    sub.RejectUnknown();
  }
  // Same, emplacing *out first: absent stays std::nullopt.
  template <typename T, typename Fn>
  void OptionalObject(std::string_view name, std::optional<T>* out, Fn&& fn,
                      Need need = Need::kOptional) {
    Object(
        name, [&](CrdReader& sub) { fn(sub, &out->emplace()); }, need);
  }
  // A list of objects: fn(CrdReader&, T*) per item. A required list must not
  // be empty.
  template <typename T, typename Fn>
  void List(std::string_view name, std::vector<T>* out, Fn&& fn, Need need = Need::kOptional) {
    JsonField list(nullptr, "");
    if (!EnterList(name, SchemaType::kObject, need, &list)) return;
    if (describing()) {
      CrdReader item(JsonField(nullptr, list.path() + "[]"), context_);
      T ignored;
      fn(item, &ignored);
      return;
    }
    for (size_t i = 0; i < list.size() && !failed(); ++i) {
      JsonField element = list.Index(i);
      if (!element.present() || !element.value().IsObject()) {
        Fail(element, "must be an object, got " +
                          std::string(element.present() ? JsonTypeName(element.value()) : "null"));
        return;
      }
      CrdReader item(element, context_);
      T value;
      fn(item, &value);
      item.RejectUnknown();
      out->push_back(std::move(value));
    }
  }

  // Of `members` of this object, exactly one (or at most one) may be set.
  void Choice(std::initializer_list<std::string_view> members, bool exactly_one);
  bool Has(std::string_view name) const { return field_.Member(name).present(); }

  // Keeps `message` as the error of this object's member `relative` ("" for
  // the object itself; "prefixes[2]" for an item). No-op when describing.
  void Fail(std::string_view relative, std::string_view message);
  void Fail(const JsonField& at, std::string_view message);
  // Adds "<path>.<relative>: <message>" to the warnings. No-op when describing.
  void Warn(std::string_view relative, std::string_view message);
  // Fails on members of this object that no reader asked for.
  void RejectUnknown();

 private:
  // Records the field when describing; when decoding, checks it is present
  // if required and of `type`. True when the caller should read it.
  bool Check(std::string_view name, SchemaType type, Need need, JsonField* member);
  bool Enter(std::string_view name, SchemaType type, Need need, CrdReader* sub);
  bool EnterList(std::string_view name, SchemaType item_type, Need need, JsonField* list);
  void Record(SchemaField field);
  std::string Child(std::string_view name) const;

  JsonField field_;
  Context* context_;
  std::vector<std::string_view> read_;  // member names asked for (string literals)
};

// "name[3]": the relative path of a list item, for Fail().
std::string Item(std::string_view name, size_t index);

// For specs that set exactly one of several types (Middleware,
// WeightedService): reads spec.<name> as a T when present, and records the
// type's name and value in out->type and out->config.
template <typename T, typename Spec>
void ReadAlternative(CrdReader& r, std::string_view name, void (*read)(CrdReader&, T*), Spec* out) {
  r.Object(name, [&](CrdReader& sub) {
    T value;
    read(sub, &value);
    out->type = name;
    out->config = std::move(value);
  });
}

// Decodes `object`'s spec with read(spec, out); fills *warnings. Returns ""
// or the first error. `spec` itself is required.
template <typename Spec>
std::string DecodeSpec(const JsonField& object, void (*read)(CrdReader&, Spec*), Spec* out,
                       std::vector<std::string>* warnings) {
  CrdReader::Context context;
  CrdReader root(object, &context);
  root.Object(
      "spec", [&](CrdReader& spec) { read(spec, out); }, Need::kRequired);
  *warnings = std::move(context.warnings);
  return context.error;
}

// What read() asks for, as a catalog rooted at "spec".
template <typename Spec>
SchemaCatalog DescribeSpec(void (*read)(CrdReader&, Spec*)) {
  SchemaCatalog catalog;
  CrdReader::Context context{.catalog = &catalog};
  CrdReader root(JsonField(nullptr, ""), &context);
  root.Object(
      "spec",
      [&](CrdReader& spec) {
        Spec ignored;
        read(spec, &ignored);
      },
      Need::kRequired);
  return catalog;
}

}  // namespace portico::controlplane::crd
