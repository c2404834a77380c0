// SPDX-License-Identifier: Apache-2.0
//
// One emulated E2B sandbox: its Code Interpreter contexts, each a real kernel of the local backend
// (its own process, under bwrap by default), and the file tree envd serves.
//
// File tree. A sandbox's home, /home/user, is the data directory of its default context's kernel,
// which is that kernel's working directory, so that a file written through envd is the file the
// code opens with a relative path. A context created with another working directory gets a kernel
// of its own whose data directory is mounted at that path: files under it go to that kernel's
// directory (a directory that already existed there is moved in). Paths outside every mount are
// refused: the emulator has no system tree to show. Every path is walked one component at a time
// without following symbolic links, because a cell can plant a link to anywhere on the host and
// the emulator may run as root. Under bwrap a kernel sees its directory at /mnt/data, not at
// /home/user: code that uses relative paths (as workloads must) is unaffected.
//
// Kernels. The local kernel has no interrupt: an execution that must stop (its client went away,
// the sandbox is killed) kills the kernel's process; the context is then restarted on its next use
// with a fresh kernel in the same directory, state lost (the real service interrupts and keeps the
// state). A restart (POST /contexts/{id}/restart, or a kernel that died) moves the files from the
// old data directory into the new one.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbench/backends/backend.hpp"

namespace sandbench::emulators::e2b {

inline constexpr std::string_view kHome = "/home/user";

/// The result of a file operation, in envd's terms: an HTTP status and a message on failure.
struct FileResult {
    int status = 200;
    std::string message;
    std::string bytes;                    ///< read_file
    nlohmann::json entry;                 ///< write_file, stat, make_dir: an EntryInfo
    std::vector<nlohmann::json> entries;  ///< list_dir: EntryInfo objects (proto3 JSON)

    [[nodiscard]] bool ok() const noexcept { return status >= 200 && status < 300; }
};

/// One Code Interpreter context: one kernel, executions serialised by `exec_mutex`.
struct Context {
    std::string id;
    std::string language = "python";
    std::string cwd;  ///< as the client asked, normalised
    bool mounted = false;

    /// Held for the length of an execution, a restart or the kernel's end.
    std::mutex exec_mutex;
    std::unique_ptr<backends::Session> session;  ///< guarded by exec_mutex
    std::string data_dir;                        ///< guarded by the sandbox's fs mutex
    std::atomic<pid_t> pid{0};
    std::int64_t execution_count = 0;  ///< guarded by exec_mutex
    std::atomic<bool> needs_restart{false};
};

struct SandboxInfo {
    std::string id;
    std::string template_id;
    std::string alias;
    bool interpreter = true;        ///< the template runs the Code Interpreter on port 49999
    std::string envd_access_token;  ///< empty: not secure, envd asks for no token
    nlohmann::json metadata = nlohmann::json::object();
    nlohmann::json env_vars = nlohmann::json::object();
    std::chrono::system_clock::time_point started_at;
};

class Sandbox {
public:
    /// `kernels` makes the kernels and must outlive the sandbox. `share_host_dirs`: kernels run
    /// without isolation, so a context in an existing directory can change into it.
    Sandbox(SandboxInfo info, backends::Backend& kernels, bool share_host_dirs);
    Sandbox(const Sandbox&) = delete;
    Sandbox& operator=(const Sandbox&) = delete;
    Sandbox(Sandbox&&) = delete;
    Sandbox& operator=(Sandbox&&) = delete;
    ~Sandbox();

    /// Starts the default context. Returns why it failed, or nothing.
    [[nodiscard]] std::optional<std::string> start();
    /// Ends every kernel (interrupting executions) and removes the data directories. Idempotent.
    void kill() noexcept;
    [[nodiscard]] bool killed() const noexcept { return killed_.load(); }

    [[nodiscard]] const SandboxInfo& info() const noexcept { return info_; }

    // Lifetime, as the control plane sets it.
    [[nodiscard]] std::chrono::steady_clock::time_point end_at() const;
    [[nodiscard]] std::chrono::system_clock::time_point end_at_wall() const;
    void set_timeout(std::chrono::seconds from_now);
    /// Extends (never shortens) the lifetime to at least `from_now`.
    void extend_to(std::chrono::seconds from_now);

    // Contexts.
    [[nodiscard]] std::shared_ptr<Context> default_context() const;
    [[nodiscard]] std::shared_ptr<Context> find_context(const std::string& id) const;
    [[nodiscard]] std::vector<std::shared_ptr<Context>> contexts() const;
    /// Creates a Python context working in `cwd`. Returns it, or why it failed.
    [[nodiscard]] std::shared_ptr<Context> create_context(const std::string& cwd,
                                                          std::string& problem);
    /// Restarts a context's kernel; the caller holds its exec_mutex. Returns why it failed.
    [[nodiscard]] std::optional<std::string> restart_locked(Context& context);
    /// Removes a context (its files stay in the tree). Returns false if it is unknown.
    bool remove_context(const std::string& id);
    /// Kills a context's kernel to stop a running execution; the next use restarts it.
    static void interrupt(Context& context) noexcept;

    /// Runs `code` silently (not counted, output dropped) in a context; the caller holds its
    /// exec_mutex. For environment set-up.
    static void run_silently(Context& context, const std::string& code);

    // Files, by sandbox path (relative paths are relative to /home/user).
    [[nodiscard]] FileResult read_file(const std::string& path);
    [[nodiscard]] FileResult write_file(const std::string& path, std::string_view bytes);
    [[nodiscard]] FileResult list_dir(const std::string& path, int depth);
    [[nodiscard]] FileResult stat(const std::string& path);
    [[nodiscard]] FileResult make_dir(const std::string& path);
    [[nodiscard]] FileResult remove(const std::string& path);

private:
    struct Resolved {
        std::string mount;  ///< sandbox path of the mount
        std::string dir;    ///< its host directory
        std::vector<std::string> components;
    };
    /// The mount holding `path` (normalised, absolute); fs_mutex_ held.
    [[nodiscard]] std::optional<Resolved> resolve_locked(const std::string& path) const;
    [[nodiscard]] std::optional<std::string> start_kernel(Context& context);
    void apply_environment(Context& context);

    SandboxInfo info_;
    backends::Backend& kernels_;
    bool share_host_dirs_;
    std::atomic<bool> killed_{false};

    mutable std::mutex mutex_;  ///< contexts_, default_, lifetime
    std::vector<std::shared_ptr<Context>> contexts_;
    std::shared_ptr<Context> default_;
    std::chrono::steady_clock::time_point end_at_;
    std::chrono::system_clock::time_point end_at_wall_;

    mutable std::mutex fs_mutex_;  ///< the mounts and every context's data_dir
    /// Sandbox path -> context whose data directory is mounted there.
    std::vector<std::pair<std::string, std::shared_ptr<Context>>> mounts_;
};

/// "/home/user/a/../b" -> "/home/user/b"; relative paths are taken from /home/user.
[[nodiscard]] std::string normalize_path(std::string_view path);

/// A random UUID (version 4), the form of a Jupyter kernel id.
[[nodiscard]] std::string random_uuid();

}  // namespace sandbench::emulators::e2b
