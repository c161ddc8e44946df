#include "supervisor/agent/runtime_report.hpp"

#include <doctest/doctest.h>

#include <string>

using corral::agent::parse_runtime_report;
using corral::agent::RuntimeReport;

namespace {

const std::string kReport =
    R"({"cmd":"NODE_CORRAL_RUNTIME","heap_used":13192288,"heap_total":30240768,"external":1620712,)"
    R"("array_buffers":10691,"loop_p50_ms":12.5,"loop_p99_ms":26.25,"loop_max_ms":30,"handles":2,"gc_ms":115.75})";

}  // namespace

TEST_CASE("a runtime report of the agent is read field by field") {
    std::string error;
    const auto report = parse_runtime_report(kReport, error);
    REQUIRE(report.has_value());
    CHECK(*report == RuntimeReport{13192288, 30240768, 1620712, 10691, 12.5, 26.25, 30, 2, 115.75});
    CHECK(error.empty());
}

TEST_CASE("a runtime report with a missing or wrong field is refused with the field named") {
    std::string error;
    std::string without_handles = kReport;
    without_handles.replace(without_handles.find(R"("handles":2,)"), 12, "");
    CHECK_FALSE(parse_runtime_report(without_handles, error).has_value());
    CHECK(error == "\"handles\" is not a non-negative number");

    std::string negative = kReport;
    negative.replace(negative.find("13192288"), 8, "-1");
    CHECK_FALSE(parse_runtime_report(negative, error).has_value());
    CHECK(error == "\"heap_used\" is not a non-negative number");

    std::string text = kReport;
    text.replace(text.find("30240768"), 8, "\"big\"");
    CHECK_FALSE(parse_runtime_report(text, error).has_value());
    CHECK(error == "\"heap_total\" is not a non-negative number");

    CHECK_FALSE(parse_runtime_report("[1, 2]", error).has_value());
    CHECK(error == "not a JSON object");
    CHECK_FALSE(parse_runtime_report("{\"heap_used\":", error).has_value());
    CHECK(error == "not a JSON object");
}
