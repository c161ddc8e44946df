#include "supervisor/cli/client_session.hpp"

#include <cstdio>

#include "supervisor/cli/reply_views.hpp"
#include "supervisor/cli/socket_path.hpp"

namespace corral::supervisor::cli {

namespace {

std::string_view code_of(ClientError::Kind kind) {
    switch (kind) {
        case ClientError::Kind::no_daemon: return "no_daemon";
        case ClientError::Kind::timeout: return "timeout";
        case ClientError::Kind::closed: return "disconnected";
        case ClientError::Kind::bad_reply: return "bad_reply";
        case ClientError::Kind::io: break;
    }
    return "io_error";
}

void print_error(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

}  // namespace

void print(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

void print_json(const Json& json) { print(json.dump(2) + "\n"); }

std::optional<protocol::Target> read_target(std::string_view cmd, const std::string& text) {
    std::string error;
    auto target = protocol::parse_target(text, error);
    if (!target) print_error("corral " + std::string(cmd) + ": " + error + "\n");
    return target;
}

bool Session::connect(bool quiet_if_none) {
    auto client = ControlClient::connect(options_.socket);
    if (!client) {
        no_daemon_ = client.error().kind == ClientError::Kind::no_daemon;
        connect_error_ = client.error();
        if (no_daemon_ && quiet_if_none) {
            exit_code_ = kExitNoDaemon;
            return false;
        }
        fail(client.error());
        return false;
    }
    client_.emplace(std::move(*client));
    return true;
}

std::optional<Json> Session::call(const protocol::Command& command) {
    auto reply = client_->request(command);
    if (!reply) {
        fail(reply.error());
        return std::nullopt;
    }
    if (reply->value("ok", false)) {
        const auto result = reply->find("result");
        return result != reply->end() ? *result : Json::object();
    }
    const auto error = reply->find("error");
    fail_reply(error != reply->end() ? *error : Json{{"code", "failed"}, {"message", "the daemon said no"}});
    return std::nullopt;
}

void Session::fail(const ClientError& error) {
    const bool none = error.kind == ClientError::Kind::no_daemon;
    exit_code_ = none ? kExitNoDaemon : kExitFailed;
    const std::string where = display_path(options_.socket);
    const std::string message = none ? "no daemon is running at " + where : error.message;
    if (options_.json) {
        print_error_json(Json{{"error", Json{{"code", code_of(error.kind)}, {"message", message}}}});
    } else if (none) {
        print_error("corral: " + message + " (start one with: corral up -d)\n");
    } else {
        print_error("corral " + command_ + ": " + message + "\n");
    }
}

void Session::print_error_json(const Json& error) const { json_lines_ ? print(error.dump() + "\n") : print_json(error); }

void Session::fail_reply(const Json& error) {
    exit_code_ = kExitFailed;
    if (options_.json) {
        print_error_json(Json{{"error", error}});
    } else {
        print_error(render_error(command_, error));
    }
}

}  // namespace corral::supervisor::cli
