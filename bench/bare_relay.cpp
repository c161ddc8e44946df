// The floor of any relay between two Node IPC channels on this machine: a third process that copies bytes
// and does nothing else (no framing, no validation, no queues beyond one buffer each way).
// Usage: FIRST_ROLE=a SECOND_ROLE=b bare_relay NODE SCRIPT. Starts two `NODE SCRIPT` children, each with
// one end of its own socketpair as fd 3 (NODE_CHANNEL_FD=3), the rest of this process's environment, and
// ROLE=FIRST_ROLE / ROLE=SECOND_ROLE. With FIRST_CGROUPS / SECOND_CGROUPS (cgroup directories separated by
// ':', made and limited by the caller), each child joins those cgroups before its exec, as a supervisor's
// exec shim does: the relay then pays what a per-process cgroup costs the messages, and nothing else.
// Copies bytes both ways with epoll + read + write until either side reaches EOF (or an error) or
// SIGTERM/SIGINT arrives; then SIGKILLs both children by PID and reaps them.
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>  // environ (with _GNU_SOURCE, which g++ and clang++ define for C++)

#include "base/unique_fd.hpp"

using corral::UniqueFd;

namespace {

// Bytes read from channel i that channel 1 - i has not taken yet.
struct Way {
  static constexpr size_t capacity = 256 * 1024;
  char data[capacity];
  size_t begin = 0, end = 0;
  bool pending() const { return begin < end; }
};

// Writes "0" (the writer itself) to each of `procs_files`; async-signal-safe.
bool join_cgroups(const std::vector<std::string>& procs_files) {
  for (const std::string& file : procs_files) {
    int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool written = write(fd, "0", 1) == 1;
    close(fd);
    if (!written) return false;
  }
  return true;
}

// "a:b" -> {"a/cgroup.procs", "b/cgroup.procs"}; nothing for null or "".
std::vector<std::string> procs_files(const char* dirs) {
  std::vector<std::string> files;
  for (const char* p = dirs; p != nullptr && *p != '\0';) {
    const char* end = strchr(p, ':');
    const std::string dir = end == nullptr ? std::string(p) : std::string(p, end);
    if (!dir.empty()) files.push_back(dir + "/cgroup.procs");
    p = end == nullptr ? nullptr : end + 1;
  }
  return files;
}

// Forks `node script` with `channel` as fd 3, in `cgroups` (see procs_files). The environment is built
// before fork(): only async-signal-safe calls in the child.
pid_t start(const char* node, const char* script, int channel, const char* role, const char* cgroups,
            const sigset_t& mask) {
  const std::vector<std::string> cgroup_files = procs_files(cgroups);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    if (strncmp(*e, "NODE_CHANNEL_FD=", 16) != 0 && (role == nullptr || strncmp(*e, "ROLE=", 5) != 0))
      env.emplace_back(*e);
  env.emplace_back("NODE_CHANNEL_FD=3");
  if (role != nullptr) env.emplace_back(std::string("ROLE=") + role);
  std::vector<char*> envp;
  for (auto& entry : env) envp.push_back(entry.data());
  envp.push_back(nullptr);
  char* argv[] = {const_cast<char*>(node), const_cast<char*>(script), nullptr};
  pid_t pid = fork();
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &mask, nullptr);
    if (!join_cgroups(cgroup_files)) _exit(126);
    // Every descriptor here is close-on-exec; fd 3 must not be (dup2 onto itself would leave the flag).
    if ((channel == 3 ? fcntl(3, F_SETFD, 0) : dup2(channel, 3)) < 0) _exit(127);
    execve(node, argv, envp.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return fprintf(stderr, "usage: FIRST_ROLE=a SECOND_ROLE=b bare_relay NODE SCRIPT\n"), 2;
  // SIGTERM/SIGINT arrive through a signalfd; the children get the original mask back before exec.
  sigset_t stop, original;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, &original);

  int pairs[2][2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pairs[0]) != 0 ||
      socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pairs[1]) != 0)
    return perror("bare_relay: socketpair"), 1;
  UniqueFd mine[2]{UniqueFd(pairs[0][0]), UniqueFd(pairs[1][0])};
  pid_t children[2] = {-1, -1};
  const char* roles[2] = {getenv("FIRST_ROLE"), getenv("SECOND_ROLE")};
  const char* cgroups[2] = {getenv("FIRST_CGROUPS"), getenv("SECOND_CGROUPS")};
  for (int i = 0; i < 2; ++i) {
    children[i] = start(argv[1], argv[2], pairs[i][1], roles[i], cgroups[i], original);
    close(pairs[i][1]);
  }

  UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  UniqueFd signals(signalfd(-1, &stop, SFD_CLOEXEC));
  epoll_event signal_event{EPOLLIN, {.u32 = 2}};
  bool running = children[0] > 0 && children[1] > 0 && epoll && signals &&
                 epoll_ctl(epoll.get(), EPOLL_CTL_ADD, signals.get(), &signal_event) == 0;
  for (auto& fd : mine) running = running && fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) | O_NONBLOCK) == 0;

  static Way ways[2];  // ways[i]: from channel i to channel 1 - i
  uint32_t interest[2] = {0, 0};
  // Channel i is read only while its way is empty, and watched for room only while the other way holds
  // bytes for it. With nothing to watch it leaves the epoll set, so that a hang-up cannot spin the loop.
  auto watch = [&](int i) {
    uint32_t want = (ways[i].pending() ? 0u : uint32_t(EPOLLIN)) |
                    (ways[1 - i].pending() ? uint32_t(EPOLLOUT) : 0u);
    if (want == interest[i]) return true;
    epoll_event event{};
    event.events = want;
    event.data.u32 = uint32_t(i);
    int op = interest[i] == 0 ? EPOLL_CTL_ADD : want == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    interest[i] = want;
    return epoll_ctl(epoll.get(), op, mine[i].get(), &event) == 0;
  };
  // Writes what way i holds to channel 1 - i; false on an error (EAGAIN just leaves the rest pending).
  auto flush = [&](int i) {
    Way& way = ways[i];
    while (way.pending()) {
      ssize_t n = send(mine[1 - i].get(), way.data + way.begin, way.end - way.begin, MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN || errno == EINTR;
      way.begin += size_t(n);
    }
    way.begin = way.end = 0;
    return true;
  };

  running = running && watch(0) && watch(1);
  while (running) {
    epoll_event events[3];
    int ready = epoll_wait(epoll.get(), events, 3, -1);
    if (ready < 0 && errno != EINTR) break;
    for (int k = 0; k < ready && running; ++k) {
      uint32_t what = events[k].events;
      int i = int(events[k].data.u32);
      if (i == 2) running = false;  // SIGTERM or SIGINT
      if (running && (what & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && ways[1 - i].pending())
        running = flush(1 - i);
      if (running && (what & (EPOLLIN | EPOLLERR | EPOLLHUP)) && !ways[i].pending()) {
        ssize_t n = read(mine[i].get(), ways[i].data, Way::capacity);
        if (n > 0) {
          ways[i].begin = 0;
          ways[i].end = size_t(n);
          running = flush(i);
        } else {
          running = n < 0 && (errno == EAGAIN || errno == EINTR);  // n == 0: EOF
        }
      }
    }
    running = running && watch(0) && watch(1);
  }

  for (pid_t child : children) if (child > 0) kill(child, SIGKILL);
  for (pid_t child : children) if (child > 0) waitpid(child, nullptr, 0);
  return 0;
}
