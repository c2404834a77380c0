// SPDX-License-Identifier: Apache-2.0
#include "sandbox.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <functional>
#include <random>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "sandbench/common/fd.hpp"

namespace sandbench::emulators::e2b {
namespace {

using nlohmann::json;
using Milliseconds = backends::Milliseconds;

/// Set-up executions (environment, working directory) are tiny; a kernel that needs longer is
/// broken.
constexpr Milliseconds kSilentTimeout{30'000.0};

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

/// When the emulator runs as root, the kernels run as an unprivileged user that owns their data
/// directories; what the emulator creates there must be theirs too, or a cell could not change it.
void hand_over(int fd, const struct stat& owner) {
    if (::geteuid() == 0 && owner.st_uid != 0) {
        (void)::fchown(fd, owner.st_uid, owner.st_gid);
    }
}

/// Opens the directory `components` below `root`, one component at a time and never through a
/// symbolic link; creates missing ones when `create`. Sets `error` (an errno) on failure.
Fd walk(int root, const std::vector<std::string>& components, std::size_t count, bool create,
        const struct stat& owner, int& error) {
    Fd current{::fcntl(root, F_DUPFD_CLOEXEC, 0)};
    for (std::size_t i = 0; i < count && current.valid(); ++i) {
        Fd next{::openat(current.get(), components[i].c_str(), kDirFlags)};
        if (!next.valid() && errno == ENOENT && create) {
            if (::mkdirat(current.get(), components[i].c_str(), 0755) != 0 && errno != EEXIST) {
                error = errno;
                return {};
            }
            next = Fd{::openat(current.get(), components[i].c_str(), kDirFlags)};
            if (next.valid()) {
                hand_over(next.get(), owner);
            }
        }
        if (!next.valid()) {
            error = errno;
            return {};
        }
        current = std::move(next);
    }
    return current;
}

std::string rfc3339(const struct timespec& time) {
    struct tm parts {};
    const time_t seconds = time.tv_sec;
    ::gmtime_r(&seconds, &parts);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", parts.tm_year + 1900,
                       parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                       time.tv_nsec);
}

/// Go's os.FileMode.String(), which envd reports as `permissions`.
std::string permissions(mode_t mode) {
    std::string text = S_ISDIR(mode) ? "d" : S_ISLNK(mode) ? "L" : "-";
    constexpr const char* kLetters = "rwxrwxrwx";
    for (int bit = 0; bit < 9; ++bit) {
        text += (mode & (1U << (8 - bit))) != 0 ? kLetters[bit] : '-';
    }
    return text;
}

/// An envd EntryInfo in proto3 JSON (zero values omitted, int64 as a string, enums by name).
json entry_info(int dir, const std::string& name, const std::string& sandbox_path) {
    struct stat status {};
    if (::fstatat(dir, name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
        return nullptr;
    }
    const char* type = S_ISDIR(status.st_mode)   ? "FILE_TYPE_DIRECTORY"
                       : S_ISLNK(status.st_mode) ? "FILE_TYPE_SYMLINK"
                       : S_ISREG(status.st_mode) ? "FILE_TYPE_FILE"
                                                 : "FILE_TYPE_UNSPECIFIED";
    // Go's FileMode: permission bits plus ModeDir (1 << 31) or ModeSymlink (1 << 27).
    std::uint32_t mode = status.st_mode & 0777U;
    mode |= S_ISDIR(status.st_mode) ? (1U << 31U) : 0U;
    mode |= S_ISLNK(status.st_mode) ? (1U << 27U) : 0U;
    json entry = {{"name", name},
                  {"type", type},
                  {"path", sandbox_path},
                  {"mode", mode},
                  {"permissions", permissions(status.st_mode)},
                  {"owner", "user"},
                  {"group", "user"},
                  {"modifiedTime", rfc3339(status.st_mtim)}};
    if (status.st_size > 0) {
        entry["size"] = std::to_string(status.st_size);
    }
    if (S_ISLNK(status.st_mode)) {
        std::string target(4096, '\0');
        const ssize_t length = ::readlinkat(dir, name.c_str(), target.data(), target.size());
        target.resize(length > 0 ? static_cast<std::size_t>(length) : 0);
        entry["symlinkTarget"] = target;
    }
    return entry;
}

std::vector<std::string> directory_names(int dir) {
    std::vector<std::string> names;
    // A descriptor of its own: closedir() closes what fdopendir() was given.
    const int copy = ::openat(dir, ".", kDirFlags);
    if (copy < 0) {
        return names;
    }
    DIR* stream = ::fdopendir(copy);
    if (stream == nullptr) {
        ::close(copy);
        return names;
    }
    while (const dirent* entry = ::readdir(stream)) {
        const std::string name = entry->d_name;
        if (name != "." && name != "..") {
            names.push_back(name);
        }
    }
    ::closedir(stream);
    std::sort(names.begin(), names.end());
    return names;
}

/// Removes `name` in `dir` and, for a directory, everything in it, without following links.
bool remove_tree(int dir, const std::string& name) {
    if (::unlinkat(dir, name.c_str(), 0) == 0) {
        return true;
    }
    if (errno != EISDIR && errno != EPERM) {
        return errno == ENOENT;
    }
    Fd child{::openat(dir, name.c_str(), kDirFlags)};
    if (!child.valid()) {
        return false;
    }
    for (const auto& entry : directory_names(child.get())) {
        if (!remove_tree(child.get(), entry)) {
            return false;
        }
    }
    return ::unlinkat(dir, name.c_str(), AT_REMOVEDIR) == 0;
}

/// Moves every entry of directory `from` into directory `to` (same file system).
void move_entries(int from, int to) {
    for (const auto& name : directory_names(from)) {
        if (::renameat(from, name.c_str(), to, name.c_str()) != 0) {
            (void)remove_tree(to, name);
            (void)::renameat(from, name.c_str(), to, name.c_str());
        }
    }
}

FileResult failure(int status, std::string message) {
    FileResult result;
    result.status = status;
    result.message = std::move(message);
    return result;
}

FileResult errno_failure(int error, const std::string& path) {
    switch (error) {
        case ENOENT:
            return failure(404, fmt::format("path '{}' does not exist", path));
        case ENOTDIR:
            return failure(400, fmt::format("path '{}' is not a directory", path));
        case EISDIR:
            return failure(400, fmt::format("path '{}' is a directory", path));
        case ELOOP:
            return failure(400, fmt::format("path '{}' goes through a symbolic link, which the "
                                            "sandbench emulator does not follow",
                                            path));
        case ENOSPC:
        case EDQUOT:
            return failure(507, "not enough disk space available");
        case EACCES:
        case EPERM:
            return failure(403, fmt::format("permission denied for '{}'", path));
        default:
            return failure(500,
                           fmt::format("'{}': {}", path,
                                       std::error_code(error, std::generic_category()).message()));
    }
}

/// Opens the directory `levels` components down from `data_dir` (a context's data directory)
/// along `components`, creating missing ones when `create`. On failure the Fd is invalid and
/// `failed` says why, for `path` (the path the client asked for). `owner`, when given, receives
/// the data directory's status: what the caller creates there is handed over to its owner.
Fd open_below(const std::string& data_dir, const std::vector<std::string>& components,
              std::size_t levels, bool create, const std::string& path, FileResult& failed,
              struct stat* owner_out = nullptr) {
    Fd root{::open(data_dir.c_str(), kDirFlags)};
    struct stat owner {};
    if (!root.valid() || ::fstat(root.get(), &owner) != 0) {
        failed = errno_failure(errno, path);
        return {};
    }
    int error = ENOENT;
    Fd dir = walk(root.get(), components, levels, create, owner, error);
    if (!dir.valid()) {
        failed = errno_failure(error, path);
    } else if (owner_out != nullptr) {
        *owner_out = owner;
    }
    return dir;
}

std::vector<std::string> components_of(const std::string& path) {
    std::vector<std::string> parts;
    std::size_t start = 1;
    while (start < path.size()) {
        const auto end = path.find('/', start);
        parts.push_back(path.substr(start, end - start));
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    return parts;
}

std::string join_path(const std::string& base, const std::string& name) {
    return base == "/" ? "/" + name : base + "/" + name;
}

}  // namespace

std::string normalize_path(std::string_view path) {
    std::string absolute = !path.empty() && path.front() == '/'
                               ? std::string(path)
                               : std::string(kHome) + "/" + std::string(path);
    std::vector<std::string> parts;
    for (auto& part : components_of(absolute)) {
        if (part.empty() || part == ".") {
            continue;
        }
        if (part == "..") {
            if (!parts.empty()) {
                parts.pop_back();
            }
            continue;
        }
        parts.push_back(std::move(part));
    }
    std::string normalized;
    for (const auto& part : parts) {
        normalized += "/" + part;
    }
    return normalized.empty() ? "/" : normalized;
}

std::string random_uuid() {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    const std::uint64_t high = (random() & ~0xF000ULL) | 0x4000ULL;         // version 4
    const std::uint64_t low = (random() & ~(3ULL << 62U)) | (2ULL << 62U);  // RFC 4122 variant
    return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32U, (high >> 16U) & 0xFFFFU,
                       high & 0xFFFFU, low >> 48U, low & 0xFFFFFFFFFFFFULL);
}

Sandbox::Sandbox(SandboxInfo info, backends::Backend& kernels, bool share_host_dirs)
    : info_(std::move(info)), kernels_(kernels), share_host_dirs_(share_host_dirs) {}

Sandbox::~Sandbox() { kill(); }

std::optional<std::string> Sandbox::start_kernel(Context& context) {
    backends::SessionStart start = kernels_.create_session();
    if (!start.ok() || start.session == nullptr) {
        return "the kernel does not start: " + start.message;
    }
    context.session = std::move(start.session);
    context.pid = start.extra.value("pid", pid_t{0});
    {
        const std::lock_guard lock(fs_mutex_);
        context.data_dir = start.extra.value("data_dir", std::string{});
    }
    apply_environment(context);
    return std::nullopt;
}

void Sandbox::apply_environment(Context& context) {
    std::string code;
    if (!info_.env_vars.empty()) {
        // A JSON object of strings is also a valid Python dict literal.
        code += "__import__('os').environ.update(" + info_.env_vars.dump(-1, ' ', true) + ")\n";
    }
    if (share_host_dirs_ && !context.mounted) {
        // Without isolation, a context in a directory another context owns can share it.
        std::string target;
        {
            const std::lock_guard lock(fs_mutex_);
            for (const auto& [mount, owner] : mounts_) {
                if (mount == context.cwd) {
                    target = owner->data_dir;
                }
            }
        }
        if (!target.empty()) {
            code += "__import__('os').chdir(" + json(target).dump(-1, ' ', true) + ")\n";
        }
    }
    if (!code.empty()) {
        run_silently(context, code);
    }
}

void Sandbox::run_silently(Context& context, const std::string& code) {
    if (context.session != nullptr) {
        (void)context.session->execute(code, kSilentTimeout);
    }
}

std::optional<std::string> Sandbox::start() {
    auto context = std::make_shared<Context>();
    context->id = random_uuid();
    context->cwd = std::string(kHome);
    context->mounted = true;
    {
        const std::lock_guard exec(context->exec_mutex);
        if (auto problem = start_kernel(*context)) {
            return problem;
        }
    }
    {
        const std::lock_guard lock(fs_mutex_);
        mounts_.emplace_back(std::string(kHome), context);
    }
    const std::lock_guard lock(mutex_);
    contexts_.push_back(context);
    default_ = context;
    return std::nullopt;
}

void Sandbox::interrupt(Context& context) noexcept {
    const pid_t pid = context.pid.load();
    if (pid > 0) {
        // The kernel is still our unreaped child (the session reaps it when it sees it gone), so
        // the pid cannot have been reused by another process.
        (void)::kill(pid, SIGKILL);
    }
    context.needs_restart = true;
}

void Sandbox::kill() noexcept {
    if (killed_.exchange(true)) {
        return;
    }
    std::vector<std::shared_ptr<Context>> all;
    {
        const std::lock_guard lock(mutex_);
        all = contexts_;
        contexts_.clear();
        default_.reset();
    }
    for (const auto& context : all) {
        interrupt(*context);
    }
    std::vector<std::string> dirs;
    for (const auto& context : all) {
        const std::lock_guard exec(context->exec_mutex);
        if (context->session != nullptr) {
            (void)context->session->close();
            context->session.reset();
        }
        context->pid = 0;
        const std::lock_guard lock(fs_mutex_);
        dirs.push_back(context->data_dir);
    }
    {
        const std::lock_guard lock(fs_mutex_);
        mounts_.clear();
    }
    for (const auto& dir : dirs) {
        if (!dir.empty()) {
            std::error_code ignored;
            std::filesystem::remove_all(dir, ignored);  // does not follow links inside
        }
    }
}

std::chrono::steady_clock::time_point Sandbox::end_at() const {
    const std::lock_guard lock(mutex_);
    return end_at_;
}

std::chrono::system_clock::time_point Sandbox::end_at_wall() const {
    const std::lock_guard lock(mutex_);
    return end_at_wall_;
}

void Sandbox::set_timeout(std::chrono::seconds from_now) {
    const std::lock_guard lock(mutex_);
    end_at_ = std::chrono::steady_clock::now() + from_now;
    end_at_wall_ = std::chrono::system_clock::now() + from_now;
}

void Sandbox::extend_to(std::chrono::seconds from_now) {
    const std::lock_guard lock(mutex_);
    const auto candidate = std::chrono::steady_clock::now() + from_now;
    if (candidate > end_at_) {
        end_at_ = candidate;
        end_at_wall_ = std::chrono::system_clock::now() + from_now;
    }
}

std::shared_ptr<Context> Sandbox::default_context() const {
    const std::lock_guard lock(mutex_);
    return default_;
}

std::shared_ptr<Context> Sandbox::find_context(const std::string& id) const {
    const std::lock_guard lock(mutex_);
    for (const auto& context : contexts_) {
        if (context->id == id) {
            return context;
        }
    }
    return nullptr;
}

std::vector<std::shared_ptr<Context>> Sandbox::contexts() const {
    const std::lock_guard lock(mutex_);
    return contexts_;
}

std::shared_ptr<Context> Sandbox::create_context(const std::string& cwd, std::string& problem) {
    auto context = std::make_shared<Context>();
    context->id = random_uuid();
    context->cwd = normalize_path(cwd);
    {
        const std::lock_guard lock(fs_mutex_);
        const bool taken = std::any_of(mounts_.begin(), mounts_.end(), [&](const auto& mount) {
            return mount.first == context->cwd;
        });
        context->mounted = !taken;
    }
    {
        const std::lock_guard exec(context->exec_mutex);
        if (auto failed = start_kernel(*context)) {
            problem = *failed;
            return nullptr;
        }
    }
    if (context->mounted) {
        const std::lock_guard lock(fs_mutex_);
        // A directory that already exists at the working directory moves into the new kernel's
        // data directory, which then stands in for it.
        if (auto resolved = resolve_locked(context->cwd);
            resolved && !resolved->components.empty()) {
            Fd root{::open(resolved->dir.c_str(), kDirFlags)};
            struct stat owner {};
            int error = 0;
            if (root.valid() && ::fstat(root.get(), &owner) == 0) {
                Fd existing = walk(root.get(), resolved->components, resolved->components.size(),
                                   false, owner, error);
                Fd target{::open(context->data_dir.c_str(), kDirFlags)};
                if (existing.valid() && target.valid()) {
                    move_entries(existing.get(), target.get());
                    Fd parent = walk(root.get(), resolved->components,
                                     resolved->components.size() - 1, false, owner, error);
                    if (parent.valid()) {
                        (void)::unlinkat(parent.get(), resolved->components.back().c_str(),
                                         AT_REMOVEDIR);
                    }
                }
            }
        }
        mounts_.emplace_back(context->cwd, context);
    }
    {
        const std::lock_guard lock(mutex_);
        if (!killed_) {
            contexts_.push_back(context);
            return context;
        }
    }
    // kill() ran while the kernel started: it did not see this context, so end it here.
    const std::lock_guard exec(context->exec_mutex);
    (void)context->session->close();
    context->session.reset();
    std::error_code ignored;
    std::filesystem::remove_all(context->data_dir, ignored);
    problem = "the sandbox was killed";
    return nullptr;
}

std::optional<std::string> Sandbox::restart_locked(Context& context) {
    if (killed_) {
        return "the sandbox was killed";  // no kernel may outlive kill()
    }
    std::string old_dir;
    {
        const std::lock_guard lock(fs_mutex_);
        old_dir = context.data_dir;
    }
    if (context.session != nullptr) {
        (void)context.session->close();  // the data directory stays (keep_data)
        context.session.reset();
    }
    context.pid = 0;
    context.execution_count = 0;  // a restarted Jupyter kernel counts from 1 again
    backends::SessionStart start = kernels_.create_session();
    if (!start.ok() || start.session == nullptr) {
        context.needs_restart = true;
        return "the kernel does not restart: " + start.message;
    }
    context.session = std::move(start.session);
    context.pid = start.extra.value("pid", pid_t{0});
    {
        const std::lock_guard lock(fs_mutex_);
        context.data_dir = start.extra.value("data_dir", std::string{});
        Fd from{::open(old_dir.c_str(), kDirFlags)};
        Fd to{::open(context.data_dir.c_str(), kDirFlags)};
        if (from.valid() && to.valid()) {
            move_entries(from.get(), to.get());
        }
    }
    std::error_code ignored;
    std::filesystem::remove_all(old_dir, ignored);
    context.needs_restart = false;
    apply_environment(context);
    return std::nullopt;
}

bool Sandbox::remove_context(const std::string& id) {
    std::shared_ptr<Context> context;
    {
        const std::lock_guard lock(mutex_);
        const auto it = std::find_if(contexts_.begin(), contexts_.end(),
                                     [&](const auto& known) { return known->id == id; });
        if (it == contexts_.end()) {
            return false;
        }
        context = *it;
        contexts_.erase(it);
        if (default_ == context) {
            default_.reset();
        }
    }
    interrupt(*context);
    const std::lock_guard exec(context->exec_mutex);
    if (context->session != nullptr) {
        (void)context->session->close();
        context->session.reset();
    }
    context->pid = 0;
    const std::lock_guard lock(fs_mutex_);
    if (context->mounted) {
        // The files stay where the client put them: back into the tree below.
        mounts_.erase(std::remove_if(mounts_.begin(), mounts_.end(),
                                     [&](const auto& mount) { return mount.second == context; }),
                      mounts_.end());
        if (auto resolved = resolve_locked(context->cwd)) {
            FileResult ignored;
            Fd target = open_below(resolved->dir, resolved->components, resolved->components.size(),
                                   true, context->cwd, ignored);
            Fd from{::open(context->data_dir.c_str(), kDirFlags)};
            if (target.valid() && from.valid()) {
                move_entries(from.get(), target.get());
            }
        }
    }
    std::error_code ignored;
    std::filesystem::remove_all(context->data_dir, ignored);
    return true;
}

std::optional<Sandbox::Resolved> Sandbox::resolve_locked(const std::string& path) const {
    const std::pair<std::string, std::shared_ptr<Context>>* best = nullptr;
    for (const auto& mount : mounts_) {
        const auto& prefix = mount.first;
        const bool inside = path == prefix || (path.size() > prefix.size() &&
                                               path.compare(0, prefix.size(), prefix) == 0 &&
                                               path[prefix.size()] == '/');
        if (inside && (best == nullptr || prefix.size() > best->first.size())) {
            best = &mount;
        }
    }
    if (best == nullptr) {
        return std::nullopt;
    }
    Resolved resolved{best->first, best->second->data_dir, {}};
    if (path.size() > best->first.size()) {
        resolved.components = components_of(path.substr(best->first.size()));
    }
    return resolved;
}

FileResult Sandbox::read_file(const std::string& raw_path) {
    const std::string path = normalize_path(raw_path);
    const std::lock_guard lock(fs_mutex_);
    const auto resolved = resolve_locked(path);
    if (!resolved) {
        return failure(404, fmt::format("path '{}' does not exist", path));
    }
    if (resolved->components.empty()) {
        return failure(400, fmt::format("path '{}' is a directory", path));
    }
    FileResult failed;
    Fd parent = open_below(resolved->dir, resolved->components, resolved->components.size() - 1,
                           false, path, failed);
    if (!parent.valid()) {
        return failed;
    }
    Fd file{::openat(parent.get(), resolved->components.back().c_str(),
                     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
    struct stat status {};
    if (!file.valid() || ::fstat(file.get(), &status) != 0) {
        return errno_failure(errno, path);
    }
    if (S_ISDIR(status.st_mode)) {
        return failure(400, fmt::format("path '{}' is a directory", path));
    }
    if (!S_ISREG(status.st_mode)) {
        return failure(400, fmt::format("path '{}' is not a regular file", path));
    }
    FileResult result;
    result.bytes.reserve(static_cast<std::size_t>(status.st_size));
    std::array<char, std::size_t{1} << 16> buffer{};
    while (true) {
        const ssize_t got = ::read(file.get(), buffer.data(), buffer.size());
        if (got > 0) {
            result.bytes.append(buffer.data(), static_cast<std::size_t>(got));
        } else if (got == 0) {
            break;
        } else if (errno != EINTR) {
            return errno_failure(errno, path);
        }
    }
    return result;
}

FileResult Sandbox::write_file(const std::string& raw_path, std::string_view bytes) {
    const std::string path = normalize_path(raw_path);
    const std::lock_guard lock(fs_mutex_);
    const auto resolved = resolve_locked(path);
    if (!resolved) {
        return failure(400, fmt::format("path '{}' is outside the emulated sandbox's file tree "
                                        "(under {})",
                                        path, kHome));
    }
    if (resolved->components.empty()) {
        return failure(400, fmt::format("path '{}' is a directory", path));
    }
    // envd creates the parent directories of an upload.
    FileResult failed;
    struct stat owner {};
    Fd parent = open_below(resolved->dir, resolved->components, resolved->components.size() - 1,
                           true, path, failed, &owner);
    if (!parent.valid()) {
        return failed;
    }
    const std::string& name = resolved->components.back();
    Fd file{::openat(parent.get(), name.c_str(),
                     O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644)};
    struct stat status {};
    if (!file.valid() || ::fstat(file.get(), &status) != 0) {
        return errno_failure(errno, path);
    }
    if (!S_ISREG(status.st_mode)) {
        return failure(400, fmt::format("path '{}' is not a regular file", path));
    }
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t now = ::write(file.get(), bytes.data() + written, bytes.size() - written);
        if (now >= 0) {
            written += static_cast<std::size_t>(now);
        } else if (errno != EINTR) {
            return errno_failure(errno, path);
        }
    }
    hand_over(file.get(), owner);
    FileResult result;
    result.entry = {{"path", path}, {"name", name}, {"type", "file"}};
    return result;
}

FileResult Sandbox::list_dir(const std::string& raw_path, int depth) {
    const std::string path = normalize_path(raw_path);
    const std::lock_guard lock(fs_mutex_);
    const auto resolved = resolve_locked(path);
    if (!resolved) {
        return failure(404, fmt::format("path '{}' does not exist", path));
    }
    FileResult failed;
    Fd dir = open_below(resolved->dir, resolved->components, resolved->components.size(), false,
                        path, failed);
    if (!dir.valid()) {
        return failed;
    }
    FileResult result;
    // Depth-first like envd's WalkDir, each directory's entries in lexical order.
    const std::function<void(int, const std::string&, int)> visit =
        [&](int at, const std::string& base, int levels) {
            for (const auto& name : directory_names(at)) {
                const std::string child = join_path(base, name);
                json entry = entry_info(at, name, child);
                if (entry.is_null()) {
                    continue;
                }
                const bool is_dir = entry["type"] == "FILE_TYPE_DIRECTORY";
                result.entries.push_back(std::move(entry));
                if (is_dir && levels > 1) {
                    Fd sub{::openat(at, name.c_str(), kDirFlags)};
                    if (sub.valid()) {
                        visit(sub.get(), child, levels - 1);
                    }
                }
            }
        };
    visit(dir.get(), path, std::max(depth, 1));
    // Contexts mounted directly below this directory appear as the directories they stand for.
    for (const auto& [mount, context] : mounts_) {
        const auto slash = mount.rfind('/');
        const std::string parent = slash == 0 ? "/" : mount.substr(0, slash);
        if (parent != path) {
            continue;
        }
        const std::string name = mount.substr(slash + 1);
        const bool listed =
            std::any_of(result.entries.begin(), result.entries.end(),
                        [&mount = mount](const json& entry) { return entry["path"] == mount; });
        Fd mounted{::open(context->data_dir.c_str(), kDirFlags)};
        if (!listed && mounted.valid()) {
            Fd parent_dir{
                ::open(std::filesystem::path(context->data_dir).parent_path().c_str(), kDirFlags)};
            json entry =
                entry_info(parent_dir.get(),
                           std::filesystem::path(context->data_dir).filename().string(), mount);
            if (!entry.is_null()) {
                entry["name"] = name;
                result.entries.push_back(std::move(entry));
            }
        }
    }
    return result;
}

FileResult Sandbox::stat(const std::string& raw_path) {
    const std::string path = normalize_path(raw_path);
    const std::lock_guard lock(fs_mutex_);
    const auto resolved = resolve_locked(path);
    if (!resolved) {
        return failure(404, fmt::format("path '{}' does not exist", path));
    }
    FileResult result;
    if (resolved->components.empty()) {
        const std::filesystem::path dir(resolved->dir);
        Fd parent{::open(dir.parent_path().c_str(), kDirFlags)};
        result.entry = entry_info(parent.get(), dir.filename().string(), path);
        const auto slash = path.rfind('/');
        if (!result.entry.is_null()) {
            result.entry["name"] = path.substr(slash + 1);
        }
    } else {
        FileResult failed;
        Fd parent = open_below(resolved->dir, resolved->components, resolved->components.size() - 1,
                               false, path, failed);
        if (!parent.valid()) {
            return failed;
        }
        result.entry = entry_info(parent.get(), resolved->components.back(), path);
    }
    if (result.entry.is_null()) {
        return failure(404, fmt::format("path '{}' does not exist", path));
    }
    return result;
}

FileResult Sandbox::make_dir(const std::string& raw_path) {
    const std::string path = normalize_path(raw_path);
    const std::lock_guard lock(fs_mutex_);
    const auto resolved = resolve_locked(path);
    if (!resolved) {
        return failure(400, fmt::format("path '{}' is outside the emulated sandbox's file tree "
                                        "(under {})",
                                        path, kHome));
    }
    if (resolved->components.empty()) {
        return failure(409, fmt::format("directory '{}' already exists", path));
    }
    FileResult failed;
    struct stat owner {};
    Fd parent = open_below(resolved->dir, resolved->components, resolved->components.size() - 1,
                           true, path, failed, &owner);
    if (!parent.valid()) {
        return failed;
    }
    const std::string& name = resolved->components.back();
    if (::mkdirat(parent.get(), name.c_str(), 0755) != 0) {
        if (errno == EEXIST) {
            return failure(409, fmt::format("directory '{}' already exists", path));
        }
        return errno_failure(errno, path);
    }
    Fd made{::openat(parent.get(), name.c_str(), kDirFlags)};
    if (made.valid()) {
        hand_over(made.get(), owner);
    }
    FileResult result;
    result.entry = entry_info(parent.get(), name, path);
    return result;
}

FileResult Sandbox::remove(const std::string& raw_path) {
    const std::string path = normalize_path(raw_path);
    const std::lock_guard lock(fs_mutex_);
    const auto resolved = resolve_locked(path);
    if (!resolved) {
        return failure(404, fmt::format("path '{}' does not exist", path));
    }
    if (resolved->components.empty()) {
        return failure(400, fmt::format("path '{}' is a context's working directory", path));
    }
    FileResult failed;
    Fd parent = open_below(resolved->dir, resolved->components, resolved->components.size() - 1,
                           false, path, failed);
    if (!parent.valid()) {
        return failed;
    }
    struct stat status {};
    if (::fstatat(parent.get(), resolved->components.back().c_str(), &status,
                  AT_SYMLINK_NOFOLLOW) != 0) {
        return errno_failure(errno, path);
    }
    if (!remove_tree(parent.get(), resolved->components.back())) {
        return errno_failure(errno, path);
    }
    return {};
}

}  // namespace sandbench::emulators::e2b
