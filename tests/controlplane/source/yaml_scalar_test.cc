#include "controlplane/source/yaml_scalar.h"

#include <catch2/catch.hpp>

namespace portico::controlplane {
namespace {

using Type = YamlScalar::Type;

TEST_CASE("plain null and bool scalars follow YAML 1.1", "[yaml_scalar]") {
  for (const char* text : {"", "~", "null", "Null", "NULL"}) {
    INFO(text);
    CHECK(ResolvePlainScalar(text).type == Type::kNull);
  }
  for (const char* text :
       {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}) {
    INFO(text);
    YamlScalar s = ResolvePlainScalar(text);
    CHECK(s.type == Type::kBool);
    CHECK(s.boolean);
  }
  for (const char* text :
       {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}) {
    INFO(text);
    YamlScalar s = ResolvePlainScalar(text);
    CHECK(s.type == Type::kBool);
    CHECK_FALSE(s.boolean);
  }
  // Mixed case is not in YAML 1.1's list: a string.
  CHECK(ResolvePlainScalar("yEs").type == Type::kString);
  CHECK(ResolvePlainScalar("nULL").type == Type::kString);
}

TEST_CASE("plain integers: decimal, hex, octal, binary, underscores", "[yaml_scalar]") {
  struct Case {
    const char* text;
    int64_t value;
  };
  for (Case c : {Case{"0", 0}, Case{"80", 80}, Case{"-17", -17}, Case{"+5", 5}, Case{"0x1F", 31},
                 Case{"0o17", 15}, Case{"017", 15}, Case{"0b101", 5}, Case{"1_000", 1000},
                 Case{"-0x10", -16}, Case{"-9223372036854775808", INT64_MIN}}) {
    INFO(c.text);
    YamlScalar s = ResolvePlainScalar(c.text);
    REQUIRE(s.type == Type::kInt);
    CHECK(s.int_value == c.value);
  }
  YamlScalar big = ResolvePlainScalar("18446744073709551615");
  REQUIRE(big.type == Type::kUint);
  CHECK(big.uint_value == UINT64_MAX);
}

TEST_CASE("plain floats and what is left a string", "[yaml_scalar]") {
  struct Case {
    const char* text;
    double value;
  };
  for (Case c : {Case{"1.5", 1.5}, Case{"-.5", -0.5}, Case{"1e3", 1000.0}, Case{"2.", 2.0},
                 Case{"08", 8.0}, Case{"6.02E+2", 602.0}}) {
    INFO(c.text);
    YamlScalar s = ResolvePlainScalar(c.text);
    REQUIRE(s.type == Type::kFloat);
    CHECK(s.float_value == c.value);
  }
  for (const char* text : {"1.2.3", "0x", "12abc", "v1", "1:20", "2024-01-02", "-", "+", "."}) {
    INFO(text);
    CHECK(ResolvePlainScalar(text).type == Type::kString);
  }
  YamlScalar inf = ResolvePlainScalar(".inf");
  CHECK(inf.type == Type::kInvalid);
  CHECK(inf.error == "value .inf has no JSON representation");
  CHECK(ResolvePlainScalar("1e999").error == "number 1e999 is out of range");
}

TEST_CASE("tagged scalars", "[yaml_scalar]") {
  CHECK(ResolveTaggedScalar("!", "true").type == Type::kString);
  CHECK(ResolveTaggedScalar("tag:yaml.org,2002:str", "80").type == Type::kString);
  CHECK(ResolveTaggedScalar("!custom", "80").type == Type::kString);
  CHECK(ResolveTaggedScalar("tag:yaml.org,2002:int", "0x10").int_value == 16);
  CHECK(ResolveTaggedScalar("tag:yaml.org,2002:bool", "off").type == Type::kBool);
  CHECK(ResolveTaggedScalar("tag:yaml.org,2002:null", "~").type == Type::kNull);
  YamlScalar bad = ResolveTaggedScalar("tag:yaml.org,2002:int", "eighty");
  CHECK(bad.type == Type::kInvalid);
  CHECK(bad.error == "cannot decode \"eighty\" as !!int");
}

}  // namespace
}  // namespace portico::controlplane
