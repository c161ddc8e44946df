#pragma once
// A pure cgroup v2 host as systemd lays it out, on a FakeCgroupFs: the root gives `delegated` to
// system.slice, which gives them to corral.service (the daemon's cgroup, holding the test process as
// the daemon). Options for the driver point at it.
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "supervisor/cgroup/cgroup2_ops.hpp"
#include "supervisor/cgroup/driver.hpp"
#include "tests/support/fake_cgroupfs.hpp"
#include "tests/support/temp_dir.hpp"

namespace corral::test {

class FakeV2Host {
public:
    explicit FakeV2Host(std::vector<std::string> delegated = {"memory", "pids", "cpu"},
                        FakeCgroupFs::Features features = {})
        : fs(dir_ / "cgroup", {"cpuset", "cpu", "io", "memory", "hugetlb", "pids"}, features),
          base(fs.root() / "system.slice" / "corral.service"),
          top(base / "corral-test") {
        require(supervisor::cgroup::v2::enable_controllers(fs, fs.root(), delegated));
        require(fs.make_dir(fs.root() / "system.slice"));
        require(supervisor::cgroup::v2::enable_controllers(fs, fs.root() / "system.slice", delegated));
        require(fs.make_dir(base));
        fs.place(base, ::getpid());
    }

    supervisor::cgroup::DriverOptions options() {
        supervisor::cgroup::DriverOptions options;
        options.root = fs.root();
        options.top = "corral-test";
        options.self_cgroup = "1:name=systemd:/system.slice/corral.service\n0::/system.slice/corral.service\n";
        options.self = ::getpid();
        options.fs = &fs;
        options.assume_v2 = true;
        return options;
    }

    std::unique_ptr<supervisor::cgroup::Driver> open() {
        auto driver = supervisor::cgroup::open_driver(options());
        if (!driver) throw std::runtime_error(driver.error().message());
        return std::move(*driver);
    }

    static void require(const Status& status) {
        if (!status) throw std::runtime_error(status.error().message());
    }

private:
    TempDir dir_;

public:
    FakeCgroupFs fs;
    std::filesystem::path base;  // <root>/system.slice/corral.service
    std::filesystem::path top;   // <base>/corral-test
};

}  // namespace corral::test
