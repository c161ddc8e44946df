// The unit text of `corral startup`, its names and its quoting.
#include <doctest/doctest.h>

#include "supervisor/cli/systemd_unit.hpp"

using namespace corral::supervisor::cli;

TEST_CASE("the unit runs corral up in the foreground as a notify service with its cgroup subtree delegated") {
    UnitSettings settings;
    settings.corral = "/usr/local/bin/corral";
    settings.file = "/srv/app/corral.toml";
    settings.stop_timeout = std::chrono::seconds(40);
    settings.path_env = "/usr/bin:/bin";
    const std::string text = unit_text(settings);
    for (const char* line : {"Type=notify\n", "NotifyAccess=main\n", "ExecStart=/usr/local/bin/corral up /srv/app/corral.toml\n",
                             "ExecReload=/usr/local/bin/corral reload -c /srv/app/corral.toml\n",
                             "WorkingDirectory=/srv/app\n", "Delegate=yes\n", "OOMPolicy=continue\n",
                             "KillMode=control-group\n", "TimeoutStopSec=40\n", "Restart=on-failure\n",
                             "Environment=\"PATH=/usr/bin:/bin\"\n", "WantedBy=multi-user.target\n"}) {
        CHECK_MESSAGE(text.find(line) != std::string::npos, line);
    }
    CHECK(text.find("User=") == std::string::npos);
    settings.user_unit = true;
    settings.user = "ann";
    settings.group = "staff";
    const std::string user = unit_text(settings);
    CHECK(user.find("WantedBy=default.target\n") != std::string::npos);
    CHECK(user.find("User=ann\nGroup=staff\n") != std::string::npos);
}

TEST_CASE("paths with blanks, quotes, percent and dollar signs reach ExecStart as they are") {
    CHECK(exec_argument("/srv/app/corral.toml") == "/srv/app/corral.toml");
    CHECK(exec_argument("/srv/my app/corral.toml") == "\"/srv/my app/corral.toml\"");
    CHECK(exec_argument("/srv/100%/$HOME") == "/srv/100%%/$$HOME");
    CHECK(exec_argument("a\"b") == "\"a\\\"b\"");
    UnitSettings settings;
    settings.corral = "/opt/corral";
    settings.file = "/srv/50% off/corral.toml";
    CHECK(unit_text(settings).find("WorkingDirectory=/srv/50%% off\n") != std::string::npos);
}

TEST_CASE("unit names: corral-NAME.service from the file or --name, refused when systemd would refuse them") {
    std::string why;
    CHECK(unit_file_name("api", why) == "corral-api.service");
    CHECK(unit_file_name("shop.service", why) == "shop.service");
    CHECK(unit_file_name("my app", why).empty());
    CHECK(why.find("letters, digits") != std::string::npos);
    CHECK(unit_file_name(".service", why).empty());
    CHECK(default_unit_name("/srv/shop/corral.toml") == "shop");
    CHECK(default_unit_name("/srv/shop/api.toml") == "api");
    CHECK(default_unit_name("/srv/my shop/corral.toml") == "my-shop");
}
