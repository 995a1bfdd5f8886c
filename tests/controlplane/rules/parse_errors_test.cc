// Every way a rule is refused, with the column and message it gets.
#include <catch2/catch.hpp>

#include "tests/controlplane/rules/rule_expectations.h"

namespace portico::controlplane::rules {
namespace {

struct Case {
  const char* rule;
  const char* error;
};

void CheckAll(const std::vector<Case>& cases, RuleKind kind) {
  for (const Case& c : cases) {
    INFO(c.rule);
    CHECK(ErrorOf(c.rule, kind) == c.error);
  }
}

TEST_CASE("syntax errors name the column and what was expected", "[rules]") {
  CheckAll(
      {
          {"", "column 1: empty rule"},
          {"   ", "column 1: empty rule"},
          {"Host(`a`) &&", "column 13: expected a matcher, '!' or '(', got the end of the rule"},
          {"&& Host(`a`)", "column 1: expected a matcher, '!' or '(', got '&&'"},
          {"Host(`a`) & Path(`/`)", "column 11: expected '&&', got a single '&'"},
          {"Host(`a`) | Path(`/`)", "column 11: expected '||', got a single '|'"},
          {"Host(`a`) Path(`/`)",
           "column 11: expected '&&', '||' or the end of the rule, got 'Path'"},
          {"Host(`a`))", "column 10: ')' without a matching '('"},
          {"(Host(`a`)",
           "column 11: expected '&&', '||' or ')' closing the '(' at column 1, "
           "got the end of the rule"},
          {"Host(`a`) && (Path(`/`) || Method(`GET`) Header(`a`,`b`))",
           "column 42: expected '&&', '||' or ')' closing the '(' at column 14, got 'Header'"},
          {"()", "column 2: expected a matcher, '!' or '(', got ')'"},
          {"Host `a`", "column 6: expected '(' after Host, got a string"},
          {"Host", "column 5: expected '(' after Host, got the end of the rule"},
          {"PathPrefix(`/a` `/b`)",
           "column 17: expected ')' after the arguments of PathPrefix, got a string"},
          {"PathPrefix(`/a`",
           "column 16: expected ')' after the arguments of PathPrefix, "
           "got the end of the rule"},
          {"Header(`a` `b`)",
           "column 12: expected ',' or ')' after the arguments of Header, "
           "got a string"},
          {"Host(`a`,)",
           "column 10: expected a string argument of Host in `backticks` or "
           "\"double quotes\", got ')'"},
          {"Host(a)",
           "column 6: expected a string argument of Host in `backticks` or "
           "\"double quotes\", got 'a'"},
          {"Host(`a`) && `b`", "column 14: expected a matcher, '!' or '(', got a string"},
          {"Host(`a`) # comment", "column 11: unexpected character '#'"},
          {"Host(`a`) \xC3\xA9", "column 11: unexpected character U+00E9"},
          {"Host(`a`)\x01", "column 10: unexpected character U+0001"},
          {"Path(`/\xff`)", "column 8: invalid UTF-8"},
      },
      RuleKind::kHttp);
}

TEST_CASE("string literal errors", "[rules]") {
  CheckAll(
      {
          {"Host('a')",
           "column 6: single-quoted strings are not allowed; use `backticks` or "
           "\"double quotes\""},
          {"Host(`a)", "column 6: unterminated string: the backtick opened here is never closed"},
          {"Host(\"a)",
           "column 6: unterminated string: the '\"' opened here is never closed on "
           "its line"},
          {"Host(\"a\n\")",
           "column 6: unterminated string: the '\"' opened here is never "
           "closed on its line"},
          {"Host(\"a\\", "column 8: unterminated string: '\\' at the end of the rule"},
          {R"(PathRegexp("\d+"))",
           "column 13: invalid escape '\\d' in a double-quoted string "
           "(use `backticks` for regular expressions)"},
          {R"(Path("\'"))",
           "column 7: invalid escape '\\'' in a double-quoted string "
           "(use `backticks` for regular expressions)"},
          {R"(Path("/\xZZ"))", "column 8: escape '\\x' needs 2 hex digits"},
          {R"(Path("/\u12"))", "column 8: escape '\\u' needs 4 hex digits"},
          {R"(Path("/\9"))",
           "column 8: invalid escape '\\9' in a double-quoted string "
           "(use `backticks` for regular expressions)"},
          {R"(Path("/\400"))", "column 8: octal escape is above \\377"},
          {R"(Path("/\18"))", "column 8: escape '\\1' needs 3 octal digits"},
          {R"(Path("/\uD800"))", "column 8: escape is not a valid Unicode code point"},
          {R"(Path("/\U00110000"))", "column 8: escape is not a valid Unicode code point"},
          {R"(Path("/\xff"))", "column 6: the escapes of this string do not form valid UTF-8"},
      },
      RuleKind::kHttp);
}

TEST_CASE("unknown matchers, matchers of the other kind, arity", "[rules]") {
  CheckAll(
      {
          {"Hots(`a`)",
           "column 1: unknown matcher 'Hots'; HTTP rules take Host, HostRegexp, Path, "
           "PathPrefix, PathRegexp, Method, Header, HeaderRegexp, Query, QueryRegexp, ClientIP"},
          {"Headers(`a`, `b`)",
           "column 1: unknown matcher 'Headers'; HTTP rules take Host, HostRegexp, Path, "
           "PathPrefix, PathRegexp, Method, Header, HeaderRegexp, Query, QueryRegexp, ClientIP"},
          {"Path(`/`) && HostSNI(`a`)",
           "column 14: HostSNI is a TCP matcher; HTTP rules take Host, HostRegexp, Path, "
           "PathPrefix, PathRegexp, Method, Header, HeaderRegexp, Query, QueryRegexp, ClientIP"},
          {"Host()", "column 6: Host takes 1 argument, got 0"},
          {"Host(`a`, `b`)", "column 11: Host takes at most 1 argument"},
          {"Header(`a`)", "column 11: Header takes 2 arguments, got 1"},
          {"Query()", "column 7: Query takes 1 or 2 arguments, got 0"},
          {"Query(`a`, `b`, `c`)", "column 17: Query takes at most 2 arguments"},
          {"QueryRegexp(`a`, `b`, `c`)", "column 23: QueryRegexp takes at most 2 arguments"},
      },
      RuleKind::kHttp);
  CheckAll(
      {
          {"Host(`a`)",
           "column 1: Host is an HTTP matcher; TCP rules take ClientIP, HostSNI, "
           "HostSNIRegexp, ALPN"},
          {"HostSni(`a`)",
           "column 1: unknown matcher 'HostSni'; TCP rules take ClientIP, "
           "HostSNI, HostSNIRegexp, ALPN"},
          {"ALPN(`h2`, `http/1.1`)", "column 12: ALPN takes at most 1 argument"},
      },
      RuleKind::kTcp);
}

TEST_CASE("invalid values: hosts, paths, methods, headers, regexps, CIDRs", "[rules]") {
  CheckAll(
      {
          {"Host(``)", "column 6: Host: invalid host '': empty host"},
          {"Host(`b\xC3\xBC"
           "cher.example`)",
           "column 6: Host: invalid host 'b\xC3\xBC"
           "cher.example': non-ASCII characters are not "
           "allowed; write the name in punycode (xn--...)"},
          {"Host(`example.com:8080`)",
           "column 6: Host: invalid host 'example.com:8080': a host must not carry a port"},
          {"Host(`a..b`)", "column 6: Host: invalid host 'a..b': host name has an empty label"},
          {"Host(`a b`)", "column 6: Host: invalid host 'a b': host name contains ' '"},
          {"Host(`a/b`)", "column 6: Host: invalid host 'a/b': host name contains '/'"},
          {"Host(`a.*.com`)",
           "column 6: Host: invalid host 'a.*.com': '*' is allowed only as "
           "the whole host or as the first label"},
          {"Host(`*.`)",
           "column 6: Host: invalid host '*.': '*' is allowed only as the whole "
           "host or as the first label"},
          {"Host(`[::1]:80`)",
           "column 6: Host: invalid host '[::1]:80': an IPv6 host must end "
           "with ']' and carry no port"},
          {"Host(`[::g]`)", "column 6: Host: invalid host '[::g]': invalid IPv6 address"},
          {"Host(`.`)", "column 6: Host: invalid host '.': empty host name"},
          {"Path(`products`)", "column 6: Path: path 'products' does not start with '/'"},
          {"PathPrefix(``)", "column 12: PathPrefix: path '' does not start with '/'"},
          {"Method(`GE T`)", "column 8: Method: invalid method 'GE T'"},
          {"Method(``)", "column 8: Method: invalid method ''"},
          {"Header(`X:A`, `b`)", "column 8: Header: invalid header name 'X:A'"},
          {"HeaderRegexp(``, `b`)", "column 14: HeaderRegexp: invalid header name ''"},
          {"PathRegexp(`(`)", "column 12: PathRegexp: invalid regular expression: missing ): ("},
          {"HostRegexp(`[a-`)",
           "column 12: HostRegexp: invalid regular expression: missing ]: [a-"},
          {"HostRegexp(`\xC3\xA9`)",
           "column 12: HostRegexp: non-ASCII characters are not allowed in a host pattern"},
          {"HeaderRegexp(`a`, `(?P<n`)",
           "column 19: HeaderRegexp: invalid regular expression: "
           "invalid named capture group: (?P<n"},
          {"QueryRegexp(`a`, `*`)",
           "column 18: QueryRegexp: invalid regular expression: no argument for repetition "
           "operator: *"},
          {"ClientIP(`10.0.0.256`)",
           "column 10: ClientIP: '10.0.0.256' is not an IP address or CIDR network"},
          {"ClientIP(`10.0.0.0/33`)",
           "column 10: ClientIP: prefix length of '10.0.0.0/33' must be 0 to 32"},
          {"ClientIP(`::/129`)", "column 10: ClientIP: prefix length of '::/129' must be 0 to 128"},
          {"ClientIP(`10.0.0.0/`)",
           "column 10: ClientIP: prefix length of '10.0.0.0/' must be 0 to 32"},
          {"ClientIP(`10.0.0.0/8, 11.0.0.0/8`)",
           "column 10: ClientIP: one address or network per ClientIP; combine several with ||"},
          {"ClientIP(`fe80::1%eth0`)",
           "column 10: ClientIP: 'fe80::1%eth0' is not an IP address or CIDR network"},
          {"Host(`a`) && Path(`x`)", "column 19: Path: path 'x' does not start with '/'"},
      },
      RuleKind::kHttp);
  CheckAll(
      {
          {"HostSNI(`*.example.com`)",
           "column 9: HostSNI: invalid host '*.example.com': "
           "wildcards are not supported here; use a regular "
           "expression"},
          {"HostSNIRegexp(`(`)",
           "column 15: HostSNIRegexp: invalid regular expression: missing ): ("},
          {"ALPN(`acme-tls/1`)", "column 6: ALPN: protocol 'acme-tls/1' is not allowed"},
          {"ALPN(``)", "column 6: ALPN: empty protocol"},
      },
      RuleKind::kTcp);
}

TEST_CASE("limits: size, nesting depth, tree height", "[rules]") {
  RuleLimits limits{.max_bytes = 20, .max_depth = 3};
  CompileResult big = Compile("Host(`aaaaaaaaaaaaaaaaaa`)", RuleKind::kHttp, limits);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error.ToString() == "column 21: rule is longer than 20 bytes (26)");

