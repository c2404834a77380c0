// SPDX-License-Identifier: Apache-2.0
#include "local/local_backend.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/filesystem.hpp>
#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/io.hpp>
#include <boost/process/pipe.hpp>
#include <boost/process/search_path.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "local/kernel_process.hpp"
#include "local/kernel_script.hpp"  // generated from kernel/sandbench_kernel.py
#include "sandbench/backends/config_reader.hpp"
#include "sandbench/common/error.hpp"

namespace sandbench::backends::local {
namespace {

namespace fs = boost::filesystem;
using nlohmann::json;

/// Where the data directory appears inside bwrap, as on Azure Container Apps sessions.
constexpr std::string_view kSandboxDataDir = "/mnt/data";
/// The uid and gid the kernel has inside the user namespace.
constexpr std::string_view kSandboxId = "1000";
/// Host uid that runs bwrap when sandbench runs as root ("nobody"): the kernel does not count
/// RLIMIT_NPROC for root, so a fork bomb would otherwise be bounded by nothing.
constexpr uid_t kUnprivilegedUid = 65534;
/// How long close() lets the kernel exit on its own before killing its group.
constexpr std::chrono::milliseconds kShutdownGrace{500};
/// Timeouts this long (or not positive) mean "no deadline".
constexpr Milliseconds kNoDeadline{1e12};

/// What the interpreter runs when the kernel comes precompiled: it reads one frame from fd 3,
/// a marshal dump of the kernel's code object, and executes it. Compiling the 15 KB kernel costs
/// about 1.5 ms of CPU, a tenth of an interpreter start; doing it once per backend keeps it out
/// of every cold start.
constexpr std::string_view kBootstrap =
    "import marshal, os\n"
    "def _read(size):\n"
    "    data = b''\n"
    "    while len(data) < size:\n"
    "        chunk = os.read(3, size - len(data))\n"
    "        if not chunk:\n"
    "            raise SystemExit(70)\n"
    "        data += chunk\n"
    "    return data\n"
    "exec(marshal.loads(_read(int.from_bytes(_read(4), 'big'))))\n";

/// Compiles the kernel with the backend's interpreter; marshal data is only valid for the
/// interpreter that made it.
constexpr std::string_view kCompileKernel =
    "import marshal, sys\n"
    "sys.stdout.buffer.write(marshal.dumps(compile(sys.argv[1], '<sandbench-kernel>', 'exec')))\n";

enum class Isolation { kNone, kBwrap };

/// A backend's settings, shared (immutable) by its sessions, which may outlive it.
struct Settings {
    std::string name;
    std::string python;  ///< resolved, absolute
    Isolation isolation = Isolation::kNone;
    std::string bwrap;  ///< resolved, absolute; for Isolation::kBwrap
    std::size_t output_limit = 0;
    std::chrono::milliseconds startup_timeout{};
    fs::path data_root;
    bool keep_data = false;
    std::optional<uid_t> run_as;  ///< host uid that runs bwrap, when sandbench is root
    std::vector<std::pair<std::string, std::string>> environment;
    std::vector<std::string> bwrap_arguments;  ///< all but the data directory binding
    std::string kernel_config;                 ///< the kernel's JSON argument
    /// A frame holding the kernel's code object, for kBootstrap; empty: run the source with -c.
    std::string kernel_code_frame;
};

std::string errno_text(int error) {
    return std::error_code(error, std::generic_category()).message();
}

/// Opens a direct child of the data directory without following a symlink (a cell could plant
/// one pointing anywhere on the host) and insists on a regular file (a FIFO would block).
Fd open_regular(const fs::path& path, int flags, std::string& problem) {
    Fd fd{::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644)};
    if (!fd.valid()) {
        problem = errno == ELOOP ? "is a symbolic link" : errno_text(errno);
        return fd;
    }
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0 || !S_ISREG(status.st_mode)) {
        problem = "is not a regular file";
        fd.reset();
    }
    return fd;
}

std::string truncation_marker(std::size_t limit, std::uint64_t dropped) {
    return fmt::format("\n[sandbench: output truncated at {} bytes; {} more bytes dropped]\n",
                       limit, dropped);
}

