// HeaderCollector: turns llhttp's header callbacks, which may deliver a name
// or a value in several pieces (one per read), into whole HeaderFields. The
// same glue serves request heads, response heads and chunked trailers.
#pragma once

#include <cstddef>
#include <vector>

#include "dataplane/http/message.h"

namespace portico::dataplane {

class HeaderCollector {
 public:
  // The fields that the next callbacks append to (head or trailers).
  void Target(HeaderList* fields) {
    fields_ = fields;
    value_done_ = true;
  }
  void Field(const char* at, size_t len) {
    if (value_done_) {
      fields_->emplace_back();
      value_done_ = false;
    }
    fields_->back().name.append(at, len);
  }
  void Value(const char* at, size_t len) { fields_->back().value.append(at, len); }
  void ValueComplete() { value_done_ = true; }

 private:
  HeaderList* fields_ = nullptr;
  bool value_done_ = true;
};

}  // namespace portico::dataplane
