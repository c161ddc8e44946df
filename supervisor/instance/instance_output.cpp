#include "supervisor/instance/instance_output.hpp"

#include <algorithm>

#include "base/instance_name.hpp"

namespace corral::supervisor {

InstanceOutput::InstanceOutput(uv_loop_t* loop, Owner& owner, const std::filesystem::path& log_dir,
                               const std::string& service, unsigned index, const config::LogSpec& logs)
    : loop_(loop),
      owner_(owner),
      out_log_(log_dir / (instance_file_name(service, index) + ".out.log"), logs.max_size, logs.keep,
               instance_name(service, index), "out"),
      err_log_(log_dir / (instance_file_name(service, index) + ".err.log"), logs.max_size, logs.keep,
               instance_name(service, index), "err") {
    set_limits(logs);
}

InstanceOutput::Pipes InstanceOutput::prepare(bool timestamps) {
    std::erase_if(captures_, [](const auto& capture) { return capture->closed(); });
    stderr_capture_ = nullptr;
    out_log_.create();
    err_log_.create();
    timestamps = timestamps && !json_;
    next_out_ = std::make_unique<OutputCapture>(loop_, out_log_, timestamps, on_closed, this);
    next_err_ = std::make_unique<OutputCapture>(loop_, err_log_, timestamps, on_closed, this);
    next_out_->set_line_hook(on_out_lines);
    next_err_->set_line_hook(on_err_lines);
    return {next_out_->pipe(), next_err_->pipe()};
}

void InstanceOutput::started() {
    next_out_->start();
    next_err_->start();
    stderr_capture_ = next_err_.get();
    captures_.push_back(std::move(next_out_));
    captures_.push_back(std::move(next_err_));
}

void InstanceOutput::abandon() {
    next_out_.reset();
    next_err_.reset();
}

bool InstanceOutput::closed() const {
    return std::all_of(captures_.begin(), captures_.end(), [](const auto& capture) { return capture->closed(); });
}

void InstanceOutput::set_limits(const config::LogSpec& logs) {
    out_log_.set_limits(logs.max_size, logs.keep);
    err_log_.set_limits(logs.max_size, logs.keep);
    json_ = logs.format == config::LogFormat::json;
    out_log_.set_json(json_);
    err_log_.set_json(json_);
}

void InstanceOutput::on_closed(void* self) { static_cast<InstanceOutput*>(self)->owner_.on_capture_closed(); }

void InstanceOutput::on_out_lines(void* self, std::string_view lines) {
    static_cast<InstanceOutput*>(self)->owner_.on_lines("out", lines);
}

void InstanceOutput::on_err_lines(void* self, std::string_view lines) {
    static_cast<InstanceOutput*>(self)->owner_.on_lines("err", lines);
}

}  // namespace corral::supervisor
