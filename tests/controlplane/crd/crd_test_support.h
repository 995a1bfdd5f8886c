// Test support for CRD decoders: builds a manifest of a kind around a spec
// written as YAML and decodes it, so tables can state input and expected
// output literally. Single-threaded.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "controlplane/model/json_field.h"
#include "rapidjson/document.h"

namespace portico::controlplane::crd::testing {

// The YAML document as JSON; fails the test when it does not parse.
rapidjson::Document ParseYaml(std::string_view yaml);

// "apiVersion: <api_version>\nkind: <kind>\nmetadata: {name: t, namespace: ns,
// generation: 7}\nspec: <spec>" — `spec` is a YAML flow or block value.
std::string Manifest(std::string_view kind, std::string_view spec,
                     std::string_view api_version = "portico.dev/v1alpha1");

// Decodes Manifest(kind, spec) into *out; returns the decoder's error.
template <typename T>
std::string DecodeSpecYaml(std::string_view kind, std::string_view spec, T* out,
                           std::string_view api_version = "portico.dev/v1alpha1") {
  rapidjson::Document json = ParseYaml(Manifest(kind, spec, api_version));
  return DecodeCrd(JsonField(&json, ""), out);
}

struct ErrorCase {
  const char* spec;
  const char* error;  // the start of the expected message
};

// Decodes each case's spec as a `kind` into a T and checks the error.
template <typename T>
void ExpectErrors(std::string_view kind, std::initializer_list<ErrorCase> cases) {
  for (const ErrorCase& c : cases) {
    T out;
    INFO(kind << " spec: " << c.spec);
    std::string error = DecodeSpecYaml(kind, c.spec, &out);
    CHECK(!error.empty());
    CHECK_THAT(error, Catch::StartsWith(c.error));
  }
}

}  // namespace portico::controlplane::crd::testing