/// The last line of a kernel's stderr, for a death message.
std::string last_line(const std::string& text) {
    std::string_view view = text;
    while (!view.empty() && (view.back() == '\n' || view.back() == ' ')) {
        view.remove_suffix(1);
    }
    const auto newline = view.rfind('\n');
    if (newline != std::string_view::npos) {
        view.remove_prefix(newline + 1);
    }
    if (view.size() > 300) {
        view = view.substr(view.size() - 300);
    }
    return view.empty() ? std::string{} : fmt::format(": {}", view);
}

/// Copies a kernel's reply into `execution`; throws on a reply that misses a field.
void fill_reply(Execution& execution, const json& reply) {
    const auto status = reply.at("status").get<std::string>();
    if (status == "protocol_error") {
        throw std::runtime_error("the kernel rejected a request: " +
                                 reply.value("message", std::string{}));
    }
    execution.backend_time =
        Milliseconds{static_cast<double>(reply.at("time_ns").get<std::int64_t>()) / 1e6};
    execution.result = reply.value("result", json{});
    if (const auto images = reply.find("images"); images != reply.end()) {
        for (const auto& image : *images) {
            execution.images.push_back({"png", image.get<std::string>()});
        }
    }
    if (reply.value("result_truncated", false)) {
        execution.output_truncated = true;
        execution.extra["result_truncated"] = true;
    }
    if (status == "error") {
        execution.status = Status::kUserError;
        execution.error_name = reply.at("error_name").get<std::string>();
        execution.error_value = reply.at("error_value").get<std::string>();
        execution.traceback = reply.at("traceback").get<std::string>();
        execution.message = execution.error_value.empty()
                                ? execution.error_name
                                : execution.error_name + ": " + execution.error_value;
    } else if (status != "ok") {
        throw std::runtime_error("unknown reply status '" + status + "'");
    }
}

class LocalSession final : public Session {
public:
    LocalSession(std::shared_ptr<const Settings> settings, fs::path data_dir,
                 std::unique_ptr<KernelProcess> kernel)
        : settings_(std::move(settings)),
          data_dir_(std::move(data_dir)),
          kernel_(std::move(kernel)),
          pid_(kernel_->pid()) {}

    LocalSession(const LocalSession&) = delete;
    LocalSession& operator=(const LocalSession&) = delete;
    LocalSession(LocalSession&&) = delete;
    LocalSession& operator=(LocalSession&&) = delete;
    ~LocalSession() override {
        if (!closed()) {
            close();
        }
    }

    [[nodiscard]] std::string id() const override { return std::to_string(pid_); }
    [[nodiscard]] bool alive() const noexcept override {
        return death_.empty() && kernel_ != nullptr && kernel_->running();
    }

protected:
    Execution do_execute(std::string_view code, Milliseconds timeout) override;
    Outcome do_upload(std::string_view name, std::string_view bytes) override;
    Download do_download(std::string_view name) override;
    FileListing do_list_files() override;
    Outcome do_close() override;

private:
    /// Kills what is left of the kernel and remembers why the session is over.
    void bury(std::string reason) {
        if (kernel_ != nullptr) {
            kernel_->kill();
        }
        if (death_.empty()) {
            death_ = std::move(reason);
        }
    }
    void fill_output(Execution& execution, CapturedStream& out, CapturedStream& err) const;

    std::shared_ptr<const Settings> settings_;
    fs::path data_dir_;
    std::unique_ptr<KernelProcess> kernel_;
    pid_t pid_;
    std::uint64_t requests_ = 0;
    std::string death_;  ///< why the session is dead; empty while it lives
};

