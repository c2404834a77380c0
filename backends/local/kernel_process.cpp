// SPDX-License-Identifier: Apache-2.0
#include "local/kernel_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>

#include <boost/process/args.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/handles.hpp>
#include <boost/process/io.hpp>
#include <boost/process/posix.hpp>
#include <boost/process/start_dir.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

namespace sandbench::backends::local {
namespace {

namespace bp = boost::process;
using nlohmann::json;

/// Replies larger than this are treated as a broken kernel rather than buffered.
constexpr std::size_t kMaxFrameBytes = std::size_t{512} << 20U;
constexpr std::size_t kReadChunk = std::size_t{64} << 10U;
/// Per wake-up read budget for one output pipe, so that a cell printing without end cannot
/// keep the loop from noticing its deadline.
constexpr std::size_t kDrainBudget = std::size_t{1} << 20U;
/// How much output written between cells (or after the reply) is read before giving up.
constexpr std::size_t kStaleBudget = std::size_t{4} << 20U;
/// How much of the kernel's stderr a start-up or death message quotes.
constexpr std::size_t kStderrTail = 2000;
/// Exit code of a child whose set-up (setsid, dropping privileges) failed before exec.
constexpr int kChildSetupFailed = 126;

/// The kernel's pipe ends are numbered at least this: binding the child's fds 1 to 4 then never
/// overwrites a descriptor that a later binding still needs. Close-on-exec, because Boost.Process's
/// pipe is inheritable, so a kernel started at the same time by another thread would hold our ends
/// and hide this kernel's death (no end of file).
constexpr int kLowestPipeFd = 10;

void set_nonblocking(const Fd& fd) {
    const int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) < 0) {
        throw std::system_error(errno, std::generic_category(), "fcntl(O_NONBLOCK)");
    }
}

/// Runs in the forked child before exec, so only async-signal-safe calls.
struct ChildSetup : bp::extend::handler {
    std::optional<uid_t> run_as;

    template <typename Executor>
    void on_exec_setup(Executor& /*executor*/) const {
        // A session (and process group) of its own: Ctrl-C in the terminal reaches the runner,
        // not the kernel, and killpg(pid) reaches everything the cells started.
        if (::setsid() < 0) {
            fail("setsid");
        }
        if (run_as) {
            if (::setgroups(0, nullptr) != 0 || ::setresgid(*run_as, *run_as, *run_as) != 0 ||
                ::setresuid(*run_as, *run_as, *run_as) != 0) {
                fail("dropping privileges");
            }
        }
    }

    /// Reports on the kernel's stderr (already bound to the capture pipe) and exits. Boost's
    /// own error channel would let exec go ahead after a failed privilege drop.
    [[noreturn]] static void fail(const char* what) noexcept {
        constexpr std::string_view kPrefix = "sandbench: kernel set-up failed: ";
        if (::write(STDERR_FILENO, kPrefix.data(), kPrefix.size()) < 0 ||
            ::write(STDERR_FILENO, what, std::strlen(what)) < 0 ||
            ::write(STDERR_FILENO, "\n", 1) < 0) {
            ::_exit(kChildSetupFailed);
        }
        ::_exit(kChildSetupFailed);
    }
};

/// Hands the child exactly `envp` (NAME=value strings, null-terminated). Boost.Process 1.74's
/// own environment class reads past the end of shorter entries when it looks a name up
/// (environment.hpp, basic_environment_impl::find; AddressSanitizer reports it), and the executor's
/// env pointer is the documented extension point anyway.
struct SetEnvironment : bp::extend::handler {
    char** envp = nullptr;

    template <typename Executor>
    void on_setup(Executor& executor) const {
        executor.env = envp;
    }
};

/// write(2) without letting SIGPIPE end the process when the kernel is gone. Pipes have no
/// MSG_NOSIGNAL, and a library must not change the process's signal dispositions, so SIGPIPE is
/// blocked for this thread and a SIGPIPE this write raised is consumed (libcurl does the same).
/// If the thread already blocked SIGPIPE, a pending one may predate this write: it stays.
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t size) {
    sigset_t pipe_set;
    sigset_t previous;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &previous);
    const bool was_blocked = sigismember(&previous, SIGPIPE) == 1;
    const ssize_t written = ::write(fd, data, size);
    const int saved_errno = errno;
    if (!was_blocked) {
        if (written < 0 && saved_errno == EPIPE) {
            const timespec zero{};
            while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
            }
        }
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    }
    errno = saved_errno;
    return written;
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) {
        return fmt::format("exit code {}", WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return fmt::format("killed by signal {}", WTERMSIG(status));
    }
    return fmt::format("wait status {}", status);
}

