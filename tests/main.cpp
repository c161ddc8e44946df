// doctest's main, plus one guard: a run that selects no test case fails. ctest runs every case by name
// (--test-case=NAME); a name doctest cannot match (it splits filters at commas) would otherwise pass
// without running anything.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

int g_cases_run = 0;

struct CountingListener : doctest::IReporter {
    explicit CountingListener(const doctest::ContextOptions&) {}
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {}
    void test_case_start(const doctest::TestCaseData&) override { ++g_cases_run; }
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats&) override {}
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("counting", 1, CountingListener);

}  // namespace

// A test binary that re-runs itself as a child process (STYLE.md) defines this: it returns the child's
// exit code when argv is a child's command line, -1 otherwise. Weak: other binaries leave it null.
__attribute__((weak)) int corral_test_child_main(int argc, char** argv);

// Daemons that tests start register in a runtime directory of this test process (supervisor/registry/),
// never in the user's: a test's `corral ls` sees neither the developer's daemons nor other tests'.
class TestRuntimeDir {
public:
    TestRuntimeDir() {
        std::string path = (std::filesystem::temp_directory_path() / "corral-test-runtime-XXXXXX").string();
        if (::mkdtemp(path.data()) == nullptr) return;
        path_ = path;
        ::setenv("CORRAL_RUNTIME_DIR", path_.c_str(), 1);
    }
    ~TestRuntimeDir() {
        std::error_code ec;
        if (!path_.empty()) std::filesystem::remove_all(path_, ec);
    }

private:
    std::string path_;
};

int main(int argc, char** argv) {
    if (corral_test_child_main != nullptr) {
        if (const int code = corral_test_child_main(argc, argv); code >= 0) return code;
    }
    const TestRuntimeDir runtime_dir;
    doctest::Context context(argc, argv);
    const int result = context.run();
    if (context.shouldExit()) return result;
    if (g_cases_run == 0) {
        std::fprintf(stderr, "no test case matched the filters: nothing was tested\n");
        return 1;
    }
    return result;
}