Execution LocalSession::do_execute(std::string_view code, Milliseconds timeout) {
    Execution execution;
    // A kernel that died while idle is found by the exchange itself (end of file on the reply
    // pipe): checking first would cost a system call on every execution.
    if (!death_.empty() || kernel_ == nullptr) {
        execution.status = Status::kBackendError;
        execution.message = "the session is dead: " + death_;
        return execution;
    }
    std::optional<Clock::time_point> deadline;
    if (timeout > Milliseconds::zero() && timeout < kNoDeadline) {
        deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
    }
    const std::uint64_t request_id = ++requests_;
    Exchange exchange =
        kernel_->exchange(json{{"op", "execute"}, {"id", request_id}, {"code", code}}, deadline);
    fill_output(execution, exchange.out, exchange.err);
    switch (exchange.end) {
        case WaitEnd::kTimeout:
            bury(fmt::format("an execution exceeded its timeout of {:.0f} ms", timeout.count()));
            execution.status = Status::kTimeout;
            execution.message = fmt::format(
                "the execution exceeded its timeout of {:.0f} ms; the kernel and every process it "
                "started were killed",
                timeout.count());
            return execution;
        case WaitEnd::kKernelGone:
            kernel_->kill();  // reaps it, and whatever the cell left running in its group
            bury(fmt::format("the kernel died ({}){}", kernel_->ending(),
                             last_line(execution.stderr_text)));
            execution.status = Status::kBackendError;
            execution.message = death_;
            return execution;
        case WaitEnd::kMalformed:
            bury("the kernel sent a malformed reply: " + exchange.problem);
            execution.status = Status::kBackendError;
            execution.message = death_;
            return execution;
        case WaitEnd::kFrame:
            break;
    }
    try {
        // A reply to another request means something wrote on fd 4 besides the kernel's loop
        // (a cell can): the stream can no longer be trusted.
        if (exchange.reply.at("id").get<std::uint64_t>() != request_id) {
            throw std::runtime_error("the reply answers another request");
        }
        fill_reply(execution, exchange.reply);
    } catch (const std::exception& error) {
        bury(fmt::format("the kernel sent a malformed reply: {}", error.what()));
        execution.status = Status::kBackendError;
        execution.message = death_;
    }
    return execution;
}

void LocalSession::fill_output(Execution& execution, CapturedStream& out,
                               CapturedStream& err) const {
    const std::size_t limit = settings_->output_limit;
    execution.stdout_text = sanitize_utf8(std::move(out.text));
    execution.stderr_text = sanitize_utf8(std::move(err.text));
    if (out.dropped > 0) {
        execution.stdout_text += truncation_marker(limit, out.dropped);
    }
    if (err.dropped > 0) {
        execution.stderr_text += truncation_marker(limit, err.dropped);
    }
    execution.output_truncated = out.dropped > 0 || err.dropped > 0;
}

Outcome LocalSession::do_upload(std::string_view name, std::string_view bytes) {
    Outcome outcome;
    std::string problem;
    const Fd fd =
        open_regular(data_dir_ / std::string{name}, O_WRONLY | O_CREAT | O_TRUNC, problem);
    if (fd.valid() && problem.empty()) {
        if (const int error = write_all(fd, bytes); error != 0) {
            problem = errno_text(error);
        }
    }
    if (fd.valid() && problem.empty() && settings_->run_as &&
        ::fchown(fd.get(), *settings_->run_as, *settings_->run_as) != 0) {
        problem = "cannot hand it to the sandbox user: " + errno_text(errno);
    }
    if (!problem.empty()) {
        outcome.status = Status::kBackendError;
        outcome.message = fmt::format("cannot upload '{}': {}", name, problem);
    }
    return outcome;
}

Download LocalSession::do_download(std::string_view name) {
    Download download;
    std::string problem;
    const Fd fd = open_regular(data_dir_ / std::string{name}, O_RDONLY, problem);
    if (fd.valid() && problem.empty()) {
        if (const int error = read_to_end(fd, download.bytes); error != 0) {
            problem = errno_text(error);
        }
    }
    if (!problem.empty()) {
        download.status = Status::kBackendError;
        download.message = fmt::format("cannot download '{}': {}", name, problem);
        download.bytes.clear();
    }
    return download;
}

FileListing LocalSession::do_list_files() {
    FileListing listing;
    boost::system::error_code error;
    for (fs::directory_iterator it{data_dir_, error}, end; !error && it != end;
         it.increment(error)) {
        boost::system::error_code entry_error;
        // symlink_status: a link a cell planted is not a file of the session.
        if (fs::symlink_status(it->path(), entry_error).type() != fs::regular_file) {
            continue;
        }
        const auto size = fs::file_size(it->path(), entry_error);
        if (!entry_error) {
            listing.files.push_back({it->path().filename().string(), size});
        }
    }
    if (error) {
        listing.status = Status::kBackendError;
        listing.message = fmt::format("cannot list the data directory: {}", error.message());
        listing.files.clear();
        return listing;
    }
    std::sort(listing.files.begin(), listing.files.end(),
              [](const FileEntry& a, const FileEntry& b) { return a.name < b.name; });
    return listing;
}

