// The broker's backlog across daemons: the journals an earlier daemon left, adopted at start and replayed
// before anything new; the drain at shutdown (senders no longer read, receivers still served); and what
// is persisted for the next daemon.
#include <spdlog/spdlog.h>

#include <fstream>
#include <set>
#include <system_error>

#include "base/text_format.hpp"
#include "ipc/broker.hpp"
#include "ipc/broker_parts.hpp"

namespace corral::ipc {

namespace fs = std::filesystem;

void adopt_journal(const std::string& label, const std::string& receiver, DeliveryQueue& queue) {
    const fs::path& path = queue.journal_path();
    auto found = queue.recover();
    if (!found) {
        // Never overwritten, never deleted: moved aside, so that the queue's next spill starts a new one.
        fs::path aside = path;
        aside += ".unreadable";
        std::error_code ec;
        fs::rename(path, aside, ec);
        spdlog::error("ipc {}: cannot replay the journal for {} ({}); kept as {}", label, receiver,
                      found.error().message(), (ec ? path : aside).string());
        return;
    }
    if (!found->found) return;
    if (found->records > 0) {
        spdlog::info("ipc {}: replaying {} message(s) ({}) for {} left by the previous daemon in {}", label,
                     found->records, format_size(found->bytes), receiver, path.string());
    }
    if (found->torn_bytes > 0) {
        spdlog::warn("ipc {}: cut a torn tail of {} bytes from {} ({})", label, found->torn_bytes, path.string(),
                     found->torn_why);
    }
    if (found->mark_unreadable) {
        spdlog::warn("ipc {}: the delivery mark of {} is unreadable: all of it is replayed, and some messages may "
                     "reach {} twice", label, path.string(), receiver);
    }
    if (found->lost > 0) {
        spdlog::warn("ipc {}: the previous daemon did not shut down cleanly: at most {} message(s) for {} were lost "
                     "(in its memory, or sent and not yet handled when the receiver died with it)", label, found->lost,
                     receiver);
    }
}

void Broker::warn_unowned_journals() const {
    std::set<fs::path> owned;
    for (const auto& route : routes_) {
        for (const auto& [index, queue] : route->queues) owned.insert(queue->journal_path());
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(config_.spill_dir, ec)) {
        if (entry.path().extension() != ".journal" || owned.contains(entry.path())) continue;
        spdlog::warn("ipc: {} holds messages of a route or instance that is not in the configuration; kept on disk "
                     "(replayed if it comes back)", entry.path().string());
    }
}

void Broker::mark_running() const {
    if (routes_.empty() || config_.spill_dir.empty()) return;
    const fs::path marker = config_.spill_dir / "daemon.running";
    std::error_code ec;
    if (fs::exists(marker, ec)) {
        std::string uncounted;
        for (const auto& route : routes_) {
            for (const auto& [index, queue] : route->queues) {
                if (queue->journaled()) continue;  // its journal's mark counted what was lost
                uncounted += (uncounted.empty() ? "" : ", ") + route->label() + " #" + std::to_string(index);
            }
        }
        if (!uncounted.empty()) {
            spdlog::warn("ipc: the previous daemon did not shut down cleanly; what these queues held in memory (at "
                         "most their max_messages) was lost and cannot be counted, as they had no journal: {}",
                         uncounted);
        }
    }
    if (auto made = fs::create_directories(config_.spill_dir, ec); made) {
        fs::permissions(config_.spill_dir, fs::perms::owner_all, ec);
    }
    std::ofstream(marker).put('\n');
}

void Broker::begin_drain() {
    if (backlog_ != Backlog::live) return;
    backlog_ = Backlog::draining;
    drain_began_ = policies::Clock::now();
    drain_mark_ = 0;
    for (const auto& route : routes_) {
        for (const auto& [index, queue] : route->queues) drain_mark_ += queue->counters().delivered;
    }
    for (auto& [name, endpoint] : endpoints_) {
        if (endpoint->channel && endpoint->channel->reading()) endpoint->channel->pause_reading();
    }
    flush_outgoing();
    for (auto& route : routes_) {
        for (const auto& [index, queue] : route->queues) deliver(*route, index);
    }
}

void Broker::stop_delivering() {
    if (backlog_ == Backlog::draining) backlog_ = Backlog::holding;
}

bool Broker::drained() const {
    for (const auto& route : routes_) {
        if (backlog_ == Backlog::holding) break;
        for (const auto& [index, queue] : route->queues) {
            const Endpoint& receiver = *route->receivers[index];
            const bool served = receiver.channel && receiver.channel->open() && !receiver.hold_receive;
            if (served && !queue->empty()) return false;
        }
    }
    for (const auto& [name, endpoint] : endpoints_) {
        const Channel* channel = endpoint->channel.get();
        if (channel == nullptr || !channel->open()) continue;
        if (!endpoint->outgoing.empty() || channel->queued() > 0 || channel->unread_by_peer() > 0) return false;
    }
    return true;
}

void Broker::persist() {
    if (backlog_ == Backlog::persisted) return;
    const double seconds = backlog_ == Backlog::live
                               ? 0.0
                               : std::chrono::duration<double>(policies::Clock::now() - drain_began_).count();
    backlog_ = Backlog::persisted;
    std::error_code ec;
    if (!config_.spill_dir.empty()) fs::remove(config_.spill_dir / "daemon.running", ec);
    std::uint64_t delivered = 0, messages = 0, bytes = 0, files = 0, failed = 0;
    for (auto& route : routes_) {
        for (auto& [index, queue] : route->queues) {
            delivered += queue->counters().delivered;
            const std::size_t held = queue->queued_messages();
            if (auto persisted = queue->persist(); !persisted) {
                failed += held;
                spdlog::error("ipc {}: cannot keep {} message(s) for {}#{} for the next start: {}", route->label(), held,
                              route->config.to, index, persisted.error().message());
                continue;
            }
            if (queue->counters().persisted == 0) continue;
            ++files;
            messages += queue->counters().persisted;
            bytes += queue->counters().persisted_bytes;
        }
    }
    std::uint64_t unread = 0;
    std::uint64_t unsent = 0;
    for (const auto& [name, endpoint] : endpoints_) {
        if (!endpoint->channel) continue;
        unread += endpoint->channel->unread_by_peer() + endpoint->channel->queued();
        if (!routes_from(endpoint->service).empty()) unsent += endpoint->channel->unread_from_peer();
    }
    if (routes_.empty()) return;
    spdlog::info("ipc: drained {} message(s) in {:.1f}s; persisted {} ({}) in {} journal(s) for the next start",
                 delivered - std::min(delivered, drain_mark_), seconds, messages, format_size(bytes), files);
    if (failed > 0) spdlog::error("ipc: {} message(s) could not be persisted and are lost", failed);
    if (unsent > 0) {
        spdlog::warn("ipc: senders had written {} bytes that were not read when reading stopped; they stay with the "
                     "senders, which are stopping", unsent);
    }
    if (unread > 0) {
        spdlog::warn("ipc: {} bytes written to receivers were not read by them yet when the drain ended", unread);
    }
}

}  // namespace corral::ipc
