// Prometheus' text format as the writer puts it: families with HELP and TYPE, label values and HELP texts
// escaped, numbers as the format reads them, one block per family whatever the order of the samples.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "supervisor/metrics/exposition.hpp"

using corral::metrics::Exposition;
using corral::metrics::Type;
using corral::metrics::escape_label_value;
using corral::metrics::format_value;

TEST_CASE("a family: HELP, TYPE, then its samples with their labels") {
    Exposition exposition;
    auto& up = exposition.family("corral_instance_up", Type::gauge, "1 while it runs");
    up.add({{"service", "web"}, {"instance", "0"}}, 1);
    up.add({{"service", "web"}, {"instance", "1"}}, 0);
    CHECK(exposition.text() ==
          "# HELP corral_instance_up 1 while it runs\n"
          "# TYPE corral_instance_up gauge\n"
          "corral_instance_up{service=\"web\",instance=\"0\"} 1\n"
          "corral_instance_up{service=\"web\",instance=\"1\"} 0\n");
}

TEST_CASE("a sample without labels has no braces, and a counter says so") {
    Exposition exposition;
    exposition.family("process_cpu_seconds_total", Type::counter, "CPU").add({}, 0.25);
    CHECK(exposition.text() == "# HELP process_cpu_seconds_total CPU\n# TYPE process_cpu_seconds_total counter\n"
                               "process_cpu_seconds_total 0.25\n");
}

TEST_CASE("label values escape backslash, double quote and newline - other bytes pass as they are") {
    CHECK(escape_label_value(R"(a\b)") == R"(a\\b)");
    CHECK(escape_label_value("say \"hi\"") == R"(say \"hi\")");
    CHECK(escape_label_value("two\nlines") == R"(two\nlines)");
    CHECK(escape_label_value("caf\xc3\xa9 {x=1}, #") == "caf\xc3\xa9 {x=1}, #");
    Exposition exposition;
    exposition.family("m", Type::gauge, "h").add({{"path", "C:\\dir \"q\"\n"}}, 1);
    CHECK(exposition.text() == "# HELP m h\n# TYPE m gauge\nm{path=\"C:\\\\dir \\\"q\\\"\\n\"} 1\n");
}

TEST_CASE("HELP texts escape backslash and newline but keep double quotes") {
    Exposition exposition;
    exposition.family("m", Type::gauge, "a \"quoted\" \\ word\nand a second line");
    CHECK(exposition.text() == "# HELP m a \"quoted\" \\\\ word\\nand a second line\n# TYPE m gauge\n");
}

TEST_CASE("numbers: whole ones as integers, others in the shortest form that reads back, and the specials") {
    CHECK(format_value(0) == "0");
    CHECK(format_value(42) == "42");
    CHECK(format_value(-3) == "-3");
    CHECK(format_value(18446744073709551615.0) == "18446744073709551616");  // shortest round trip
    CHECK(format_value(9007199254740991.0) == "9007199254740991");
    CHECK(format_value(1764000000.125) == "1764000000.125");
    CHECK(format_value(0.1) == "0.1");
    CHECK(format_value(1e-7) == "1e-07");
    CHECK(format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
    CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(std::stod(format_value(1.0 / 3)) == 1.0 / 3);
}

TEST_CASE("families come out in the order declared, each in one block, never twice") {
    Exposition exposition;
    auto& a = exposition.family("a_total", Type::counter, "first");
    auto& b = exposition.family("b", Type::gauge, "second");
    b.add({{"x", "1"}}, 1);
    a.add({{"x", "1"}}, 2);
    // Asking again by name gives the same family: its samples join the block, the HELP is written once.
    exposition.family("b", Type::gauge, "another help").add({{"x", "2"}}, 3);
    CHECK(exposition.text() ==
          "# HELP a_total first\n# TYPE a_total counter\na_total{x=\"1\"} 2\n"
          "# HELP b second\n# TYPE b gauge\nb{x=\"1\"} 1\nb{x=\"2\"} 3\n");
    CHECK(&exposition.family("a_total", Type::counter, "") == &a);
    CHECK_THROWS_AS(exposition.family("a_total", Type::gauge, ""), std::logic_error);
}

TEST_CASE("a family with no series keeps its HELP and TYPE lines, and an empty exposition is empty") {
    CHECK(Exposition().text().empty());
    Exposition exposition;
    exposition.family("corral_instance_memory_limit_bytes", Type::gauge, "limit");
    CHECK(exposition.text() ==
          "# HELP corral_instance_memory_limit_bytes limit\n# TYPE corral_instance_memory_limit_bytes gauge\n");
}