Outcome LocalSession::do_close() {
    Outcome outcome;
    if (kernel_ != nullptr) {
        kernel_->shutdown(kShutdownGrace);
        death_ = death_.empty() ? "the session was closed" : death_;
    }
    if (!settings_->keep_data) {
        boost::system::error_code error;
        fs::remove_all(data_dir_, error);
        if (error) {
            spdlog::warn("local backend '{}': cannot remove {}: {}", settings_->name,
                         data_dir_.string(), error.message());
            outcome.status = Status::kBackendError;
            outcome.message = fmt::format("cannot remove the data directory {}: {}",
                                          data_dir_.string(), error.message());
        }
    }
    return outcome;
}

fs::path make_data_dir(const Settings& settings) {
    std::string path = (settings.data_root / "session-XXXXXX").string();
    if (::mkdtemp(path.data()) == nullptr) {
        throw std::system_error(
            errno, std::generic_category(),
            "cannot create a data directory under " + settings.data_root.string());
    }
    if (settings.run_as && ::chown(path.c_str(), *settings.run_as, *settings.run_as) != 0) {
        const int error = errno;
        fs::remove(path);
        throw std::system_error(error, std::generic_category(),
                                "cannot hand the data directory to the sandbox user");
    }
    return path;
}

LaunchSpec launch_spec(const Settings& settings, const fs::path& data_dir) {
    LaunchSpec spec;
    spec.environment = settings.environment;
    spec.working_directory = data_dir.string();
    const bool precompiled = !settings.kernel_code_frame.empty();
    std::vector<std::string> kernel{
        settings.python, "-I", "-c",
        precompiled ? std::string{kBootstrap} : std::string{kKernelScript}, settings.kernel_config};
    spec.preamble = settings.kernel_code_frame;
    if (settings.isolation == Isolation::kNone) {
        spec.executable = settings.python;
        spec.arguments.assign(kernel.begin() + 1, kernel.end());
        return spec;
    }
    spec.executable = settings.bwrap;
    spec.run_as = settings.run_as;
    spec.arguments = settings.bwrap_arguments;
    // The new root is bwrap's own tmpfs: once everything is mounted it turns read-only, so only
    // /mnt/data, /tmp and /dev/shm take writes.
    for (std::string argument :
         {std::string{"--bind"}, data_dir.string(), std::string{kSandboxDataDir},
          std::string{"--chdir"}, std::string{kSandboxDataDir}, std::string{"--remount-ro"},
          std::string{"/"}, std::string{"--"}}) {
        spec.arguments.push_back(std::move(argument));
    }
    spec.arguments.insert(spec.arguments.end(), kernel.begin(), kernel.end());
    return spec;
}

class LocalBackend final : public Backend {
public:
    LocalBackend(BackendInfo info, std::shared_ptr<const Settings> settings)
        : info_(std::move(info)), settings_(std::move(settings)) {}

    [[nodiscard]] const BackendInfo& info() const noexcept override { return info_; }
    /// Completes the description once the probe told the interpreter's version.
    void describe(const std::string& python_version) {
        info_.description =
            fmt::format("Python {} kernel in a local subprocess{}", python_version,
                        settings_->isolation == Isolation::kBwrap
                            ? " inside bubblewrap (no network, read-only system, rlimits)"
                            : " (no isolation)");
    }

protected:
    SessionStart do_create_session() override {
        SessionStart start;
        fs::path data_dir = make_data_dir(*settings_);
        KernelStart kernel = KernelProcess::start(
            launch_spec(*settings_, data_dir), settings_->output_limit, settings_->startup_timeout);
        if (kernel.kernel == nullptr) {
            boost::system::error_code ignored;
            fs::remove_all(data_dir, ignored);
            start.status = kernel.status;
            start.message = std::move(kernel.message);
            return start;
        }
        start.extra["pid"] = kernel.kernel->pid();
        start.extra["data_dir"] = data_dir.string();
        start.extra["python"] = kernel.kernel->hello().value("python", "");
        spdlog::debug("local backend '{}': kernel {} started in {}", settings_->name,
                      kernel.kernel->pid(), data_dir.string());
        start.session = std::make_unique<LocalSession>(settings_, std::move(data_dir),
                                                       std::move(kernel.kernel));
        return start;
    }

private:
    BackendInfo info_;
    std::shared_ptr<const Settings> settings_;
};

