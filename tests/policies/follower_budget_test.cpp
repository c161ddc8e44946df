#include "policies/follower_budget.hpp"

#include <doctest/doctest.h>

#include <initializer_list>

using namespace corral::policies;

namespace {
constexpr std::size_t KiB = 1024;
constexpr std::size_t MiB = 1024 * KiB;
}  // namespace

TEST_CASE("follower budget: the share is the total split evenly, within the floor and the cap") {
    FollowerBudget budget({32 * MiB, 256 * KiB, 4 * MiB});
    struct Row {
        std::size_t followers;
        std::size_t share;
    };
    for (const Row row : {Row{0, 4 * MiB}, Row{1, 4 * MiB}, Row{8, 4 * MiB}, Row{16, 2 * MiB}, Row{64, 512 * KiB},
                          Row{128, 256 * KiB}, Row{200, 256 * KiB}, Row{1000, 256 * KiB}}) {
        CAPTURE(row.followers);
        FollowerBudget b({32 * MiB, 256 * KiB, 4 * MiB});
        for (std::size_t i = 0; i < row.followers; ++i) b.join();
        CHECK(b.followers() == row.followers);
        CHECK(b.share() == row.share);
    }
    CHECK(budget.share() == 4 * MiB);
}

TEST_CASE("follower budget: shares grow again as followers leave, and leaving never goes below zero") {
    FollowerBudget budget({32 * MiB, 256 * KiB, 4 * MiB});
    for (int i = 0; i < 200; ++i) budget.join();
    CHECK(budget.share() == 256 * KiB);
    for (int i = 0; i < 190; ++i) budget.leave();
    CHECK(budget.share() == 32 * MiB / 10);
    for (int i = 0; i < 20; ++i) budget.leave();
    CHECK(budget.followers() == 0);
    CHECK(budget.share() == 4 * MiB);
}

TEST_CASE("follower budget: a cap below the floor wins") {
    FollowerBudget budget({32 * MiB, 1 * MiB, 64 * KiB});
    for (int i = 0; i < 1000; ++i) budget.join();
    CHECK(budget.share() == 64 * KiB);
}

TEST_CASE("follower budget: a follower is over past its share, or above the floor once the budget is spent") {
    FollowerBudget budget({1 * MiB, 64 * KiB, 512 * KiB});
    for (int i = 0; i < 4; ++i) budget.join();  // a share of 256 KiB
    CHECK_FALSE(budget.over(200 * KiB, 50 * KiB));
    CHECK(budget.over(200 * KiB, 57 * KiB));
    budget.hold(1 * MiB - 10 * KiB);  // the budget is nearly spent
    CHECK_FALSE(budget.over(100 * KiB, 10 * KiB));
    CHECK(budget.over(100 * KiB, 11 * KiB));  // spent, and it holds more than the floor
    CHECK_FALSE(budget.over(10 * KiB, 11 * KiB));  // spent, but it holds less than the floor
    for (int i = 0; i < 60; ++i) budget.join();  // 64 followers x 64 KiB: the floors make 4 MiB
    CHECK_FALSE(budget.over(60 * KiB, 4 * KiB));
    CHECK(budget.over(60 * KiB, 5 * KiB));
}

TEST_CASE("follower budget: held bytes are counted and never go negative") {
    FollowerBudget budget;
    budget.hold(100);
    budget.hold(50);
    CHECK(budget.held() == 150);
    budget.release(120);
    CHECK(budget.held() == 30);
    budget.release(1000);
    CHECK(budget.held() == 0);
}

TEST_CASE("follower budget: freed memory asks for one trim per threshold crossed") {
    FollowerBudget budget;
    budget.freed(3 * MiB);
    CHECK_FALSE(budget.trim_due(4 * MiB));
    budget.freed(2 * MiB);
    CHECK(budget.trim_due(4 * MiB));
    CHECK_FALSE(budget.trim_due(4 * MiB));  // counting starts again after a trim
    budget.freed(1 * MiB);
    CHECK_FALSE(budget.trim_due(4 * MiB));
    budget.freed(3 * MiB);
    CHECK(budget.trim_due(4 * MiB));
}
