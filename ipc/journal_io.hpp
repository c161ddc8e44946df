#pragma once
// Small file helpers shared by the spill journal's files (spill_journal.cpp, journal_recovery.cpp,
// journal_persist.cpp). Each returns false / an error with errno set, and resumes after EINTR and short
// transfers.
#include <sys/uio.h>

#include <cstdint>
#include <filesystem>

#include "base/sys_result.hpp"

namespace corral::ipc::journal {

// Writes every byte of `iov` at `offset`.
bool write_fully(int fd, iovec* iov, int count, std::uint64_t offset);
// Reads exactly `size` bytes at `offset`; false with errno 0 when the file ends first.
bool read_fully(int fd, char* into, std::size_t size, std::uint64_t offset);
// mkdir -p with mode 0700 for the directories it has to create.
Status make_directories(const std::filesystem::path& dir);

}  // namespace corral::ipc::journal