std::string frame(const json& message) {
    const std::string body = message.dump(-1, ' ', false, json::error_handler_t::replace);
    const auto size = static_cast<std::uint32_t>(body.size());
    std::string bytes;
    bytes.reserve(4 + body.size());
    for (const unsigned shift : {24U, 16U, 8U, 0U}) {
        bytes.push_back(static_cast<char>((size >> shift) & 0xFFU));
    }
    bytes += body;
    return bytes;
}

std::string stderr_tail(const CapturedStream& err) {
    std::string_view text = err.text;
    if (text.size() > kStderrTail) {
        text.remove_prefix(text.size() - kStderrTail);
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.remove_suffix(1);
    }
    return text.empty() ? std::string{} : ": " + sanitize_utf8(std::string{text});
}

timespec to_timespec(Clock::duration left) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left);
    const auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(left - seconds);
    return {static_cast<time_t>(seconds.count()), static_cast<long>(nanoseconds.count())};
}

/// Length of the valid UTF-8 sequence at `text[at]`, or 0 if it is not one.
std::size_t utf8_sequence(std::string_view text, std::size_t at) {
    const auto lead = static_cast<unsigned char>(text[at]);
    if (lead < 0x80U) {
        return 1;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    std::uint32_t smallest = 0;
    if ((lead & 0xE0U) == 0xC0U) {
        length = 2;
        code = lead & 0x1FU;
        smallest = 0x80;
    } else if ((lead & 0xF0U) == 0xE0U) {
        length = 3;
        code = lead & 0x0FU;
        smallest = 0x800;
    } else if ((lead & 0xF8U) == 0xF0U) {
        length = 4;
        code = lead & 0x07U;
        smallest = 0x10000;
    } else {
        return 0;
    }
    if (at + length > text.size()) {
        return 0;
    }
    for (std::size_t i = 1; i < length; ++i) {
        const auto next = static_cast<unsigned char>(text[at + i]);
        if ((next & 0xC0U) != 0x80U) {
            return 0;
        }
        code = (code << 6U) | (next & 0x3FU);
    }
    const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
    return code < smallest || code > 0x10FFFF || surrogate ? 0 : length;
}

}  // namespace

std::string sanitize_utf8(std::string text) {
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t length = utf8_sequence(text, at);
        if (length == 0) {
            break;
        }
        at += length;
    }
    if (at == text.size()) {
        return text;  // the common case: valid, returned without copying
    }
    std::string clean = text.substr(0, at);
    clean.reserve(text.size() + 16);
    while (at < text.size()) {
        const std::size_t length = utf8_sequence(text, at);
        if (length == 0) {
            clean += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
            ++at;
        } else {
            clean.append(text, at, length);
            at += length;
        }
    }
    return clean;
}

KernelProcess::KernelProcess(bp::child child, Fd request, Fd reply, Fd out, Fd err,
                             std::size_t output_limit)
    : child_(std::move(child)),
      pid_(child_.id()),
      request_(std::move(request)),
      reply_(std::move(reply)),
      out_(std::move(out)),
      err_(std::move(err)),
      output_limit_(output_limit),
      scratch_(kReadChunk) {}

KernelProcess::~KernelProcess() { kill(); }