std::string default_python() {
    return ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

fs::path default_data_root() {
    boost::system::error_code error;
    fs::path temp = fs::temp_directory_path(error);
    if (error) {
        temp = "/tmp";
    }
    return temp / fmt::format("sandbench-{}", ::geteuid());
}

/// An executable by path, or looked up on PATH; empty if neither works.
std::string resolve_executable(const std::string& name) {
    if (name.find('/') != std::string::npos) {
        const fs::path absolute = fs::absolute(name);
        return ::access(absolute.c_str(), X_OK) == 0 ? absolute.string() : std::string{};
    }
    return boost::process::search_path(name).string();
}

/// The kernel's code object as a frame for kBootstrap, or empty if the interpreter cannot make
/// it (then the kernel runs from source, a little slower to start).
std::string compile_kernel(const std::string& python) {
    namespace bp = boost::process;
    std::string code;
    try {
        bp::ipstream output;
        bp::child child(
            bp::exe = python,
            bp::args = {"-I", "-c", std::string{kCompileKernel}, std::string{kKernelScript}},
            bp::std_in<bp::null, bp::std_out> output, bp::std_err > bp::null);
        code.assign(std::istreambuf_iterator<char>(output), std::istreambuf_iterator<char>());
        child.wait();
        if (child.exit_code() != 0 || code.empty()) {
            return {};
        }
    } catch (const std::exception& error) {
        spdlog::debug("local backend: cannot precompile the kernel: {}", error.what());
        return {};
    }
    const auto size = static_cast<std::uint32_t>(code.size());
    std::string frame;
    for (const unsigned shift : {24U, 16U, 8U, 0U}) {
        frame.push_back(static_cast<char>((size >> shift) & 0xFFU));
    }
    return frame + code;
}

/// The fixed part of the bwrap command line: a new root holding only the system directories
/// (read-only), fresh /proc, /dev and /tmp, no network, and a minimal environment, so that no
/// secret of the runner's environment or home directory is visible to the cells.
std::vector<std::string> bwrap_arguments(const Settings& settings) {
    std::vector<std::string> arguments{"--unshare-all",
                                       "--unshare-user",
                                       "--disable-userns",
                                       "--die-with-parent",
                                       "--new-session",
                                       "--uid",
                                       std::string{kSandboxId},
                                       "--gid",
                                       std::string{kSandboxId},
                                       "--hostname",
                                       "sandbench",
                                       "--ro-bind",
                                       "/usr",
                                       "/usr",
                                       "--ro-bind",
                                       "/etc",
                                       "/etc",
                                       "--ro-bind-try",
                                       "/opt",
                                       "/opt"};
    // Merged-/usr systems have these as symlinks into /usr; older ones as directories.
    for (const char* name : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
        boost::system::error_code error;
        const auto status = fs::symlink_status(name, error);
        if (status.type() == fs::symlink_file) {
            arguments.insert(arguments.end(),
                             {"--symlink", fs::read_symlink(name, error).string(), name});
        } else if (status.type() == fs::directory_file) {
            arguments.insert(arguments.end(), {"--ro-bind", name, name});
        }
    }
    // An interpreter installed elsewhere (a home-directory build) needs its prefix too.
    boost::system::error_code error;
    const fs::path real_python = fs::canonical(settings.python, error);
    const std::string& real = real_python.string();
    if (!error && real.rfind("/usr/", 0) != 0 && real.rfind("/opt/", 0) != 0) {
        const std::string prefix = real_python.parent_path().parent_path().string();
        arguments.insert(arguments.end(), {"--ro-bind", prefix, prefix});
    }
    arguments.insert(
        arguments.end(),
        {"--proc",     "/proc",      "--dev",    "/dev",         "--tmpfs",
         "/tmp",       "--clearenv", "--setenv", "PATH",         "/usr/local/bin:/usr/bin:/bin",
         "--setenv",   "HOME",       "/tmp",     "--setenv",     "TMPDIR",
         "/tmp",       "--setenv",   "LANG",     "C.UTF-8",      "--setenv",
         "MPLBACKEND", "Agg",        "--setenv", "MPLCONFIGDIR", "/tmp/matplotlib"});
    return arguments;
}

}  // namespace

