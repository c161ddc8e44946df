#include "supervisor/cli/log_files.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <set>
#include <tuple>

#include "supervisor/cli/client_session.hpp"
#include "supervisor/cli/log_follow.hpp"
#include "supervisor/cli/socket_path.hpp"
#include "supervisor/cli/sparkline.hpp"
#include "supervisor/cli/stream_views.hpp"

namespace corral::supervisor::cli {
namespace fs = std::filesystem;

namespace {

// "api-0.out.log" -> {api, 0, out}; nullopt for any other name (rotated files, indexes, ...).
std::optional<LogFileName> parse_log_name(const fs::path& path) {
    const std::string name = path.filename().string();
    std::string stream;
    if (name.ends_with(".out.log")) stream = "out";
    if (name.ends_with(".err.log")) stream = "err";
    if (stream.empty()) return std::nullopt;
    const std::string stem = name.substr(0, name.size() - 8);
    const std::size_t dash = stem.rfind('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 == stem.size()) return std::nullopt;
    const std::string index = stem.substr(dash + 1);
    if (!std::all_of(index.begin(), index.end(), ::isdigit) || index.size() > 6) return std::nullopt;
    return LogFileName{stem.substr(0, dash), static_cast<unsigned>(std::stoul(index)), stream, path};
}

Json line_json(const LogLine& line) {
    return {{"time", line.unix_ms > 0 ? Json(iso_utc_ms(line.unix_ms)) : Json()},
            {"instance", line.instance},
            {"stream", line.stream},
            {"line", line.line}};
}

}  // namespace

std::vector<LogFileName> find_log_files(const fs::path& dir, const protocol::Target& target,
                                        protocol::LogStream streams) {
    std::vector<LogFileName> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        auto name = parse_log_name(entry.path());
        if (!name) continue;
        if (!target.service.empty() && name->service != target.service) continue;
        if (target.index && name->index != *target.index) continue;
        if (streams == protocol::LogStream::out && name->stream != "out") continue;
        if (streams == protocol::LogStream::err && name->stream != "err") continue;
        found.push_back(std::move(*name));
    }
    std::sort(found.begin(), found.end(), [](const LogFileName& a, const LogFileName& b) {
        return std::tie(a.service, a.index, b.stream) < std::tie(b.service, b.index, a.stream);  // out first
    });
    return found;
}

int logs_from_files(const ClientOptions& options, const LogsOptions& logs, const protocol::Target& target,
                    const LogQuery& query) {
    const fs::path dir = options.socket.parent_path() / "logs";
    const std::vector<LogFileName> files = find_log_files(dir, target, logs.stream);
    std::fprintf(stderr, "corral logs: no daemon answered at %s; reading the files in %s\n",
                 display_path(options.socket).c_str(), display_path(dir).c_str());
    if (files.empty()) {
        std::fprintf(stderr, "corral logs: no logs of \"%s\" in %s\n", protocol::target_text(target).c_str(),
                     display_path(dir).c_str());
        return kExitFailed;
    }
    std::vector<std::vector<LogLine>> read;
    std::set<std::string> instances;
    for (const LogFileName& file : files) {
        instances.insert(file.instance());
        if (query.lines > 0) read.push_back(read_log(file.path, file.instance(), file.stream, query));
    }
    const std::vector<LogLine> lines = merge_by_time(read);
    LogsView view;
    view.clean = options.terminal;
    view.style = Style{options.color};
    view.prefix = instances.size() > 1;
    for (const auto& name : instances) view.prefix_width = std::max(view.prefix_width, display_width(name));
    if (options.json && !logs.follow) {
        Json all = Json::array();
        for (const LogLine& line : lines) all.push_back(line_json(line));
        print_json(Json{{"lines", std::move(all)}});
        return kExitOk;
    }
    const auto print_line = [&](const LogLine& line) {
        print(options.json ? line_json(line).dump() + "\n" : render_log_line(line_json(line), view));
    };
    for (const LogLine& line : lines) print_line(line);
    if (!logs.follow) return kExitOk;
    return follow_log_files(dir, target, logs.stream, print_line);
}

}  // namespace corral::supervisor::cli
