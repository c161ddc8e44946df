#include "supervisor/metrics/exposition.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace corral::metrics {
namespace {

void append_escaped(std::string& out, std::string_view text, bool quotes) {
    for (const char c : text) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '"':
                if (quotes) {
                    out += "\\\"";
                    break;
                }
                [[fallthrough]];
            default: out += c;
        }
    }
}

void append_value(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
        return;
    }
    if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
        return;
    }
    char buffer[64];
    // Whole numbers below 2^53 are exact as doubles: written as integers, as counters are read.
    const bool whole = value == std::trunc(value) && std::fabs(value) < 9007199254740992.0;
    const auto [end, error] = whole ? std::to_chars(buffer, buffer + sizeof buffer, static_cast<long long>(value))
                                    : std::to_chars(buffer, buffer + sizeof buffer, value);
    if (error != std::errc()) {
        out += "NaN";
        return;
    }
    out.append(buffer, end);
}

}  // namespace

std::string format_value(double value) {
    std::string out;
    append_value(out, value);
    return out;
}

std::string escape_label_value(std::string_view value) {
    std::string out;
    append_escaped(out, value, true);
    return out;
}

Family::Family(std::string_view name, Type type, std::string_view help) : name_(name), type_(type), help_(help) {}

void Family::add(std::initializer_list<Label> labels, double value) { add(labels.begin(), labels.size(), value); }

void Family::add(const Label* labels, std::size_t count, double value) {
    samples_ += name_;
    for (std::size_t i = 0; i < count; ++i) {
        samples_ += i == 0 ? '{' : ',';
        samples_ += labels[i].name;
        samples_ += "=\"";
        append_escaped(samples_, labels[i].value, true);
        samples_ += '"';
    }
    if (count > 0) samples_ += '}';
    samples_ += ' ';
    append_value(samples_, value);
    samples_ += '\n';
}

void Family::write(std::string& out) const {
    out += "# HELP ";
    out += name_;
    out += ' ';
    append_escaped(out, help_, false);
    out += "\n# TYPE ";
    out += name_;
    out += type_ == Type::counter ? " counter\n" : " gauge\n";
    out += samples_;
}

Family& Exposition::family(std::string_view name, Type type, std::string_view help) {
    if (const auto found = by_name_.find(name); found != by_name_.end()) {
        if (found->second->type() != type) {
            throw std::logic_error("metric family " + std::string(name) + " declared with two types");
        }
        return *found->second;
    }
    Family& made = families_.emplace_back(name, type, help);
    by_name_.emplace(made.name(), &made);
    return made;
}

std::string Exposition::text() const {
    std::string out;
    for (const Family& family : families_) family.write(out);
    return out;
}

}  // namespace corral::metrics