std::unique_ptr<Backend> make_local_backend(const BackendSpec& spec) {
    const std::string owner = fmt::format("backend '{}'", spec.name);
    ConfigReader reader{owner, spec.config};
    auto settings = std::make_shared<Settings>();
    settings->name = spec.name;
    const std::string python = reader.get_string("python", default_python());
    const std::string isolation = reader.get_choice("isolation", "none", {"none", "bwrap"});
    const auto output_limit = reader.get_int("output_limit_bytes", 8 << 20, 1024, 1LL << 32);
    const auto startup_timeout = reader.get_int("startup_timeout_ms", 10'000, 100, 3'600'000);
    const auto memory_limit_mb = reader.get_int("memory_limit_mb", 2048, 64, 1 << 24);
    const auto max_processes = reader.get_int("max_processes", 256, 16, 1 << 22);
    const auto max_file_size_mb = reader.get_int("max_file_size_mb", 1024, 1, 1 << 24);
    const std::string data_root = reader.get_string("data_root", default_data_root().string());
    const bool keep_data = reader.get_bool("keep_data", false);
    reader.reject_unknown_keys();

    settings->python = resolve_executable(python);
    if (settings->python.empty()) {
        throw BackendUnavailable(
            fmt::format("{}: Python interpreter '{}' not found or not executable", owner, python));
    }
    settings->isolation = isolation == "bwrap" ? Isolation::kBwrap : Isolation::kNone;
    settings->output_limit = static_cast<std::size_t>(output_limit);
    settings->startup_timeout = std::chrono::milliseconds{startup_timeout};
    settings->data_root = fs::absolute(data_root);
    settings->keep_data = keep_data;

    boost::system::error_code error;
    fs::create_directories(settings->data_root, error);
    if (error) {
        throw ConfigError(fmt::format("{}: data_root '{}' cannot be created: {}", owner,
                                      settings->data_root.string(), error.message()));
    }
    json limits = nullptr;
    if (settings->isolation == Isolation::kBwrap) {
        settings->bwrap = resolve_executable("bwrap");
        if (settings->bwrap.empty()) {
            throw BackendUnavailable(fmt::format(
                "{}: isolation 'bwrap' needs bubblewrap on PATH (apt install bubblewrap)", owner));
        }
        if (::geteuid() == 0) {
            settings->run_as = kUnprivilegedUid;
            // bwrap, now unprivileged, must reach the session directories to bind them.
            if (data_root == default_data_root().string()) {
                fs::permissions(settings->data_root, fs::owner_all | fs::group_exe | fs::others_exe,
                                error);
            }
        }
        settings->bwrap_arguments = bwrap_arguments(*settings);
        limits = {{"as", memory_limit_mb << 20},
                  {"nproc", max_processes},
                  {"fsize", max_file_size_mb << 20}};
    }
    settings->kernel_config = json{{"output_limit", output_limit}, {"limits", limits}}.dump();
    settings->kernel_code_frame = compile_kernel(settings->python);
    for (const auto& entry : boost::this_process::environment()) {
        if (entry.get_name() != "MPLBACKEND") {
            settings->environment.emplace_back(entry.get_name(), entry.to_string());
        }
    }
    // Figures render off-screen; pyplot then never looks for a display.
    settings->environment.emplace_back("MPLBACKEND", "Agg");

    BackendInfo info;
    info.name = spec.name;
    info.type = "local";
    info.capabilities.files = true;
    info.capabilities.images = true;
    info.capabilities.explicit_create = true;
    info.capabilities.server_timing = true;
    info.capabilities.isolation = isolation;
    info.config = {{"python", settings->python},
                   {"isolation", isolation},
                   {"output_limit_bytes", output_limit},
                   {"startup_timeout_ms", startup_timeout},
                   {"memory_limit_mb", memory_limit_mb},
                   {"max_processes", max_processes},
                   {"max_file_size_mb", max_file_size_mb},
                   {"data_root", settings->data_root.string()},
                   {"keep_data", keep_data}};
    auto backend = std::make_unique<LocalBackend>(std::move(info), settings);

    // One real kernel now turns a broken set-up (no user namespaces, an interpreter that is not
    // Python 3, an unreachable data_root) into one clear error instead of failed samples.
    SessionStart probe = backend->create_session();
    if (!probe.ok() || probe.session == nullptr) {
        throw BackendUnavailable(
            fmt::format("{}: the Python kernel does not start: {}", owner, probe.message));
    }
    backend->describe(probe.extra.value("python", std::string{"3"}));
    probe.session->close();
    if (keep_data) {  // nobody asked for the probe's directory
        fs::remove_all(probe.extra.value("data_dir", std::string{}), error);
    }
    return backend;
}

}  // namespace sandbench::backends::local
