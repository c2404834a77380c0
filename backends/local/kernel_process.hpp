// SPDX-License-Identifier: Apache-2.0
//
// KernelProcess: one running sandbench_kernel.py and the four pipes to it (requests on its fd 3,
// replies from its fd 4, its stdout and its stderr). It starts the kernel in a session and
// process group of its own, speaks the length-prefixed JSON protocol with deadlines, drains and
// caps the kernel's output while it waits, and kills the whole process group when a deadline
// passes or the session closes. Internal to the local backend; it knows nothing about bwrap (the
// caller puts bwrap in front of the command line) and nothing about notebook semantics.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/process/child.hpp>
#include <nlohmann/json.hpp>

#include "sandbench/backends/backend.hpp"
#include "sandbench/common/fd.hpp"

namespace sandbench::backends::local {

using Clock = std::chrono::steady_clock;

/// How to start one kernel.
struct LaunchSpec {
    std::string executable;  ///< absolute path: the interpreter, or bwrap
    std::vector<std::string> arguments;
    std::vector<std::pair<std::string, std::string>> environment;  ///< the complete environment
    std::string working_directory;
    /// Bytes written to the kernel's fd 3 before anything else (the kernel's compiled code).
    std::string preamble;
    /// Host uid (and gid) to switch to before exec; set when root starts bwrap, because the
    /// kernel counts RLIMIT_NPROC for no process whose real uid is root.
    std::optional<uid_t> run_as;
};

/// What one stream produced during one exchange, capped at the output limit.
struct CapturedStream {
    std::string text;
    std::uint64_t dropped = 0;  ///< bytes read after the cap and discarded
};

/// The end of one wait for a frame.
enum class WaitEnd {
    kFrame,       ///< a complete frame arrived
    kTimeout,     ///< the deadline passed first
    kKernelGone,  ///< the reply pipe reached end of file: the kernel exited or closed fd 4
    kMalformed,   ///< the kernel sent something that is not a frame of valid JSON
};

struct Exchange {
    WaitEnd end = WaitEnd::kFrame;
    nlohmann::json reply;  ///< the parsed frame, for WaitEnd::kFrame
    CapturedStream out;
    CapturedStream err;
    std::string problem;  ///< for kMalformed: what was wrong
};

struct KernelStart;

class KernelProcess {
public:
    KernelProcess(const KernelProcess&) = delete;
    KernelProcess& operator=(const KernelProcess&) = delete;
    KernelProcess(KernelProcess&&) = delete;
    KernelProcess& operator=(KernelProcess&&) = delete;
    /// Kills the process group if it still runs.
    ~KernelProcess();

    /// Spawns the kernel and waits for its hello frame until `startup_timeout` passes.
    [[nodiscard]] static KernelStart start(const LaunchSpec& spec, std::size_t output_limit,
                                           std::chrono::milliseconds startup_timeout);

    /// Sends one request and waits for its reply, capturing stdout and stderr meanwhile. Output
    /// written while no exchange ran (a background thread or child of an earlier cell) counts
    /// for this one, as it would show under the running cell in Jupyter. Never kills: the caller
    /// decides what a timeout or a malformed reply means.
    [[nodiscard]] Exchange exchange(const nlohmann::json& request,
                                    std::optional<Clock::time_point> deadline);

    /// Asks the kernel to exit, waits up to `grace` for it, then kills the group and reaps it.
    void shutdown(std::chrono::milliseconds grace);
    /// Kills the process group (SIGKILL) and reaps the kernel. Idempotent.
    void kill() noexcept;

    /// False once the kernel was killed or reaped, or its reply pipe is hung up.
    [[nodiscard]] bool running() const noexcept;
    /// The kernel's (or bwrap's) pid, which is also its process group id.
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    /// How the kernel ended ("exit code 3", "killed by signal 9"); empty while it runs.
    [[nodiscard]] const std::string& ending() const noexcept { return ending_; }
    /// The hello frame.
    [[nodiscard]] const nlohmann::json& hello() const noexcept { return hello_; }

private:
    KernelProcess(boost::process::child child, Fd request, Fd reply, Fd out, Fd err,
                  std::size_t output_limit);

    WaitEnd wait_for_frame(std::optional<Clock::time_point> deadline, Exchange& exchange);
    /// Moves a complete frame from the inbox into `exchange`; false if none is complete yet.
    bool take_frame(Exchange& exchange, WaitEnd& end);
    /// Reads what `fd` has without blocking; stops at end of file, EAGAIN or `budget` bytes.
    void drain(Fd& fd, CapturedStream* sink, std::size_t budget);
    void send_pending();
    void reap() noexcept;

    boost::process::child child_;
    pid_t pid_ = -1;
    Fd request_;  ///< write end of the kernel's fd 3
    Fd reply_;    ///< read end of the kernel's fd 4
    Fd out_;      ///< read end of the kernel's stdout
    Fd err_;      ///< read end of the kernel's stderr
    std::size_t output_limit_;
    std::vector<char> scratch_;  ///< read buffer, allocated once: reads are on the hot path
    std::string inbox_;          ///< bytes of the reply pipe not yet parsed into a frame
    std::string outbox_;         ///< bytes of the current request not yet written
    std::size_t outbox_sent_ = 0;
    bool reaped_ = false;
    std::string ending_;
    nlohmann::json hello_;
};

/// Result of KernelProcess::start: the kernel, or why it did not start.
struct KernelStart {
    std::unique_ptr<KernelProcess> kernel;
    Status status = Status::kOk;  ///< kTimeout or kBackendError when `kernel` is null
    std::string message;
};

/// Replaces invalid UTF-8 with U+FFFD so that the text is safe to put into JSON.
[[nodiscard]] std::string sanitize_utf8(std::string text);

}  // namespace sandbench::backends::local
