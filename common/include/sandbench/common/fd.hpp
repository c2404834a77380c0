// SPDX-License-Identifier: Apache-2.0
//
// An owned POSIX file descriptor: closed when its owner goes, moved and never copied. The local
// backend's pipes, the emulators' directory walks and the Azure CLI's output all hold one; the
// loops that write or read a whole file through one, and the close-on-exec pipe, live here too.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace sandbench {

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    ~Fd() { reset(); }

    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
    /// Closes the descriptor now (an error from close() is ignored: there is nothing to retry).
    void reset() noexcept {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

private:
    int fd_ = -1;
};

/// Writes all of `bytes` to `fd`, retrying short writes and EINTR. Returns 0, or the errno of the
/// write that failed (EAGAIN included: a non-blocking descriptor that fills up is a failure).
[[nodiscard]] int write_all(const Fd& fd, std::string_view bytes) noexcept;

/// Appends everything `fd` yields up to end of file to `out`, retrying EINTR. Returns 0, or the
/// errno of the read that failed (`out` then holds what was read before it).
[[nodiscard]] int read_to_end(const Fd& fd, std::string& out);

struct Pipe {
    Fd read;
    Fd write;
};

/// A pipe whose ends are close-on-exec and numbered at least `lowest_fd`. Close-on-exec, because
/// a process another thread starts meanwhile would otherwise inherit the write end and hold off
/// the end of file its reader waits for; numbered high, so that binding a child's standard
/// descriptors (and the local kernel's 3 and 4) never overwrites an end a later binding still
/// needs. dup2() in the child clears the flag on the copies it makes. Throws std::system_error.
[[nodiscard]] Pipe make_cloexec_pipe(int lowest_fd);

}  // namespace sandbench
