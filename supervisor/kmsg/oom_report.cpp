#include "supervisor/kmsg/oom_report.hpp"

#include <charconv>
#include <utility>

namespace corral::supervisor::kmsg {
namespace {

constexpr std::string_view kStart = " invoked oom-killer: ";
constexpr std::string_view kKilled = ": Killed process ";
constexpr std::string_view kSummary = "oom-kill:";

// The leading integer of `text` (an optional '-' for signed types); nullopt when there is none.
template <typename Int>
std::optional<Int> leading_number(std::string_view text) {
    Int value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data()) return std::nullopt;
    return value;
}

// The number after `key` in `text` ("total-vm:" in "total-vm:1246248kB, ..."), if `key` is there.
template <typename Int>
std::optional<Int> number_after(std::string_view text, std::string_view key) {
    const auto at = text.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    return leading_number<Int>(text.substr(at + key.size()));
}

// "key=" where key is [a-z_]+: the start of a field of the oom-kill summary.
std::string_view field_key(std::string_view piece) {
    const auto eq = piece.find('=');
    if (eq == std::string_view::npos || eq == 0) return {};
    for (const char c : piece.substr(0, eq)) {
        if (!((c >= 'a' && c <= 'z') || c == '_')) return {};
    }
    return piece.substr(0, eq);
}

}  // namespace

std::optional<std::string> parse_oom_start(std::string_view message) {
    const auto at = message.find(kStart);
    if (at == std::string_view::npos || at == 0) return std::nullopt;
    return std::string(message.substr(0, at));
}

std::optional<KilledProcess> parse_killed_process(std::string_view message) {
    const auto at = message.find(kKilled);
    if (at == std::string_view::npos) return std::nullopt;
    const std::string_view prefix = message.substr(0, at);
    KilledProcess killed;
    // "Out of memory", "Out of memory (oom_kill_allocating_task)"; "Memory cgroup out of memory".
    if (prefix.starts_with("Out of memory")) {
        killed.global = true;
    } else if (!prefix.starts_with("Memory cgroup out of memory")) {
        return std::nullopt;
    }
    std::string_view rest = message.substr(at + kKilled.size());
    const auto pid = leading_number<pid_t>(rest);
    if (!pid || *pid <= 0) return std::nullopt;
    killed.pid = *pid;

    // "(comm)": the comm is the task's own choice and may hold ')' or spaces.
    const auto open = rest.find(" (");
    if (open == std::string_view::npos) return std::nullopt;
    auto close = rest.find(") total-vm:", open);
    if (close == std::string_view::npos) close = rest.rfind(')');
    if (close == std::string_view::npos || close < open + 2) return std::nullopt;
    killed.task = std::string(rest.substr(open + 2, close - open - 2));

    const std::string_view sizes = rest.substr(close + 1);
    killed.total_vm_kb = number_after<std::uint64_t>(sizes, "total-vm:").value_or(0);
    killed.anon_rss_kb = number_after<std::uint64_t>(sizes, "anon-rss:").value_or(0);
    killed.file_rss_kb = number_after<std::uint64_t>(sizes, "file-rss:").value_or(0);
    killed.shmem_rss_kb = number_after<std::uint64_t>(sizes, "shmem-rss:").value_or(0);
    killed.pgtables_kb = number_after<std::uint64_t>(sizes, "pgtables:").value_or(0);
    killed.uid = number_after<std::uint32_t>(sizes, "UID:");
    killed.oom_score_adj = number_after<int>(sizes, "oom_score_adj:");
    return killed;
}

