// SPDX-License-Identifier: Apache-2.0
//
// An owned POSIX file descriptor: closed when its owner goes, moved and never copied. The local
// backend's pipes, the emulators' directory walks and the Azure CLI's output all hold one.
#pragma once

#include <unistd.h>

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

}  // namespace sandbench
