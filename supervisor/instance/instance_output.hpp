#pragma once
// The output side of one instance: its two log files (`<service>-<index>.out.log` and `.err.log`, kept
// across incarnations) and the captures that fill them. Every incarnation gets one capture per stream; the
// captures of earlier incarnations live on until their pipe reaches EOF (a grandchild can hold one open
// long after the process is gone). The owner sees every batch of lines before it is written.
//
// Ownership: the Instance owns one for its whole life; it owns the captures, which write into its log
// files (and are destroyed before them).
#include <uv.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/config/service_spec.hpp"
#include "supervisor/instance/log_file.hpp"
#include "supervisor/instance/output_capture.hpp"

namespace corral::supervisor {

class InstanceOutput {
public:
    class Owner {
    public:
        // Whole lines of `stream` ("out" or "err"), as they are written to its log.
        virtual void on_lines(std::string_view stream, std::string_view lines) = 0;
        // A capture (of this incarnation or an earlier one) reached EOF.
        virtual void on_capture_closed() = 0;

    protected:
        ~Owner() = default;
    };

    // The logs of instance `index` of `service` are `<log_dir>/<service>-<index>.out.log` and `.err.log`.
    InstanceOutput(uv_loop_t* loop, Owner& owner, const std::filesystem::path& log_dir, const std::string& service,
                   unsigned index, const config::LogSpec& logs);
    InstanceOutput(const InstanceOutput&) = delete;
    InstanceOutput& operator=(const InstanceOutput&) = delete;

    struct Pipes {
        uv_pipe_t* out = nullptr;  // null: the stream is ignored
        uv_pipe_t* err = nullptr;
    };
    // Captures for the next incarnation, whose pipes uv_spawn connects; the logs are created if missing.
    Pipes prepare(bool timestamps);
    // uv_spawn connected the pipes: reading starts.
    void started();
    // The spawn failed: the prepared captures are dropped.
    void abandon();

    // The current incarnation's stderr has not reached EOF.
    bool stderr_open() const { return stderr_capture_ != nullptr && !stderr_capture_->closed(); }
    // Every capture has reached EOF.
    bool closed() const;
    // Limits and format, from now on (a reload).
    void set_limits(const config::LogSpec& logs);
    // corral flush: both logs are emptied (the captures keep writing to them).
    void flush_logs() {
        out_log_.flush();
        err_log_.flush();
    }
    const std::filesystem::path& out_log() const { return out_log_.path(); }
    const std::filesystem::path& err_log() const { return err_log_.path(); }

private:
    static void on_closed(void* self);
    static void on_out_lines(void* self, std::string_view lines);
    static void on_err_lines(void* self, std::string_view lines);

    uv_loop_t* loop_;
    Owner& owner_;
    LogFile out_log_;
    LogFile err_log_;
    std::vector<std::unique_ptr<OutputCapture>> captures_;  // after the logs: destroyed before them
    std::unique_ptr<OutputCapture> next_out_;               // prepared, not yet connected
    std::unique_ptr<OutputCapture> next_err_;
    bool json_ = false;  // the json format takes the time as a field, never as a prefix
    const OutputCapture* stderr_capture_ = nullptr;  // the current incarnation's, in captures_
};

}  // namespace corral::supervisor
