#pragma once
// A directory tree in a temp dir that behaves like cgroupfs (cgroup2) for the calls corral makes, so that
// the pure v2 driver can be tested on hosts without a delegated cgroup2 tree.
//
// What it mimics, as the kernel does it:
//  - make_dir() creates the interface files: cgroup.procs, cgroup.controllers (= the parent's
//    cgroup.subtree_control), cgroup.subtree_control, cgroup.events, cgroup.freeze, cgroup.kill (when
//    the kernel has it), PSI files, and the files of every controller the parent enables;
//  - write() never creates a file (ENOENT), refuses read-only files (EACCES) and malformed values
//    (EINVAL, ERANGE for cpu.weight), rounds memory limits down to pages;
//  - cgroup.subtree_control: "+c" of a controller not in cgroup.controllers is ENOENT (EINVAL for a name
//    the kernel does not know); enabling while the group itself holds a process is EBUSY (no internal
//    processes; the root is exempt); enabling or disabling adds or removes the children's control files;
//  - cgroup.procs: the pid leaves every other group; EBUSY for a non-root group with controllers enabled
//    in its subtree_control; ESRCH for a pid that does not exist;
//  - cgroup.events "populated" follows the processes of the group and its descendants, "frozen" follows
//    cgroup.freeze of the group and its ancestors; a process that has exited (or is a zombie) leaves its
//    group, as in the kernel;
//  - cgroup.kill empties the group and its descendants (no signal is sent: the processes are the test's);
//  - remove_dir() is EBUSY while the group has sub-groups or processes, and removes the interface files.
// Pids must be of real processes (the test's own, or children it forks), since exits are observed.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "supervisor/cgroup/cgroup_fs.hpp"

namespace corral::test {

class FakeCgroupFs final : public supervisor::cgroup::CgroupFs {
public:
    struct Features {
        bool kill = true;  // cgroup.kill exists (Linux 5.14+)
        bool swap = true;  // memory.swap.max exists (swap accounting)
    };

    // `root` becomes the root group (created if missing) with `controllers` available.
    FakeCgroupFs(std::filesystem::path root, std::vector<std::string> controllers, Features features);
    FakeCgroupFs(std::filesystem::path root, std::vector<std::string> controllers)
        : FakeCgroupFs(std::move(root), std::move(controllers), Features{}) {}

    Status make_dir(const std::filesystem::path& dir) override;
    Status remove_dir(const std::filesystem::path& dir) override;
    Result<std::string> read(const std::filesystem::path& file) override;
    Status write(const std::filesystem::path& file, std::string_view value) override;
    bool exists(const std::filesystem::path& path) override;
    std::vector<std::string> subdirs(const std::filesystem::path& dir) override;

    // Test helpers.
    const std::filesystem::path& root() const { return root_; }
    // Puts `pid` into `dir` as a write to its cgroup.procs would; throws when the kernel would refuse.
    void place(const std::filesystem::path& dir, pid_t pid);
    // A file's contents as stored ("" when missing), without the checks of read().
    std::string contents(const std::filesystem::path& file) const;
    // Changes a file the kernel maintains (memory.stat, memory.current, ...); the file must exist.
    void set_contents(const std::filesystem::path& file, std::string_view text);

    struct Write {
        std::filesystem::path file;
        std::string value;
        int error = 0;  // errno, 0 when the write succeeded
    };
    // Every write() call, in order.
    const std::vector<Write>& writes() const { return writes_; }

    // From now on, every read and write of a file named `file_name` (in any group) fails with `error`, as
    // they do at the descriptor limit (EMFILE); error 0 lifts it.
    void fail_files(const std::string& file_name, int error);

private:
    Status write_checked(const std::filesystem::path& file, std::string_view value);
    Status write_procs(const std::filesystem::path& dir, std::string_view value);
    Status write_subtree_control(const std::filesystem::path& dir, std::string_view value);
    Status write_limit(const std::filesystem::path& file, std::string_view value);
    void add_interface_files(const std::filesystem::path& dir);
    void add_controller_files(const std::filesystem::path& dir, const std::string& controller);
    void remove_controller_files(const std::filesystem::path& dir, const std::string& controller);
    bool is_group(const std::filesystem::path& dir) const;
    bool is_root(const std::filesystem::path& dir) const;
    void reap();
    void update_events();

    std::filesystem::path root_;
    Features features_;
    std::vector<Write> writes_;
    std::vector<std::pair<std::string, int>> failing_;
    int injected_error(const std::filesystem::path& file) const;
};

}  // namespace corral::test
