#pragma once
// Prometheus' text exposition format (version 0.0.4), written by hand because it is small:
//   # HELP corral_instance_up 1 while the instance's process runs
//   # TYPE corral_instance_up gauge
//   corral_instance_up{service="web",instance="0"} 1
// Each family is declared once, by its name, and written in the order of declaration with its samples in
// the order they were added, all of them together (the format forbids a family split in two). A family
// with no sample keeps its HELP and TYPE lines. Label values are escaped (\\, \", \n), HELP texts too
// (\\, \n); numbers are written as integers when they are whole, else in the shortest form that reads back
// the same, and NaN / +Inf / -Inf as the format spells them. Names are the caller's: they are not checked.
#include <cstddef>
#include <deque>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace corral::metrics {

enum class Type { gauge, counter };

struct Label {
    std::string_view name;
    std::string_view value;
};

class Family {
public:
    Family(std::string_view name, Type type, std::string_view help);

    // One sample: name{labels} value.
    void add(std::initializer_list<Label> labels, double value);
    void add(const Label* labels, std::size_t count, double value);

    const std::string& name() const { return name_; }
    Type type() const { return type_; }
    // The HELP and TYPE lines, then the samples.
    void write(std::string& out) const;

private:
    std::string name_;
    Type type_;
    std::string help_;
    std::string samples_;  // already formatted, one line each
};

class Exposition {
public:
    // The family `name`: declared now, or the one declared before under that name (whose type and help
    // stay; a different type for the same name is a programming error and throws std::logic_error).
    Family& family(std::string_view name, Type type, std::string_view help);
    // Every family, in the order of declaration.
    std::string text() const;

private:
    std::deque<Family> families_;  // stable addresses
    std::map<std::string, Family*, std::less<>> by_name_;
};

// "1", "0.25", "1.5e+20", "NaN", "+Inf", "-Inf".
std::string format_value(double value);
// A label value as written between the quotes.
std::string escape_label_value(std::string_view value);

}  // namespace corral::metrics