  CompileResult deep = Compile("!(!(Host(`a`)))", RuleKind::kHttp, limits);
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error.ToString() == "column 4: nesting deeper than 3 levels of '(' and '!'");

  // Default limits: 64 levels; far deeper input fails cleanly, no stack overflow.
  CHECK(ErrorOf(std::string(100000, '(')) ==
        "column 65537: rule is longer than 65536 bytes "
        "(100000)");
  CHECK(ErrorOf(std::string(1000, '!') + "Host(`a`)") ==
        "column 65: nesting deeper than 64 levels of '(' and '!'");
  CHECK(ErrorOf(std::string(65, '(') + "Host(`a`)" + std::string(65, ')')) ==
        "column 65: nesting deeper than 64 levels of '(' and '!'");
  CHECK(ErrorOf(std::string(64, '(') + "Host(`a`)" + std::string(64, ')')) == "compiled");

  // Alternating operators nest the compiled tree; it must stay parseable
  // by the proxy (protobuf's recursion limit).
  std::string rule = "Host(`a`)";
  for (int i = 0; i < 40; ++i) {
    rule = "Path(`/`) " + std::string(i % 2 ? "&&" : "||") + " (" + rule + ")";
  }
  CHECK(ErrorOf(rule).find("operators nest too deeply: the compiled rule would be 65 levels "
                           "deep, at most 64") != std::string::npos);
}

TEST_CASE("errors on later lines give the line too", "[rules]") {
  CHECK(ErrorOf("Host(`a`)\n  && Path(`x`)") ==
        "line 2, column 11: Path: path 'x' does not start with '/'");
  // Columns count characters, not bytes.
  CHECK(ErrorOf("Path(`/\xC3\xA9\xC3\xA9`) && Path(`x`)") ==
        "column 21: Path: path 'x' does not start with '/'");
}

TEST_CASE("explicit priorities", "[rules]") {
  CHECK(CheckPriority(0) == "");
  CHECK(CheckPriority(-5) == "");
  CHECK(CheckPriority(kMaxUserPriority) == "");
  CHECK(CheckPriority(kMaxUserPriority + 1) ==
        "priority 9223372036854774808 is above the maximum 9223372036854774807");
}

}  // namespace
}  // namespace portico::controlplane::rules
