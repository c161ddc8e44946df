#include "policies/signal_names.hpp"

#include <csignal>
#include <string>

namespace corral::policies {
namespace {

struct NamedSignal {
    int number;
    std::string_view name;
};

constexpr NamedSignal kSignals[] = {
    {SIGHUP, "SIGHUP"},       {SIGINT, "SIGINT"},     {SIGQUIT, "SIGQUIT"},   {SIGILL, "SIGILL"},
    {SIGTRAP, "SIGTRAP"},     {SIGABRT, "SIGABRT"},   {SIGBUS, "SIGBUS"},     {SIGFPE, "SIGFPE"},
    {SIGKILL, "SIGKILL"},     {SIGUSR1, "SIGUSR1"},   {SIGSEGV, "SIGSEGV"},   {SIGUSR2, "SIGUSR2"},
    {SIGPIPE, "SIGPIPE"},     {SIGALRM, "SIGALRM"},   {SIGTERM, "SIGTERM"},   {SIGCHLD, "SIGCHLD"},
    {SIGCONT, "SIGCONT"},     {SIGSTOP, "SIGSTOP"},   {SIGTSTP, "SIGTSTP"},   {SIGTTIN, "SIGTTIN"},
    {SIGTTOU, "SIGTTOU"},     {SIGURG, "SIGURG"},     {SIGXCPU, "SIGXCPU"},   {SIGXFSZ, "SIGXFSZ"},
    {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"},   {SIGWINCH, "SIGWINCH"}, {SIGIO, "SIGIO"},
    {SIGPWR, "SIGPWR"},       {SIGSYS, "SIGSYS"},
};

}  // namespace

std::string signal_name(int signal) {
    for (const auto& s : kSignals) {
        if (s.number == signal) return std::string(s.name);
    }
    return "signal " + std::to_string(signal);
}

std::optional<int> signal_from_name(std::string_view name) {
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos && name.size() <= 2) {
        const int number = std::stoi(std::string(name));
        if (number >= 1 && number < NSIG) return number;
        return std::nullopt;
    }
    for (const auto& s : kSignals) {
        if (s.name == name || s.name.substr(3) == name) return s.number;
    }
    return std::nullopt;
}

}  // namespace corral::policies
