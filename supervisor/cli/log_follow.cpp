#include "supervisor/cli/log_follow.hpp"

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "base/exit_codes.hpp"
#include "supervisor/cli/log_files.hpp"

namespace corral::supervisor::cli {
namespace fs = std::filesystem;

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(250);
constexpr std::size_t kMostPartial = 64 * 1024;  // as the daemon cuts lines

struct Followed {
    std::uint64_t offset = 0;
    std::string partial;  // the start of a line not yet ended
};

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Prints the whole lines appended to `file` since `followed.offset`.
void read_new(const LogFileName& file, Followed& followed, const std::function<void(const LogLine&)>& print) {
    std::error_code ec;
    const std::uint64_t size = fs::file_size(file.path, ec);
    if (ec) return;
    if (size < followed.offset) followed = {};  // rotated or flushed
    if (size == followed.offset) return;
    std::ifstream in(file.path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(followed.offset));
    std::string text(size - followed.offset, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    followed.offset += text.size();
    followed.partial += text;
    std::size_t start = 0;
    const std::int64_t now = now_ms();
    for (std::size_t end; (end = followed.partial.find('\n', start)) != std::string::npos; start = end + 1) {
        print(decode_log_line(std::string_view(followed.partial).substr(start, end - start), file.instance(),
                              file.stream, now));
    }
    followed.partial.erase(0, start);
    if (followed.partial.size() > kMostPartial) followed.partial.clear();
}

}  // namespace

int follow_log_files(const fs::path& dir, const protocol::Target& target, protocol::LogStream streams,
                     const std::function<void(const LogLine&)>& print) {
    std::map<fs::path, Followed> followed;
    for (const LogFileName& file : find_log_files(dir, target, streams)) {
        std::error_code ec;
        followed[file.path].offset = fs::file_size(file.path, ec);
    }
    while (true) {
        std::this_thread::sleep_for(kPollInterval);
        // Files that appear later (an instance added) are read from their start.
        for (const LogFileName& file : find_log_files(dir, target, streams)) read_new(file, followed[file.path], print);
    }
    return kExitOk;
}

}  // namespace corral::supervisor::cli
