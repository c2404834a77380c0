// SPDX-License-Identifier: Apache-2.0
#include "sandbench/common/fd.hpp"

#include <fcntl.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace sandbench {
namespace {

Fd moved_to_at_least(Fd fd, int lowest_fd) {
    const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, lowest_fd);
    if (moved < 0) {
        throw std::system_error(errno, std::generic_category(), "fcntl(F_DUPFD_CLOEXEC)");
    }
    return Fd{moved};
}

}  // namespace

int write_all(const Fd& fd, std::string_view bytes) noexcept {
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t now = ::write(fd.get(), bytes.data() + written, bytes.size() - written);
        if (now >= 0) {
            written += static_cast<std::size_t>(now);
        } else if (errno != EINTR) {
            return errno;
        }
    }
    return 0;
}

int read_to_end(const Fd& fd, std::string& out) {
    std::array<char, std::size_t{1} << 16U> buffer{};
    while (true) {
        const ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
        if (got > 0) {
            out.append(buffer.data(), static_cast<std::size_t>(got));
        } else if (got == 0) {
            return 0;
        } else if (errno != EINTR) {
            return errno;
        }
    }
}

Pipe make_cloexec_pipe(int lowest_fd) {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
        throw std::system_error(errno, std::generic_category(), "pipe2");
    }
    Fd read{fds[0]};
    Fd write{fds[1]};
    return {moved_to_at_least(std::move(read), lowest_fd),
            moved_to_at_least(std::move(write), lowest_fd)};
}

}  // namespace sandbench
