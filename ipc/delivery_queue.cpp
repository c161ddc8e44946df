#include "ipc/delivery_queue.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace corral::ipc {

DeliveryQueue::DeliveryQueue(QueueLimits limits, std::filesystem::path journal_path, JournalWriter* writer)
    : limits_(limits), journal_(std::move(journal_path), writer) {}

bool DeliveryQueue::fits(std::size_t frame_bytes) const {
    return memory_bytes_ + frame_bytes <= limits_.max_bytes && memory_messages() + 1 <= limits_.max_messages;
}

bool DeliveryQueue::over_limits() const {
    return memory_bytes_ > limits_.max_bytes || memory_messages() > limits_.max_messages;
}

void DeliveryQueue::keep(std::uint64_t seq, std::string_view frame) {
    // Behind everything queued: memory_ while nothing is spilled, else after the journal.
    (journal_.empty() ? memory_ : unspilled_).push_back(Frame{seq, std::string(frame)});
    memory_bytes_ += frame.size();
}

void DeliveryQueue::spill(std::uint64_t seq, std::string_view frame) {
    // What the journal refused before goes first, so that it keeps its place in line.
    while (!unspilled_.empty()) {
        if (auto appended = journal_.append(unspilled_.front().bytes, unspilled_.front().seq); !appended) {
            journal_error_ = appended.error();
            break;
        }
        ++counters_.spilled;
        memory_bytes_ -= unspilled_.front().bytes.size();
        unspilled_.pop_front();
    }
    if (unspilled_.empty()) {
        auto appended = journal_.append(frame, seq);
        if (appended) {
            ++counters_.spilled;
            return;
        }
        journal_error_ = appended.error();
    }
    keep(seq, frame);  // never lost: memory goes past its limits instead, and blocked() says so
}

bool DeliveryQueue::push(std::string_view frame) {
    ++counters_.received;
    if (!journal_.empty() || limits_.durable) {  // behind what is spilled, whatever the policy
        spill(++last_seq_, frame);
        return true;
    }
    if (fits(frame.size())) {
        keep(++last_seq_, frame);
        return true;
    }
    switch (limits_.overflow) {
    case Overflow::spill:
        spill(++last_seq_, frame);
        return true;
    case Overflow::drop_oldest:
        // current_ is being delivered: only memory_ can make room. What cannot fit even alone stays alone.
        while (!memory_.empty() && !fits(frame.size())) {
            memory_bytes_ -= memory_.front().bytes.size();
            memory_.pop_front();
            ++counters_.dropped;
        }
        keep(++last_seq_, frame);
        return true;
    case Overflow::drop_newest:
        ++counters_.dropped;
        return false;
    case Overflow::block:
        keep(++last_seq_, frame);
        return true;
    }
    return true;
}

void DeliveryQueue::next_from_journal() {
    // Called with current_ and memory_ empty: the journal's next frame is the front.
    auto next = journal_.read_next();
    if (!next) {
        // An unreadable journal (I/O error, file cut short) would hold the queue forever: give it up,
        // counted, and go on with what came after it.
        journal_error_ = next.error();
        counters_.dropped += journal_.count();
        journal_.discard();
    } else if (*next) {
        memory_bytes_ += (*next)->size();
        current_.emplace(Frame{journal_.read_seq(), std::move(**next)});
    }
    if (journal_.empty()) memory_.swap(unspilled_);
}

const std::string* DeliveryQueue::front() {
    if (!current_ && memory_.empty() && !journal_.empty()) next_from_journal();
    if (!current_ && !memory_.empty()) {
        current_.emplace(std::move(memory_.front()));  // bytes stay counted: still in memory
        memory_.pop_front();
    }
    return current_ ? &current_->bytes : nullptr;
}

void DeliveryQueue::pop() {
    if (front() == nullptr) return;
    memory_bytes_ -= current_->bytes.size();
    delivered_seq_ = current_->seq;
    remember_delivered(current_->bytes.size());
    current_.reset();
    ++counters_.delivered;
}

bool DeliveryQueue::empty() const {
    return !current_ && memory_.empty() && journal_.empty() && unspilled_.empty();
}

bool DeliveryQueue::blocked() const {
    if (journal_.bytes() > limits_.spill_max || journal_.unwritten_bytes() > kUnwrittenMax) return true;
    switch (limits_.overflow) {
    case Overflow::spill:
    case Overflow::block:
        return over_limits();
    case Overflow::drop_oldest:
    case Overflow::drop_newest:
        return false;
    }
    return false;
}

std::size_t DeliveryQueue::queued_messages() const {
    return memory_messages() + static_cast<std::size_t>(journal_.count());
}

std::uint64_t DeliveryQueue::queued_bytes() const { return memory_bytes_ + journal_.bytes(); }

std::uint64_t DeliveryQueue::spilled_bytes() const { return journal_.bytes(); }

}  // namespace corral::ipc

namespace corral::ipc {

Result<JournalRecovery> DeliveryQueue::recover() {
    auto found = journal_.recover();
    if (!found) return found;
    last_seq_ = found->last_seq;
    delivered_seq_ = journal_.read_seq();
    counters_.replayed = found->records;
    counters_.lost = found->lost;
    if (found->torn_bytes > 0) {
        ++counters_.torn;
        counters_.torn_bytes = found->torn_bytes;
    }
    return found;
}

Status DeliveryQueue::sync(std::uint64_t unhandled_bytes) {
    if (!journal_.is_open()) return {};
    if (limits_.durable) {
        (void)journal_.flush();
        journal_.wait_written();
        if (auto flushed = journal_.flush(); !flushed) return flushed;
    }
    return journal_.write_mark({delivered_seq_, last_seq_, false, frames_in(unhandled_bytes)});
}

void DeliveryQueue::remember_delivered(std::size_t bytes) {
    constexpr std::size_t kRemembered = 4096;  // more than a receiver's socket holds of frames of any size
    recent_.push_back(static_cast<std::uint32_t>(std::min<std::size_t>(bytes, UINT32_MAX)));
    if (recent_.size() > kRemembered) recent_.pop_front();
}

std::uint64_t DeliveryQueue::frames_in(std::uint64_t bytes) const {
    std::uint64_t frames = 0;
    for (auto it = recent_.rbegin(); it != recent_.rend() && bytes > 0; ++it) {
        ++frames;
        bytes -= std::min<std::uint64_t>(bytes, *it);
    }
    return frames;
}

Status DeliveryQueue::persist() {
    SeqFrames before;
    if (current_) before.emplace_back(current_->seq, current_->bytes);
    for (const Frame& frame : memory_) before.emplace_back(frame.seq, frame.bytes);
    SeqFrames after;
    for (const Frame& frame : unspilled_) after.emplace_back(frame.seq, frame.bytes);
    if (auto persisted = journal_.persist(before, after, delivered_seq_); !persisted) return persisted;
    current_.reset();
    memory_.clear();
    unspilled_.clear();
    memory_bytes_ = 0;
    counters_.persisted = journal_.count();
    counters_.persisted_bytes = journal_.bytes();
    return {};
}

}  // namespace corral::ipc
