#include "tests/support/fake_cgroupfs.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace corral::test {

namespace fs = std::filesystem;

namespace {

// The order in which the kernel lists controllers.
const std::vector<std::string> kKernelOrder{"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"};
const char* const kPressure =
    "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
    "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
const char* const kMemoryStat =
    "anon 0\nfile 0\nkernel 0\nshmem 0\nfile_mapped 0\nfile_dirty 0\n"
    "file_writeback 0\nworkingset_refault_anon 0\nworkingset_refault_file 0\n";
const char* const kMemoryEvents = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n";

std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void store(const fs::path& file, std::string_view text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) throw std::runtime_error("fake cgroupfs: cannot write " + file.string());
}

std::vector<std::string> words(std::string_view text) {
    std::istringstream in{std::string(text)};
    std::vector<std::string> list;
    for (std::string word; in >> word;) list.push_back(word);
    return list;
}

bool contains(const std::vector<std::string>& list, const std::string& word) {
    return std::ranges::find(list, word) != list.end();
}

// Lists read like the kernel prints them: kernel order, one space apart, a newline unless empty.
std::string print_list(std::vector<std::string> list) {
    const auto rank = [](const std::string& name) {
        return std::ranges::find(kKernelOrder, name) - kKernelOrder.begin();
    };
    std::ranges::sort(list, {}, rank);
    std::string text;
    for (const auto& name : list) text += (text.empty() ? "" : " ") + name;
    return text.empty() ? text : text + "\n";
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    return text;
}

std::optional<std::uint64_t> number(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::vector<pid_t> pids_of(const fs::path& dir) {
    std::vector<pid_t> pids;
    for (const auto& word : words(slurp(dir / "cgroup.procs"))) pids.push_back(static_cast<pid_t>(std::stol(word)));
    return pids;
}

void set_pids(const fs::path& dir, const std::vector<pid_t>& pids) {
    std::string text;
    for (const pid_t pid : pids) text += std::to_string(pid) + "\n";
    store(dir / "cgroup.procs", text);
}

// Exited processes leave their cgroup at exit, before they are reaped: zombies count as gone.
bool alive(pid_t pid) {
    const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) return false;
    return stat[close + 2] != 'Z' && stat[close + 2] != 'X';
}

bool read_only(const std::string& name) {
    static const std::vector<std::string> suffixes{".controllers", ".events", ".events.local", ".stat",
                                                   ".current",     ".peak",   ".effective"};
    return std::ranges::any_of(suffixes, [&](const std::string& suffix) { return name.ends_with(suffix); });
}

std::map<std::string, std::string> controller_files(const std::string& controller, bool swap) {
    if (controller == "memory") {
        std::map<std::string, std::string> files{
            {"memory.max", "max\n"},      {"memory.high", "max\n"},         {"memory.low", "0\n"},
            {"memory.min", "0\n"},        {"memory.current", "0\n"},        {"memory.peak", "0\n"},
            {"memory.stat", kMemoryStat}, {"memory.events", kMemoryEvents}, {"memory.events.local", kMemoryEvents},
            {"memory.oom.group", "0\n"}};
        if (swap) {
            files["memory.swap.max"] = "max\n";
            files["memory.swap.high"] = "max\n";
            files["memory.swap.current"] = "0\n";
            files["memory.swap.events"] = "high 0\nmax 0\nfail 0\n";
        }
        return files;
    }
    if (controller == "pids") {
        return {{"pids.max", "max\n"}, {"pids.current", "0\n"}, {"pids.peak", "0\n"}, {"pids.events", "max 0\n"}};
    }
    if (controller == "cpu") {
        return {{"cpu.weight", "100\n"}, {"cpu.weight.nice", "0\n"}, {"cpu.max", "max 100000\n"},
                {"cpu.max.burst", "0\n"}};
    }
    if (controller == "io") return {{"io.weight", "default 100\n"}, {"io.max", ""}, {"io.stat", ""}};
    if (controller == "cpuset") return {{"cpuset.cpus", ""}, {"cpuset.mems", ""}, {"cpuset.cpus.effective", "0-1\n"}};
    return {};
}

}  // namespace

