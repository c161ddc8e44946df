#include "supervisor/cli/pm2_import/node_eval.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.hpp"
#include "supervisor/cli/pm2_import/node_eval_script.hpp"

extern char** environ;

namespace corral::pm2 {
namespace {

constexpr std::size_t kMaxOutput = 64u << 20;

struct Pipe {
    UniqueFd read;
    UniqueFd write;
};

bool make_pipe(Pipe& pipe) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    pipe.read.reset(fds[0]);
    pipe.write.reset(fds[1]);
    return true;
}

struct Spawned {
    pid_t pid = -1;
    int error = 0;
};

Spawned spawn_node(const std::filesystem::path& file, const Pipe& out, const Pipe& err) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err.write.get(), STDERR_FILENO);
    const std::string dir = file.parent_path().string();
    posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
    posix_spawnattr_setpgroup(&attributes, 0);  // its own group: a timeout kills whatever it started
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    const std::string path = file.string();
    char* argv[] = {const_cast<char*>("node"), const_cast<char*>("-e"), const_cast<char*>(kNodeEvalScript),
                    const_cast<char*>(path.c_str()), nullptr};
    Spawned spawned;
    spawned.error = posix_spawnp(&spawned.pid, "node", &actions, &attributes, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    return spawned;
}

// Reads both pipes to their end or until the deadline; false on timeout.
bool collect(int out_fd, int err_fd, std::string& out, std::string& err, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    std::string* sinks[2] = {&out, &err};
    char buffer[65536];
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        const int ready = ::poll(fds, 2, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return false;  // the deadline, or poll itself failed: stop waiting either way
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0 && sinks[i]->size() < kMaxOutput) sinks[i]->append(buffer, static_cast<std::size_t>(n));
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) fds[i].fd = -1;
        }
    }
    return true;
}

NodeEval parse_answer(const std::string& out) {
    NodeEval result;
    const auto answer = nlohmann::json::parse(out, nullptr, false);
    if (answer.is_discarded() || !answer.is_object() || !answer.contains("config")) {
        result.error = "node printed something else than the ecosystem's JSON (does the file write to stdout?)";
        return result;
    }
    result.exports = answer["config"];
    for (const auto& item : answer.value("dropped", nlohmann::json::array())) {
        if (item.is_string()) result.dropped.push_back(item.get<std::string>());
    }
    return result;
}

}  // namespace

NodeEval eval_with_node(const std::filesystem::path& file, std::chrono::milliseconds timeout) {
    NodeEval result;
    Pipe out, err;
    if (!make_pipe(out) || !make_pipe(err)) {
        result.error = std::string("cannot make a pipe: ") + std::strerror(errno);
        return result;
    }
    const Spawned spawned = spawn_node(file, out, err);
    out.write.reset();
    err.write.reset();
    if (spawned.error != 0) {
        result.error = std::string("cannot run node (it reads .js ecosystem files): ") + std::strerror(spawned.error);
        return result;
    }
    std::string stdout_text, stderr_text;
    const bool finished = collect(out.read.get(), err.read.get(), stdout_text, stderr_text, timeout);
    if (!finished) ::kill(-spawned.pid, SIGKILL);
    int status = 0;
    while (::waitpid(spawned.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!finished) {
        result.error = "node did not finish evaluating it within " + std::to_string(timeout.count() / 1000) +
                       "s (killed)";
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        while (!stderr_text.empty() && stderr_text.back() == '\n') stderr_text.pop_back();
        result.error = "node could not evaluate it:\n" + (stderr_text.empty() ? "(no message)" : stderr_text);
    } else {
        result = parse_answer(stdout_text);
    }
    return result;
}

}  // namespace corral::pm2
