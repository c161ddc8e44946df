#include "supervisor/daemon/foreground_output.hpp"

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
        usable = usable && write_all(shared->fd, writing);
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

ForegroundOutput::~ForegroundOutput() {
    std::unique_lock lock(shared_->mutex);
    if (shared_->skipped > 0) shared_->pending += skipped_marker(shared_->skipped);
    shared_->stopping = true;
    shared_->wake.notify_all();
    // A terminal that takes nothing for this long is left behind with the thread blocked on it.
    shared_->done.wait_for(lock, kExitWait, [&] { return shared_->finished; });
}

std::string_view ForegroundOutput::color_of(std::string_view instance) {
    const std::string_view service = instance.substr(0, instance.rfind('#'));
    auto found = service_colors_.find(service);
    if (found == service_colors_.end()) {
        found = service_colors_.emplace(std::string(service), service_colors_.size() % kServiceColors.size()).first;
    }
    return kServiceColors[found->second];
}

void ForegroundOutput::lines(std::string_view instance, std::string_view stream, std::string_view lines) {
    width_ = std::max(width_, instance.size());
    const bool err = stream == "err";
    std::string prefix(color_ ? color_of(instance) : std::string_view());
    prefix.append(instance).append(width_ - instance.size(), ' ');
    if (color_) prefix.append(kReset);
    if (color_ && err) prefix.append(kErrColor);
    prefix.append(err ? " ! " : " | ");
    if (color_ && err) prefix.append(kReset);

    batch_.clear();
    std::size_t count = 0;
    for (std::size_t start = 0; start < lines.size(); ++count) {
        const std::size_t end = lines.find('\n', start);
        const std::size_t stop = end == std::string_view::npos ? lines.size() : end + 1;
        batch_.append(prefix).append(lines.substr(start, stop - start));
        if (end == std::string_view::npos) batch_.push_back('\n');
        start = stop;
    }
    std::lock_guard lock(shared_->mutex);
    if (shared_->pending.size() + batch_.size() > most_buffered_) {
        shared_->skipped += count;
        return;
    }
    if (shared_->skipped > 0) {
        shared_->pending += skipped_marker(shared_->skipped);
        shared_->skipped = 0;
    }
    shared_->pending += batch_;
    shared_->wake.notify_one();
}

}  // namespace corral::supervisor
