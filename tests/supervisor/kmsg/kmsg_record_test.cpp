#include "supervisor/kmsg/kmsg_record.hpp"

#include <doctest/doctest.h>

#include <string>

using corral::supervisor::kmsg::parse_kmsg_record;

TEST_CASE("kmsg record: header fields and the message") {
    const auto record = parse_kmsg_record(
        "6,1234,3305339454,-;Memory cgroup out of memory: Killed process 5859 (node) total-vm:1246248kB\n");
    REQUIRE(record);
    CHECK(record->facility == 0);
    CHECK(record->level == 6);
    CHECK(record->from_kernel());
    CHECK(record->seq == 1234);
    CHECK(record->timestamp_us == 3305339454ULL);
    CHECK(record->message == "Memory cgroup out of memory: Killed process 5859 (node) total-vm:1246248kB");
}

TEST_CASE("kmsg record: continuation lines are dropped and more header fields are allowed") {
    const auto record = parse_kmsg_record(
        "3,1141,3305339454,c,caller=T5859;usb 1-1: new device\n SUBSYSTEM=usb\n DEVICE=c189:1\n");
    REQUIRE(record);
    CHECK(record->level == 3);
    CHECK(record->seq == 1141);
    CHECK(record->message == "usb 1-1: new device");
}

TEST_CASE("kmsg record: escaped bytes stay as the kernel wrote them") {
    const auto record = parse_kmsg_record("4,7,100,-;line one\\x0aline two; still the message\n");
    REQUIRE(record);
    CHECK(record->message == "line one\\x0aline two; still the message");
}

TEST_CASE("kmsg record: messages from user space carry their facility") {
    const auto record = parse_kmsg_record("14,9,100,-;systemd[1]: Started corral.service.");
    REQUIRE(record);
    CHECK(record->facility == 1);
    CHECK(record->level == 6);
    CHECK_FALSE(record->from_kernel());
    CHECK(record->message == "systemd[1]: Started corral.service.");
}

TEST_CASE("kmsg record: an empty message is still a record") {
    const auto record = parse_kmsg_record("6,10,20,-;\n");
    REQUIRE(record);
    CHECK(record->message.empty());
}

TEST_CASE("kmsg record: malformed input is refused without crashing") {
    for (const char* raw : {"", ";", "\n", "no header at all", "6,1234,3305339454;missing flags",
                            "6,1234;too short", "x,1,2,-;prio not a number", "6,-1,2,-;negative seq",
                            "6,1,2x,-;trailing garbage in the timestamp", "6,,2,-;empty seq",
                            "6,1,2,;empty flags", "6,1,2\n,-;header across lines", " SUBSYSTEM=usb;x",
                            "99999999999999999999999,1,2,-;prio overflows", "6,1,99999999999999999999999,-;x",
                            "4096,1,2,-;prio out of range"}) {
        CAPTURE(raw);
        CHECK_FALSE(parse_kmsg_record(raw));
    }
}
