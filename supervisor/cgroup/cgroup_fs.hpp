#pragma once
// The file operations cgroup code performs, behind an interface: the real one talks to cgroupfs; tests of
// the code paths that cannot run on this machine (pure cgroup v2 with controllers) use a directory tree
// that mimics cgroupfs (tests/support/fake_cgroupfs).
//
// Semantics follow cgroupfs: write() never creates a file (a missing control file is ENOENT, which is
// how "this controller is not enabled here" shows), make_dir() of an existing directory is EEXIST,
// remove_dir() of a group with live processes is EBUSY.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/sys_result.hpp"

namespace corral::supervisor::cgroup {

namespace fs = std::filesystem;

class CgroupFs {
public:
    virtual ~CgroupFs() = default;

    virtual Status make_dir(const fs::path& dir) = 0;
    virtual Status remove_dir(const fs::path& dir) = 0;
    virtual Result<std::string> read(const fs::path& file) = 0;
    virtual Status write(const fs::path& file, std::string_view value) = 0;
    virtual bool exists(const fs::path& path) = 0;
    // Names of the sub-groups of `dir` (directories only).
    virtual std::vector<std::string> subdirs(const fs::path& dir) = 0;
};

// The real filesystem; one shared instance.
CgroupFs& real_cgroup_fs();

}  // namespace corral::supervisor::cgroup