std::optional<OomSummary> parse_oom_summary(std::string_view message) {
    if (!message.starts_with(kSummary)) return std::nullopt;
    std::string_view body = message.substr(kSummary.size());
    OomSummary summary;

    // The kernel prints ",task=<comm>,pid=<N>,uid=<N>" last and escapes nothing: read those from the end,
    // so that a comm (which a task chooses itself) cannot fake the pid or the uid.
    if (const auto uid_at = body.rfind(",uid="); uid_at != std::string_view::npos) {
        summary.uid = leading_number<std::uint32_t>(body.substr(uid_at + 5));
        body = body.substr(0, uid_at);
    }
    if (const auto pid_at = body.rfind(",pid="); pid_at != std::string_view::npos) {
        summary.pid = leading_number<pid_t>(body.substr(pid_at + 5));
        body = body.substr(0, pid_at);
        if (const auto task_at = body.rfind(",task="); task_at != std::string_view::npos) {
            summary.task = std::string(body.substr(task_at + 6));
            body = body.substr(0, task_at);
        }
    }

    // The rest, left to right: "constraint=...,nodemask=...,cpuset=...,mems_allowed=...,oom_memcg=...|
    // global_oom,task_memcg=...". A piece that does not start a field continues the previous value
    // ("mems_allowed=0-1,3", a cgroup name with a comma).
    std::string* value = nullptr;
    std::string ignored;
    while (!body.empty()) {
        const auto comma = body.find(',');
        const std::string_view piece = body.substr(0, comma);
        body = comma == std::string_view::npos ? std::string_view{} : body.substr(comma + 1);
        const std::string_view key = field_key(piece);
        if (piece == "global_oom") {
            summary.global = true;
            value = nullptr;
        } else if (!key.empty()) {
            value = key == "constraint"   ? &summary.constraint
                    : key == "oom_memcg"  ? &summary.oom_memcg
                    : key == "task_memcg" ? &summary.task_memcg
                                          : &ignored;
            *value = std::string(piece.substr(key.size() + 1));
        } else if (value != nullptr) {
            *value += ',';
            *value += piece;
        }
    }
    if (summary.constraint.empty()) return std::nullopt;
    return summary;
}

std::optional<OomReport> OomReportAssembler::feed(std::string_view message) {
    if (auto invoker = parse_oom_start(message)) {
        reset();
        open_ = true;
        invoker_ = std::move(*invoker);
        add_line(message);
        return std::nullopt;
    }
    if (const auto killed = parse_killed_process(message)) return finish(*killed, message);
    if (auto summary = parse_oom_summary(message)) {
        if (!open_) {
            // The start was lost, but this summary and the kill that follows still make a report.
            reset();
            open_ = true;
        }
        summary_ = std::move(*summary);
    }
    if (open_) add_line(message);
    return std::nullopt;
}

void OomReportAssembler::note_lost(std::uint64_t count) {
    if (!open_) return;
    add_line(count > 0 ? "[... kernel log overrun: " + std::to_string(count) + " records lost ...]"
                       : std::string("[... kernel log overrun: records lost ...]"));
}

void OomReportAssembler::reset() {
    open_ = false;
    invoker_.clear();
    summary_.reset();
    head_lines_.clear();
    tail_lines_.clear();
    omitted_ = 0;
}

void OomReportAssembler::add_line(std::string_view line) {
    if (head_lines_.size() < head_) {
        head_lines_.emplace_back(line);
        return;
    }
    if (tail_ == 0) {
        ++omitted_;
        return;
    }
    if (tail_lines_.size() == tail_) {
        tail_lines_.pop_front();
        ++omitted_;
    }
    tail_lines_.emplace_back(line);
}

OomReport OomReportAssembler::finish(const KilledProcess& killed, std::string_view message) {
    OomReport report;
    static_cast<KilledProcess&>(report) = killed;
    report.killed_line = std::string(message);

    // An open report whose summary names another victim lost its own end: it is not this kill's.
    const bool ours = open_ && (!summary_ || !summary_->pid || *summary_->pid == killed.pid);
    if (!ours) {
        report.start_lost = true;
        report.lines.push_back(report.killed_line);
        reset();
        return report;
    }

    add_line(message);
    report.invoker = invoker_;
    report.start_lost = invoker_.empty();
    if (summary_) {
        report.constraint = summary_->constraint;
        report.oom_memcg = summary_->oom_memcg;
        report.task_memcg = summary_->task_memcg;
    }
    report.lines.reserve(head_lines_.size() + tail_lines_.size() + 1);
    for (auto& line : head_lines_) report.lines.push_back(std::move(line));
    if (omitted_ > 0) report.lines.push_back("[... " + std::to_string(omitted_) + " records omitted ...]");
    for (auto& line : tail_lines_) report.lines.push_back(std::move(line));
    reset();
    return report;
}

}  // namespace corral::supervisor::kmsg
