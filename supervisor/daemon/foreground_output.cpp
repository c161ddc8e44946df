#include "supervisor/daemon/foreground_output.hpp"

#include <limits.h>
#include <unistd.h>

#include <array>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace corral::supervisor {

struct ForegroundOutput::Shared {
    int fd = -1;
    std::mutex mutex;
    std::condition_variable wake;  // the writer: something to write, or stop
    std::condition_variable done;  // the owner: the writer has finished
    std::string pending;           // formatted lines not yet taken by the writer
    std::size_t skipped = 0;       // lines dropped since the last marker
    bool stopping = false;
    bool finished = false;
};

namespace {

constexpr std::array<std::string_view, 6> kServiceColors = {"\033[36m", "\033[33m", "\033[32m",
                                                            "\033[35m", "\033[34m", "\033[96m"};
constexpr std::string_view kErrColor = "\033[31m";
constexpr std::string_view kReset = "\033[0m";
constexpr auto kExitWait = std::chrono::seconds(2);

std::string skipped_marker(std::size_t count) { return "[" + std::to_string(count) + " lines skipped]\n"; }

// False once the descriptor is unusable (EPIPE: nobody reads stdout any more).
bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Whole lines, PIPE_BUF bytes at most per write where the lines allow (a longer line is written alone):
// such a write to a pipe is atomic, so another writer's line never lands inside one of these.
bool write_lines(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        std::size_t size = bytes.size();
        if (size > PIPE_BUF) {
            const std::size_t last = bytes.rfind('\n', PIPE_BUF - 1);
            const std::size_t first = bytes.find('\n');
            size = last != std::string_view::npos    ? last + 1
                   : first != std::string_view::npos ? first + 1
                                                     : bytes.size();
        }
        if (!write_all(fd, bytes.substr(0, size))) return false;
        bytes.remove_prefix(size);
    }
    return true;
}

void write_until_stopped(const std::shared_ptr<ForegroundOutput::Shared>& shared) {
    std::string writing;
    bool usable = true;
    std::unique_lock lock(shared->mutex);
    while (true) {
        shared->wake.wait(lock, [&] { return !shared->pending.empty() || shared->stopping; });
        if (shared->pending.empty()) break;
        writing.swap(shared->pending);
        shared->pending.clear();
        lock.unlock();
        usable = usable && write_lines(shared->fd, writing);
        writing.clear();
        lock.lock();
    }
    shared->finished = true;
    shared->done.notify_all();
}

}  // namespace

ForegroundOutput::ForegroundOutput(int fd, bool color, std::size_t most_buffered)
    : shared_(std::make_shared<Shared>()), color_(color), most_buffered_(most_buffered) {
    shared_->fd = fd;
    std::thread(write_until_stopped, shared_).detach();
}

ForegroundOutput::ForegroundOutput(int out_fd, int err_fd, std::size_t most_buffered)
    : ForegroundOutput(out_fd, false, most_buffered) {
    err_shared_ = std::make_shared<Shared>();
    err_shared_->fd = err_fd;
    std::thread(write_until_stopped, err_shared_).detach();
}

namespace {

void stop_writer(ForegroundOutput::Shared& shared, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(shared.mutex);
    if (shared.skipped > 0) shared.pending += skipped_marker(shared.skipped);
    shared.stopping = true;
    shared.wake.notify_all();
    // A terminal that takes nothing until then is left behind with the thread blocked on it.
    shared.done.wait_until(lock, deadline, [&] { return shared.finished; });
}

}  // namespace

ForegroundOutput::~ForegroundOutput() {
    const auto deadline = std::chrono::steady_clock::now() + kExitWait;
    stop_writer(*shared_, deadline);
    if (err_shared_) stop_writer(*err_shared_, deadline);
}

std::string_view ForegroundOutput::color_of(std::string_view instance) {
    const std::string_view service = instance.substr(0, instance.rfind('#'));
    auto found = service_colors_.find(service);
    if (found == service_colors_.end()) {
        found = service_colors_.emplace(std::string(service), service_colors_.size() % kServiceColors.size()).first;
    }
    return kServiceColors[found->second];
}

std::string ForegroundOutput::prefix_of(std::string_view instance, bool err) {
    std::string prefix(instance);
    if (err_shared_) return prefix.append(" | ");
    width_ = std::max(width_, instance.size());
    if (color_) prefix.insert(0, color_of(instance));
    prefix.append(width_ - instance.size(), ' ');
    if (color_) prefix.append(kReset);
    if (color_ && err) prefix.append(kErrColor);
    prefix.append(err ? " ! " : " | ");
    if (color_ && err) prefix.append(kReset);
    return prefix;
}

void ForegroundOutput::lines(std::string_view instance, std::string_view stream, std::string_view lines) {
    const bool err = stream == "err";
    const std::string prefix = prefix_of(instance, err);
    batch_.clear();
    std::size_t count = 0;
    for (std::size_t start = 0; start < lines.size(); ++count) {
        const std::size_t end = lines.find('\n', start);
        const std::size_t stop = end == std::string_view::npos ? lines.size() : end + 1;
        batch_.append(prefix).append(lines.substr(start, stop - start));
        if (end == std::string_view::npos) batch_.push_back('\n');
        start = stop;
    }
    append(err && err_shared_ ? *err_shared_ : *shared_, count);
}

void ForegroundOutput::append(Shared& shared, std::size_t count) {
    std::lock_guard lock(shared.mutex);
    if (shared.pending.size() + batch_.size() > most_buffered_) {
        shared.skipped += count;
        return;
    }
    if (shared.skipped > 0) {
        shared.pending += skipped_marker(shared.skipped);
        shared.skipped = 0;
    }
    shared.pending += batch_;
    shared.wake.notify_one();
}

}  // namespace corral::supervisor
