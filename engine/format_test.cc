// The canonical layout: what it changes, what it keeps, and what it refuses.
#include "engine/format.h"

#include <doctest/doctest.h>

#include <string>

namespace statemark {
namespace {

std::string Fmt(const std::string& text) {
  Result<std::string> r = FormatPolicyFile("t.yaml", text);
  REQUIRE_MESSAGE(r.ok(), RenderDiagnostics(r.diagnostics()));
  CHECK(FormatPolicyFile("t.yaml", r.value()).value() == r.value());  // idempotent
  return r.value();
}

std::string FirstCode(const std::string& text) {
  Result<std::string> r = FormatPolicyFile("t.yaml", text);
  REQUIRE_FALSE(r.ok());
  return r.diagnostics().items().front().code;
}

TEST_CASE("fmt orders a rule's keys and keeps the comments with their keys") {
  const std::string in =
      "# Platform rules.\n"
      "rules:\n"
      "  - then: { labels: [x] }   # the label\n"
      "    # who\n"
      "    when: { account.affiliation: state_controlled_media }\n"
      "    layer: platform\n"
      "    id: P1\n";
  CHECK(Fmt(in) ==
        "# Platform rules.\n"
        "rules:\n"
        "  - id: P1\n"
        "    layer: platform\n"
        "    # who\n"
        "    when: { account.affiliation: state_controlled_media }\n"
        "    then: { labels: [x] }  # the label\n");
}

TEST_CASE("fmt reindents to two spaces, drops trailing spaces and collapses blank lines") {
  const std::string in =
      "vocabulary:   \r\n"
      "\r\n"
      "    surfaces:\r\n"
      "        - for_you\r\n"
      "        - search    \r\n"
      "\r\n"
      "\r\n"
      "\r\n"
      "    levels: [ eligible,demoted ]\r\n"
      "\r\n";
  CHECK(Fmt(in) ==
        "vocabulary:\n"
        "  surfaces:\n"
        "    - for_you\n"
        "    - search\n"
        "\n"
        "  levels: [eligible, demoted]\n");
}

TEST_CASE("fmt writes one quoting style and keeps the quotes that carry meaning") {
  const std::string in =
      "a: 'plain text'\n"
      "b: \"{state_short} media\"\n"
      "c: 'it''s'\n"
      "d: \"2024-05-23T00:00:00Z\"\n"
      "e: \"true\"\n"
      "f: true\n"
      "g: 42\n"
      "h: NO\n"
      "i: [\"x\", 'https://rt.com/a', \"a, b\"]\n"
      "j: \"Stay informed: this\"\n"
      "NO: Norway\n";
  CHECK(Fmt(in) ==
        "a: plain text\n"
        "b: \"{state_short} media\"\n"
        "c: it's\n"
        "d: \"2024-05-23T00:00:00Z\"\n"
        "e: \"true\"\n"
        "f: true\n"
        "g: 42\n"
        "h: \"NO\"\n"
        "i: [x, \"https://rt.com/a\", \"a, b\"]\n"
        "j: \"Stay informed: this\"\n"
        "\"NO\": Norway\n");
}

TEST_CASE("fmt writes flow maps with inner spaces and wraps long lists of values") {
  const std::string in =
      "x: {a: 1,   b: [p,q]}\n"
      "topics: [current_global_affairs, war_conflict, international_relations, elections_civic, "
      "domestic_politics, social_issues, travel_tourism]\n";
  CHECK(Fmt(in) ==
        "x: { a: 1, b: [p, q] }\n"
        "topics: [current_global_affairs, war_conflict, international_relations, elections_civic,\n"
        "         domestic_politics, social_issues, travel_tourism]\n");
}

TEST_CASE("fmt keeps folded and literal text, reindented") {
  const std::string in =
      "rules:\n"
      "- id: P4\n"
      "  note: >\n"
      "        The whole family\n"
      "        is in scope.\n"
      "\n"
      "        Second paragraph.\n"
      "  layer: platform\n";
  CHECK(Fmt(in) ==
        "rules:\n"
        "  - id: P4\n"
        "    layer: platform\n"
        "    note: >\n"
        "      The whole family\n"
        "      is in scope.\n"
        "\n"
        "      Second paragraph.\n");
}

TEST_CASE("fmt orders test cases, cases and windows") {
  const std::string in =
      "tests:\n"
      "  - expect: { rules: [] }\n"
      "    request: { account: { id: a } }\n"
      "    tags: [t]\n"
      "    name: case one\n";
  CHECK(Fmt(in) ==
        "tests:\n"
        "  - name: case one\n"
        "    tags: [t]\n"
        "    request: { account: { id: a } }\n"
        "    expect: { rules: [] }\n");
  CHECK(Fmt("rules:\n  - id: A\n    effective: { until: \"2024-01-01T00:00:00Z\", from: "
            "\"2023-01-01T00:00:00Z\" }\n    cases:\n      - then: { notice: legal }\n"
            "        when: { viewer.country: GB }\n") ==
        "rules:\n  - id: A\n    effective: { from: \"2023-01-01T00:00:00Z\", until: "
        "\"2024-01-01T00:00:00Z\" }\n    cases:\n      - when: { viewer.country: GB }\n"
        "        then: { notice: legal }\n");
}

TEST_CASE("fmt keeps comments at the end of a list and of the file, and aligns trailing ones") {
  const std::string in =
      "windows:\n"
      "  W:\n"
      "    from: \"2024-10-29T00:01 America/Los_Angeles\" # = 07:01Z\n"
      "    until: \"2024-11-06T00:00 America/Los_Angeles\"   # = 08:00Z\n"
      "    # more windows here\n"
      "# the end\n";
  CHECK(Fmt(in) ==
        "windows:\n"
        "  W:\n"
        "    from: \"2024-10-29T00:01 America/Los_Angeles\"   # = 07:01Z\n"
        "    until: \"2024-11-06T00:00 America/Los_Angeles\"  # = 08:00Z\n"
        "    # more windows here\n"
        "# the end\n");
}

TEST_CASE("fmt refuses what it would not rewrite faithfully") {
  CHECK(FirstCode("a: &x 1\nb: *x\n") == "fmt-unsupported");
  CHECK(FirstCode("a: !!str 1\n") == "fmt-unsupported");
  CHECK(FirstCode("a: 1\n---\nb: 2\n") == "fmt-unsupported");
  CHECK(FirstCode("a: [1, 2\n") == "yaml-syntax");
  CHECK(FirstCode("a: |2\n    x\n") == "fmt-unsupported");
}

TEST_CASE("FirstDifferentLine") {
  CHECK(FirstDifferentLine("a\nb\n", "a\nb\n") == 0);
  CHECK(FirstDifferentLine("a\nb\n", "a\nc\n") == 2);
  CHECK(FirstDifferentLine("a\n", "a\nb\n") == 2);
}

}  // namespace
}  // namespace statemark