KernelStart KernelProcess::start(const LaunchSpec& spec, std::size_t output_limit,
                                 std::chrono::milliseconds startup_timeout) {
    Pipe request = make_cloexec_pipe(kLowestPipeFd);
    Pipe reply = make_cloexec_pipe(kLowestPipeFd);
    Pipe out = make_cloexec_pipe(kLowestPipeFd);
    Pipe err = make_cloexec_pipe(kLowestPipeFd);
    std::vector<std::string> entries;
    entries.reserve(spec.environment.size());
    for (const auto& [name, value] : spec.environment) {
        entries.emplace_back(name).append("=").append(value);
    }
    std::vector<char*> envp;
    envp.reserve(entries.size() + 1);
    for (auto& entry : entries) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);
    std::error_code spawn_error;
    // Closes every other descriptor in the child. One instance per spawn: Boost's global
    // bp::limit_handles stores the descriptors to keep in a mutable member, so sessions started
    // from several threads at once raced on it (ASan: a double free in the concurrency test).
    const bp::detail::limit_handles_ close_other_fds;
    bp::child child(bp::exe = spec.executable, bp::args = spec.arguments,
                    SetEnvironment{{}, envp.data()}, bp::start_dir = spec.working_directory,
                    bp::std_in < bp::null, bp::posix::fd.bind(STDOUT_FILENO, out.write.get()),
                    bp::posix::fd.bind(STDERR_FILENO, err.write.get()),
                    bp::posix::fd.bind(3, request.read.get()),
                    bp::posix::fd.bind(4, reply.write.get()), ChildSetup{{}, spec.run_as},
                    close_other_fds, spawn_error);
    if (spawn_error) {
        return {nullptr, Status::kBackendError,
                fmt::format("cannot start '{}': {}", spec.executable, spawn_error.message())};
    }
    // The child has its copies; ours must go, or its death would never show as end of file.
    request.read.reset();
    reply.write.reset();
    out.write.reset();
    err.write.reset();
    for (const Fd* fd : {&request.write, &reply.read, &out.read, &err.read}) {
        set_nonblocking(*fd);
    }
    std::unique_ptr<KernelProcess> kernel{
        new KernelProcess(std::move(child), std::move(request.write), std::move(reply.read),
                          std::move(out.read), std::move(err.read), output_limit)};
    kernel->outbox_ = spec.preamble;
    kernel->send_pending();  // the rest, if any, goes out while waiting for the hello

    Exchange hello;
    const WaitEnd end = kernel->wait_for_frame(Clock::now() + startup_timeout, hello);
    if (end == WaitEnd::kFrame && hello.reply.is_object() &&
        hello.reply.value("op", "") == "hello") {
        kernel->hello_ = std::move(hello.reply);
        return {std::move(kernel), Status::kOk, {}};
    }
    kernel->kill();
    switch (end) {
        case WaitEnd::kTimeout:
            return {nullptr, Status::kTimeout,
                    fmt::format("the kernel did not become ready within {} ms{}",
                                startup_timeout.count(), stderr_tail(hello.err))};
        case WaitEnd::kKernelGone:
            return {nullptr, Status::kBackendError,
                    fmt::format("the kernel exited during start-up ({}){}", kernel->ending(),
                                stderr_tail(hello.err))};
        case WaitEnd::kMalformed:
        case WaitEnd::kFrame:
            break;
    }
    return {nullptr, Status::kBackendError,
            fmt::format("the kernel's first frame is not a hello{}{}",
                        hello.problem.empty() ? "" : ": " + hello.problem, stderr_tail(hello.err))};
}

Exchange KernelProcess::exchange(const json& request, std::optional<Clock::time_point> deadline) {
    Exchange result;
    outbox_ = frame(request);
    outbox_sent_ = 0;
    send_pending();
    result.end = wait_for_frame(deadline, result);
    return result;
}

WaitEnd KernelProcess::wait_for_frame(std::optional<Clock::time_point> deadline,
                                      Exchange& exchange) {
    // Whether the last poll saw output waiting (or a drain stopped at its budget). The kernel
    // flushes before it replies, so output written before the reply is in the pipes by the time
    // the reply is: the poll that reports the reply reports that output too, and when it reports
    // none, the two extra reads that would find nothing are skipped.
    bool out_waiting = false;
    bool err_waiting = false;
    while (true) {
        WaitEnd end = WaitEnd::kFrame;
        if (take_frame(exchange, end)) {
            if (out_waiting) {
                drain(out_, &exchange.out, kStaleBudget);
            }
            if (err_waiting) {
                drain(err_, &exchange.err, kStaleBudget);
            }
            return end;
        }
        if (!reply_.valid()) {
            return WaitEnd::kKernelGone;
        }
        const bool sending = outbox_sent_ < outbox_.size();
        std::array<pollfd, 4> polled{{
            {reply_.get(), POLLIN, 0},
            {out_.get(), POLLIN, 0},
            {err_.get(), POLLIN, 0},
            {sending ? request_.get() : -1, POLLOUT, 0},
        }};
        timespec left{};
        const timespec* timeout = nullptr;
        if (deadline) {
            const auto remaining = *deadline - Clock::now();
            if (remaining <= Clock::duration::zero()) {
                return WaitEnd::kTimeout;
            }
            left = to_timespec(remaining);
            timeout = &left;
        }
        const int ready = ::ppoll(polled.data(), polled.size(), timeout, nullptr);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw std::system_error(errno, std::generic_category(), "ppoll");
        }
        out_waiting = polled[1].revents != 0;
        err_waiting = polled[2].revents != 0;
        if (out_waiting) {
            drain(out_, &exchange.out, kDrainBudget);
        }
        if (err_waiting) {
            drain(err_, &exchange.err, kDrainBudget);
        }
        if (polled[3].revents != 0) {
            send_pending();
        }
        if (polled[0].revents != 0) {
            const ssize_t got = ::read(reply_.get(), scratch_.data(), scratch_.size());
            if (got > 0) {
                inbox_.append(scratch_.data(), static_cast<std::size_t>(got));
            } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                // End of file: the kernel exited, or a cell closed fd 4. Either way the
                // session is over; collect what it printed on the way out.
                reply_.reset();
                drain(out_, &exchange.out, kStaleBudget);
                drain(err_, &exchange.err, kStaleBudget);
                return WaitEnd::kKernelGone;
            }
        }
    }
}

