// UTF-8 decoding and validation for rule text and values: protobuf string
// fields must be valid UTF-8, and error columns count code points.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace portico::controlplane::rules {

// Length of the well-formed UTF-8 sequence at the start of `s` (1-4) with
// its code point in *cp; 0 when it is malformed (or `s` is empty).
size_t DecodeUtf8(std::string_view s, uint32_t* cp);

bool ValidUtf8(std::string_view s);

// Appends `cp` as UTF-8; false for surrogates and values above U+10FFFF.
bool AppendUtf8(uint32_t cp, std::string* out);

}  // namespace portico::controlplane::rules