FakeCgroupFs::FakeCgroupFs(fs::path root, std::vector<std::string> controllers, Features features)
    : root_(root.lexically_normal()), features_(features) {
    fs::create_directories(root_);
    store(root_ / "cgroup.procs", "");
    store(root_ / "cgroup.threads", "");
    store(root_ / "cgroup.controllers", print_list(controllers));
    store(root_ / "cgroup.subtree_control", "");
    store(root_ / "cgroup.max.depth", "max\n");
    for (const char* psi : {"memory.pressure", "cpu.pressure", "io.pressure"}) store(root_ / psi, kPressure);
}

bool FakeCgroupFs::is_root(const fs::path& dir) const { return dir.lexically_normal() == root_; }

bool FakeCgroupFs::is_group(const fs::path& dir) const {
    const fs::path normal = dir.lexically_normal();
    const fs::path relative = normal.lexically_relative(root_);
    if (relative.empty() || *relative.begin() == "..") return false;
    return fs::is_directory(normal) && fs::is_regular_file(normal / "cgroup.procs");
}

void FakeCgroupFs::add_interface_files(const fs::path& dir) {
    store(dir / "cgroup.procs", "");
    store(dir / "cgroup.threads", "");
    store(dir / "cgroup.controllers", slurp(dir.parent_path() / "cgroup.subtree_control"));
    store(dir / "cgroup.subtree_control", "");
    store(dir / "cgroup.events", "populated 0\nfrozen 0\n");
    store(dir / "cgroup.freeze", "0\n");
    store(dir / "cgroup.type", "domain\n");
    store(dir / "cgroup.max.depth", "max\n");
    if (features_.kill) store(dir / "cgroup.kill", "");
    store(dir / "cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
    for (const char* psi : {"memory.pressure", "cpu.pressure", "io.pressure"}) store(dir / psi, kPressure);
    for (const auto& controller : words(slurp(dir / "cgroup.controllers"))) add_controller_files(dir, controller);
}

void FakeCgroupFs::add_controller_files(const fs::path& dir, const std::string& controller) {
    for (const auto& [name, text] : controller_files(controller, features_.swap)) store(dir / name, text);
}

void FakeCgroupFs::remove_controller_files(const fs::path& dir, const std::string& controller) {
    for (const auto& entry : controller_files(controller, features_.swap)) fs::remove(dir / entry.first);
}

void FakeCgroupFs::reap() {
    const auto visit = [this](const auto& self, const fs::path& dir) -> void {
        std::vector<pid_t> pids = pids_of(dir);
        // std::erase_if rather than std::ranges::remove_if: clang 14 cannot use libstdc++ 12's subrange.
        if (std::erase_if(pids, [](pid_t pid) { return !alive(pid); }) > 0) set_pids(dir, pids);
        for (const auto& sub : subdirs(dir)) self(self, dir / sub);
    };
    visit(visit, root_);
    update_events();
}

void FakeCgroupFs::update_events() {
    const auto visit = [this](const auto& self, const fs::path& dir, bool frozen_above) -> bool {
        const bool frozen = frozen_above || trimmed(slurp(dir / "cgroup.freeze")) == "1";
        bool populated = !pids_of(dir).empty();
        for (const auto& sub : subdirs(dir)) populated = self(self, dir / sub, frozen) || populated;
        if (!is_root(dir)) {
            store(dir / "cgroup.events",
                  std::string("populated ") + (populated ? "1" : "0") + "\nfrozen " + (frozen ? "1" : "0") + "\n");
        }
        return populated;
    };
    visit(visit, root_, false);
}

Status FakeCgroupFs::make_dir(const fs::path& path) {
    reap();
    const fs::path dir = path.lexically_normal();
    if (!is_group(dir.parent_path())) return sys_error("create", dir.string(), ENOENT);
    if (fs::exists(dir)) return sys_error("create", dir.string(), EEXIST);
    fs::create_directory(dir);
    add_interface_files(dir);
    return {};
}

Status FakeCgroupFs::remove_dir(const fs::path& path) {
    reap();
    const fs::path dir = path.lexically_normal();
    if (!fs::exists(dir)) return sys_error("remove", dir.string(), ENOENT);
    if (is_root(dir)) return sys_error("remove", dir.string(), EBUSY);
    if (!is_group(dir)) return sys_error("remove", dir.string(), ENOTDIR);
    if (!subdirs(dir).empty() || !pids_of(dir).empty()) return sys_error("remove", dir.string(), EBUSY);
    fs::remove_all(dir);
    update_events();
    return {};
}

void FakeCgroupFs::fail_files(const std::string& file_name, int error) {
    std::erase_if(failing_, [&](const auto& entry) { return entry.first == file_name; });
    if (error != 0) failing_.emplace_back(file_name, error);
}

int FakeCgroupFs::injected_error(const fs::path& file) const {
    for (const auto& [name, error] : failing_) {
        if (file.filename() == name) return error;
    }
    return 0;
}

Result<std::string> FakeCgroupFs::read(const fs::path& file) {
    reap();
    if (const int error = injected_error(file)) return sys_error("read", file.string(), error);
    if (!fs::exists(file)) return sys_error("read", file.string(), ENOENT);
    if (fs::is_directory(file)) return sys_error("read", file.string(), EISDIR);
    if (file.filename() == "cgroup.kill") return sys_error("read", file.string(), EINVAL);
    return slurp(file);
}

Status FakeCgroupFs::write(const fs::path& file, std::string_view value) {
    reap();
    const int injected = injected_error(file);
    Status result = injected != 0 ? Status(sys_error("write", file.string(), injected)) : write_checked(file.lexically_normal(), value);
    writes_.push_back(Write{file, std::string(value), result ? 0 : result.error().code});
    update_events();
    return result;
}

Status FakeCgroupFs::write_checked(const fs::path& file, std::string_view value) {
    if (!fs::exists(file)) return sys_error("write", file.string(), ENOENT);
    if (fs::is_directory(file)) return sys_error("write", file.string(), EISDIR);
    const std::string name = file.filename().string();
    const fs::path dir = file.parent_path();
    const std::string_view text = trimmed(value);
    if (read_only(name)) return sys_error("write", file.string(), EACCES);
    if (name == "cgroup.procs") return write_procs(dir, text);
    if (name == "cgroup.subtree_control") return write_subtree_control(dir, text);
    if (name == "cgroup.freeze" || name == "cgroup.kill") {
        const auto flag = number(text);
        if (!flag) return sys_error("write", file.string(), EINVAL);
        if (*flag > 1 || (name == "cgroup.kill" && *flag == 0)) return sys_error("write", file.string(), ERANGE);
        if (name == "cgroup.freeze") {
            store(file, std::string(text) + "\n");
        } else {
            const auto empty = [](const auto& self, FakeCgroupFs& fake, const fs::path& group) -> void {
                set_pids(group, {});
                for (const auto& sub : fake.subdirs(group)) self(self, fake, group / sub);
            };
            empty(empty, *this, dir);
        }
        return {};
    }
    static const std::vector<std::string> limits{"memory.max", "memory.high",     "memory.low",
                                                 "memory.min", "memory.swap.max", "memory.swap.high",
                                                 "pids.max",   "cpu.weight",      "cpu.max"};
    if (contains(limits, name)) return write_limit(file, text);
    store(file, std::string(text) + "\n");
    return {};
}

Status FakeCgroupFs::write_limit(const fs::path& file, std::string_view text) {
    const std::string name = file.filename().string();
    const auto invalid = [&] { return sys_error("write", file.string(), EINVAL); };
    if (name == "cpu.weight") {
        const auto weight = number(text);
        if (!weight) return invalid();
        if (*weight < 1 || *weight > 10000) return sys_error("write", file.string(), ERANGE);
        store(file, std::to_string(*weight) + "\n");
        return {};
    }
    if (name == "cpu.max") {
        const std::vector<std::string> parts = words(text);
        if (parts.empty() || parts.size() > 2) return invalid();
        std::optional<std::uint64_t> period = number(words(slurp(file)).at(1));
        if (parts.size() == 2) period = number(parts[1]);
        const std::optional<std::uint64_t> quota = number(parts[0]);
        if (!period || *period < 1000 || *period > 1'000'000) return invalid();
        if (parts[0] != "max" && (!quota || *quota < 1000)) return invalid();
        store(file, parts[0] + " " + std::to_string(*period) + "\n");
        return {};
    }
    if (text == "max") {
        store(file, "max\n");
        return {};
    }
    auto limit = number(text);
    if (!limit) return invalid();
    if (name == "pids.max" && *limit > 4'194'304) return invalid();  // PID_MAX_LIMIT
    if (name.starts_with("memory.")) *limit -= *limit % 4096;        // whole pages
    store(file, std::to_string(*limit) + "\n");
    return {};
}

Status FakeCgroupFs::write_procs(const fs::path& dir, std::string_view text) {
    const auto requested = number(text);
    if (!requested) return sys_error("write", (dir / "cgroup.procs").string(), EINVAL);
    const pid_t pid = *requested == 0 ? ::getpid() : static_cast<pid_t>(*requested);
    if (!alive(pid)) return sys_error("write", (dir / "cgroup.procs").string(), ESRCH);
    // No internal processes: a group that gives controllers to its children holds no process itself.
    if (!is_root(dir) && !words(slurp(dir / "cgroup.subtree_control")).empty()) {
        return sys_error("write", (dir / "cgroup.procs").string(), EBUSY);
    }
    const auto leave = [pid](const auto& self, FakeCgroupFs& fake, const fs::path& group) -> void {
        std::vector<pid_t> pids = pids_of(group);
        if (const auto found = std::ranges::find(pids, pid); found != pids.end()) {
            pids.erase(found);
            set_pids(group, pids);
        }
        for (const auto& sub : fake.subdirs(group)) self(self, fake, group / sub);
    };
    leave(leave, *this, root_);
    std::vector<pid_t> pids = pids_of(dir);
    pids.push_back(pid);
    set_pids(dir, pids);
    return {};
}

Status FakeCgroupFs::write_subtree_control(const fs::path& dir, std::string_view text) {
    const fs::path file = dir / "cgroup.subtree_control";
    const std::vector<std::string> available = words(slurp(dir / "cgroup.controllers"));
    std::vector<std::string> enabled = words(slurp(file));
    std::vector<std::string> enable;
    std::vector<std::string> disable;
    for (const auto& token : words(text)) {
        if (token.size() < 2 || (token[0] != '+' && token[0] != '-')) return sys_error("write", file.string(), EINVAL);
        const std::string controller = token.substr(1);
        if (!contains(kKernelOrder, controller)) return sys_error("write", file.string(), EINVAL);
        if (!contains(available, controller)) return sys_error("write", file.string(), ENOENT);
        (token[0] == '+' ? enable : disable).push_back(controller);
    }
    std::erase_if(enable, [&](const std::string& controller) { return contains(enabled, controller); });
    std::erase_if(disable, [&](const std::string& controller) { return !contains(enabled, controller); });
    if (!enable.empty() && !is_root(dir) && !pids_of(dir).empty()) return sys_error("write", file.string(), EBUSY);
    for (const auto& sub : subdirs(dir)) {
        const std::vector<std::string> below = words(slurp(dir / sub / "cgroup.subtree_control"));
        for (const auto& controller : disable) {
            if (contains(below, controller)) return sys_error("write", file.string(), EBUSY);
        }
    }
    std::erase_if(enabled, [&](const std::string& controller) { return contains(disable, controller); });
    enabled.insert(enabled.end(), enable.begin(), enable.end());
    store(file, print_list(enabled));
    for (const auto& sub : subdirs(dir)) {
        store(dir / sub / "cgroup.controllers", print_list(enabled));
        for (const auto& controller : enable) add_controller_files(dir / sub, controller);
        for (const auto& controller : disable) remove_controller_files(dir / sub, controller);
    }
    return {};
}

bool FakeCgroupFs::exists(const fs::path& path) { return fs::exists(path); }

std::vector<std::string> FakeCgroupFs::subdirs(const fs::path& dir) {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error)) {
        if (entry.is_directory()) names.push_back(entry.path().filename().string());
    }
    std::ranges::sort(names);
    return names;
}

void FakeCgroupFs::place(const fs::path& dir, pid_t pid) {
    reap();
    Status placed = write_procs(dir.lexically_normal(), std::to_string(pid));
    update_events();
    if (!placed) throw std::runtime_error("fake cgroupfs: " + placed.error().message());
}

std::string FakeCgroupFs::contents(const fs::path& file) const { return fs::is_regular_file(file) ? slurp(file) : ""; }

void FakeCgroupFs::set_contents(const fs::path& file, std::string_view text) {
    if (!fs::is_regular_file(file)) throw std::runtime_error("fake cgroupfs: no file " + file.string());
    store(file, text);
}

}  // namespace corral::test
