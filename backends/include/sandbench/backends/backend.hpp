// SPDX-License-Identifier: Apache-2.0
//
// The backend interface: what a sandbox must offer for sandbench to measure it.
//
// A Backend is a factory of Sessions; a Session is one sandbox (a Python kernel, an E2B sandbox,
// an ACA session identifier). Everything a session does while being measured returns a value:
// an Outcome says whether the call worked and why not, and no exception crosses this boundary
// (the public methods are non-virtual wrappers that turn an escaping exception into
// Status::kBackendError, as spdlog's base_sink does for locking). Set-up problems found before
// measuring (bad config, missing interpreter) are thrown from the factory as sandbench::Error.
//
// Threading: a Backend may be used from several threads at once (create_session is thread-safe);
// each Session is used by one thread at a time. The concurrency scenarios rely on this.
// Lifetime: every Session must be destroyed before the Backend that created it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sandbench::backends {

using Milliseconds = std::chrono::duration<double, std::milli>;

/// Why a call did or did not work. Expected failures are data, never exceptions.
enum class Status {
    kOk,              ///< the call did what was asked
    kUserError,       ///< the user's code raised (error_name/value/traceback are set)
    kTimeout,         ///< the call exceeded its time limit; the sandbox may be dead (see alive())
    kTransportError,  ///< the sandbox could not be reached or the connection broke
    kRateLimited,     ///< the service refused for load (HTTP 429, or 503 with Retry-After)
    kBackendError,    ///< the sandbox answered, but with an error or a malformed response
    kCancelled,       ///< the run was interrupted (Ctrl-C) before the call finished
};

[[nodiscard]] std::string_view to_string(Status status) noexcept;
[[nodiscard]] std::optional<Status> status_from_string(std::string_view text) noexcept;

/// Network timing of an HTTP exchange, as libcurl measures it. Absent for local transports.
struct TransportTiming {
    Milliseconds dns{};
    Milliseconds connect{};
    Milliseconds tls{};
    Milliseconds time_to_first_byte{};
    Milliseconds total{};
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
};

/// What every session call reports besides its payload.
struct Outcome {
    Status status = Status::kOk;
    /// Human-readable detail for a failure (redacted of secrets); empty on success.
    std::string message;
    /// Time the sandbox itself reported for the work (kernel execution time, ACA's
    /// executionTimeInMilliseconds). Lets reports separate transport overhead from execution.
    std::optional<Milliseconds> backend_time;
    /// Network breakdown when the backend speaks HTTP.
    std::optional<TransportTiming> transport;
    /// Backend-specific facts worth keeping in the sample (timing headers, retry count, ...).
    nlohmann::json extra = nlohmann::json::object();

    [[nodiscard]] bool ok() const noexcept { return status == Status::kOk; }
};

/// An image a cell displayed (a matplotlib figure, for example).
struct Image {
    std::string format;  ///< "png", "jpeg", "svg"
    std::string base64;
};

/// The result of executing one piece of code, like one notebook cell.
struct Execution : Outcome {
    std::string stdout_text;
    std::string stderr_text;
    bool output_truncated = false;  ///< stdout or stderr hit the output cap
    /// Value of the trailing expression as JSON (its repr as a string when not serialisable);
    /// null when the code ends with a statement.
    nlohmann::json result;
    std::vector<Image> images;
    std::string error_name;   ///< exception class name, for Status::kUserError
    std::string error_value;  ///< str(exception)
    std::string traceback;
};

struct Download : Outcome {
    std::string bytes;
};

struct FileEntry {
    std::string name;
    std::uint64_t size = 0;
};

struct FileListing : Outcome {
    std::vector<FileEntry> files;
};

/// What a backend can do; reports and the runner adapt to it.
struct Capabilities {
    bool files = true;               ///< upload / download / list_files work
    bool images = true;              ///< figures come back as images
    bool explicit_create = true;     ///< creating a session is a call of its own (else first use)
    bool server_timing = false;      ///< Outcome::backend_time is reported
    std::string isolation = "none";  ///< "none", "bwrap", "hyper-v", "firecracker", ...
};

struct BackendInfo {
    std::string name;         ///< the label the user chose ("local-bwrap"); unique in a run
    std::string type;         ///< the implementation ("local", "aca", "e2b", "fake")
    std::string description;  ///< one line for `sandbench list backends`
    Capabilities capabilities;
    /// True when the sandbox is an emulator on this machine, not the real service. Every
    /// report labels such results.
    bool emulated = false;
    /// The configuration in effect, without secrets; copied into the results' context block.
    nlohmann::json config = nlohmann::json::object();
};

/// One sandbox. Public methods never throw; a session is cold until its first execution returned.
/// Once closed, a session refuses every call but close() with "session is closed"; file calls
/// check the name against the one contract (sandbench/common/file_name.hpp) before the backend
/// sees it, so every backend refuses the same names with the same message.
class Session {
public:
    Session() = default;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    Session(Session&&) = delete;
    Session& operator=(Session&&) = delete;
    virtual ~Session() = default;

    /// Runs `code` like a notebook cell: state persists between calls of one session.
    [[nodiscard]] Execution execute(std::string_view code, Milliseconds timeout) noexcept;
    /// Stores `bytes` as `name` (a file name, not a path) in the session's data directory
    /// (/mnt/data on ACA).
    [[nodiscard]] Outcome upload(std::string_view name, std::string_view bytes) noexcept;
    [[nodiscard]] Download download(std::string_view name) noexcept;
    [[nodiscard]] FileListing list_files() noexcept;
    /// Releases the sandbox. Idempotent: later calls return the first call's outcome.
    Outcome close() noexcept;

    /// The backend's identifier for this sandbox (pid, sandbox id, session identifier), so that
    /// results can be correlated with the provider's own logs.
    [[nodiscard]] virtual std::string id() const = 0;
    /// False once the sandbox is known to be gone (killed after a timeout, crashed, expired).
    [[nodiscard]] virtual bool alive() const noexcept = 0;
    [[nodiscard]] bool closed() const noexcept { return closed_.has_value(); }

protected:
    /// Implementations: may throw; the wrapper turns an exception into Status::kBackendError.
    /// They are never called on a closed session, and do_upload / do_download get valid names.
    virtual Execution do_execute(std::string_view code, Milliseconds timeout) = 0;
    virtual Outcome do_upload(std::string_view name, std::string_view bytes) = 0;
    virtual Download do_download(std::string_view name) = 0;
    virtual FileListing do_list_files() = 0;
    /// Called at most once, by close().
    virtual Outcome do_close() = 0;

private:
    std::optional<Outcome> closed_;
};

/// Result of Backend::create_session: an Outcome plus the session when it worked.
struct SessionStart : Outcome {
    std::unique_ptr<Session> session;
};

/// A kind of sandbox, configured. Thread-safe.
class Backend {
public:
    Backend() = default;
    Backend(const Backend&) = delete;
    Backend& operator=(const Backend&) = delete;
    Backend(Backend&&) = delete;
    Backend& operator=(Backend&&) = delete;
    virtual ~Backend() = default;

    [[nodiscard]] virtual const BackendInfo& info() const noexcept = 0;
    /// Creates a new (cold) session. Never throws; failure is an Outcome with no session.
    [[nodiscard]] SessionStart create_session() noexcept;

protected:
    virtual SessionStart do_create_session() = 0;
};

}  // namespace sandbench::backends