bool KernelProcess::take_frame(Exchange& exchange, WaitEnd& end) {
    if (inbox_.size() < 4) {
        return false;
    }
    std::uint32_t size = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        size = (size << 8U) | static_cast<unsigned char>(inbox_[i]);
    }
    if (size > kMaxFrameBytes) {
        end = WaitEnd::kMalformed;
        exchange.problem = fmt::format("a reply frame announces {} bytes", size);
        inbox_.clear();
        return true;
    }
    if (inbox_.size() < 4 + std::size_t{size}) {
        return false;
    }
    try {
        exchange.reply = json::parse(std::string_view{inbox_}.substr(4, size));
        end = WaitEnd::kFrame;
    } catch (const json::parse_error& error) {
        end = WaitEnd::kMalformed;
        exchange.problem = error.what();
    }
    inbox_.erase(0, 4 + std::size_t{size});
    return true;
}

void KernelProcess::drain(Fd& fd, CapturedStream* sink, std::size_t budget) {
    std::size_t total = 0;
    while (fd.valid() && total < budget) {
        const ssize_t got = ::read(fd.get(), scratch_.data(), scratch_.size());
        if (got > 0) {
            const auto size = static_cast<std::size_t>(got);
            total += size;
            if (sink != nullptr) {
                const std::size_t room = output_limit_ - std::min(output_limit_, sink->text.size());
                const std::size_t kept = std::min(room, size);
                sink->text.append(scratch_.data(), kept);
                sink->dropped += size - kept;
            }
        } else if (got == 0) {
            fd.reset();  // every writer is gone; poll must stop reporting it
        } else if (errno == EINTR) {
            continue;
        } else {
            if (errno != EAGAIN) {
                fd.reset();
            }
            return;
        }
    }
}

void KernelProcess::send_pending() {
    while (request_.valid() && outbox_sent_ < outbox_.size()) {
        const ssize_t written = write_without_sigpipe(request_.get(), outbox_.data() + outbox_sent_,
                                                      outbox_.size() - outbox_sent_);
        if (written > 0) {
            outbox_sent_ += static_cast<std::size_t>(written);
        } else if (written < 0 && errno == EINTR) {
            continue;
        } else if (written < 0 && errno == EAGAIN) {
            return;
        } else {
            // The kernel cannot read any more (EPIPE); its end shows as end of file on the
            // reply pipe, which is what the wait reports.
            outbox_.clear();
            outbox_sent_ = 0;
            return;
        }
    }
}

void KernelProcess::shutdown(std::chrono::milliseconds grace) {
    if (reaped_) {
        return;
    }
    if (reply_.valid()) {
        outbox_ = frame(json{{"op", "shutdown"}});
        outbox_sent_ = 0;
        send_pending();
        Exchange ignored;
        const auto deadline = Clock::now() + grace;
        while (wait_for_frame(deadline, ignored) == WaitEnd::kFrame) {
        }
    }
    kill();
}

void KernelProcess::kill() noexcept {
    if (reaped_) {
        return;
    }
    // The whole group: the kernel (or bwrap, whose sandbox dies with it) and whatever the cells
    // started, even after the kernel itself exited.
    if (::killpg(pid_, SIGKILL) != 0 && errno != ESRCH) {
        spdlog::warn("local backend: killpg({}) failed: {}", pid_, std::strerror(errno));
    }
    reap();
}

void KernelProcess::reap() noexcept {
    std::error_code error;
    child_.wait(error);
    ending_ = error ? fmt::format("not reaped: {}", error.message())
                    : describe_status(child_.native_exit_code());
    reaped_ = true;
    request_.reset();
    reply_.reset();
}

bool KernelProcess::running() const noexcept {
    if (reaped_ || !reply_.valid()) {
        return false;
    }
    pollfd polled{reply_.get(), POLLIN, 0};
    return !(::poll(&polled, 1, 0) == 1 && (polled.revents & (POLLHUP | POLLERR)) != 0);
}

}  // namespace sandbench::backends::local
