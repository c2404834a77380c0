// SPDX-License-Identifier: Apache-2.0
#include "aca_data_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "sandbench/common/fd.hpp"

namespace sandbench::emulators::aca {
namespace {

constexpr std::string_view kDataPrefix = "/mnt/data";

std::string errno_text(int error) {
    return std::error_code(error, std::generic_category()).message();
}

FileResult failure(FileError error, std::string message) { return {error, std::move(message)}; }

FileResult from_errno(int error, std::string_view what) {
    if (error == ENOENT || error == ENOTDIR) {
        return failure(FileError::kNotFound, fmt::format("{}: not found", what));
    }
    if (error == ELOOP) {
        return failure(FileError::kNotFound, fmt::format("{}: not a regular file", what));
    }
    return failure(FileError::kOther, fmt::format("{}: {}", what, errno_text(error)));
}

std::vector<std::string_view> components(std::string_view path) {
    std::vector<std::string_view> parts;
    while (!path.empty()) {
        const auto slash = path.find('/');
        const auto part = path.substr(0, slash);
        if (!part.empty()) {
            parts.push_back(part);
        }
        if (slash == std::string_view::npos) {
            break;
        }
        path.remove_prefix(slash + 1);
    }
    return parts;
}

std::optional<std::string> invalid_component(std::string_view part) {
    if (part == "." || part == "..") {
        return fmt::format("'{}' is not allowed in a path", part);
    }
    if (part.size() > 255) {
        return "a file name must not exceed 255 bytes";
    }
    for (const char c : part) {
        if (static_cast<unsigned char>(c) < 0x20U || c == '\x7f' || c == '\\') {
            return "a file name must not contain control characters or backslashes";
        }
    }
    return std::nullopt;
}

FileInfo describe(const struct stat& status, std::string_view directory, std::string_view name) {
    FileInfo info;
    info.name = std::string(name);
    info.directory = std::string(directory);
    info.is_directory = S_ISDIR(status.st_mode);
    info.size = info.is_directory ? 0 : static_cast<std::uint64_t>(status.st_size);
    info.modified = std::chrono::system_clock::time_point{
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds{status.st_mtim.tv_sec} +
            std::chrono::nanoseconds{status.st_mtim.tv_nsec})};
    return info;
}

/// Gives a new entry to the data directory's owner (the sandbox user when we run as root), so
/// that the session's code can change what a client uploaded.
void hand_over(int fd, const struct stat& root) {
    if (::geteuid() == 0 && root.st_uid != 0) {
        static_cast<void>(::fchown(fd, root.st_uid, root.st_gid));
    }
}

/// Opens `directory` below `root` without following links; creates missing parts if `create`.
FileResult open_directory(const std::string& root, std::string_view directory, bool create, Fd& out,
                          struct stat& root_status) {
    Fd current{::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (!current.valid() || ::fstat(current.get(), &root_status) != 0) {
        return from_errno(errno, "the session's data directory");
    }
    for (const auto part : components(directory)) {
        if (auto problem = invalid_component(part)) {
            return failure(FileError::kInvalid, *problem);
        }
        const std::string name(part);
        Fd next{
            ::openat(current.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
        if (!next.valid() && errno == ENOENT && create) {
            if (::mkdirat(current.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
                return from_errno(errno, fmt::format("directory '{}'", name));
            }
            next = Fd{::openat(current.get(), name.c_str(),
                               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
            if (next.valid()) {
                hand_over(next.get(), root_status);
            }
        }
        if (!next.valid()) {
            return from_errno(errno, fmt::format("directory '{}'", name));
        }
        current = std::move(next);
    }
    out = std::move(current);
    return {};
}

FileResult list_into(int directory_fd, const std::string& relative, bool recursive,
                     std::vector<FileInfo>& out) {
    const int duplicate = ::dup(directory_fd);
    DIR* stream = duplicate < 0 ? nullptr : ::fdopendir(duplicate);
    if (stream == nullptr) {
        if (duplicate >= 0) {
            ::close(duplicate);
        }
        return from_errno(errno, "listing");
    }
    std::vector<std::string> children;
    while (const dirent* entry = ::readdir(stream)) {
        const std::string_view name = entry->d_name;
        if (name == "." || name == "..") {
            continue;
        }
        struct stat status {};
        if (::fstatat(directory_fd, entry->d_name, &status, AT_SYMLINK_NOFOLLOW) != 0) {
            continue;
        }
        // Links, FIFOs, sockets and devices a cell made are not files of the session.
        if (S_ISREG(status.st_mode) || S_ISDIR(status.st_mode)) {
            out.push_back(describe(status, relative, name));
            if (S_ISDIR(status.st_mode) && recursive) {
                children.emplace_back(name);
            }
        }
    }
    ::closedir(stream);
    for (const auto& child : children) {
        Fd fd{
            ::openat(directory_fd, child.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
        if (fd.valid()) {
            const std::string below =
                relative.empty() ? child : fmt::format("{}/{}", relative, child);
            if (auto result = list_into(fd.get(), below, recursive, out); !result.ok()) {
                return result;
            }
        }
    }
    return {};
}

}  // namespace

std::optional<std::string> relative_directory(std::string_view path, std::string& problem) {
    if (path.starts_with(kDataPrefix) &&
        (path.size() == kDataPrefix.size() || path[kDataPrefix.size()] == '/')) {
        path.remove_prefix(kDataPrefix.size());
    } else if (path.starts_with('/')) {
        problem = fmt::format("path '{}' is outside /mnt/data", path);
        return std::nullopt;
    }
    std::string relative;
    for (const auto part : components(path)) {
        if (auto invalid = invalid_component(part)) {
            problem = *invalid;
            return std::nullopt;
        }
        relative += relative.empty() ? std::string(part) : "/" + std::string(part);
    }
    return relative;
}

std::optional<std::pair<std::string, std::string>> split_file_name(std::string_view directory,
                                                                   std::string_view name,
                                                                   std::string& problem) {
    // Semantic Kernel and LlamaIndex send "/mnt/data/<name>", others the bare name (notes §3.2).
    if (name.starts_with("mnt/data/")) {
        name.remove_prefix(std::string_view{"mnt/data/"}.size());
    }
    auto combined = relative_directory(name, problem);
    if (!combined) {
        return std::nullopt;
    }
    const auto slash = combined->rfind('/');
    std::string file = slash == std::string::npos ? *combined : combined->substr(slash + 1);
    std::string dir(directory);
    if (slash != std::string::npos) {
        dir += (dir.empty() ? "" : "/") + combined->substr(0, slash);
    }
    if (file.empty()) {
        problem = "a file name must not be empty";
        return std::nullopt;
    }
    return std::pair{std::move(dir), std::move(file)};
}

FileResult DataDir::write(std::string_view directory, std::string_view name, std::string_view bytes,
                          FileInfo& info) const {
    if (auto problem = invalid_component(name); problem || name.empty()) {
        return failure(FileError::kInvalid, problem.value_or("a file name must not be empty"));
    }
    Fd dir;
    struct stat root_status {};
    if (auto result = open_directory(root_, directory, /*create=*/true, dir, root_status);
        !result.ok()) {
        return result;
    }
    const std::string file(name);
    // Write a temporary file and rename it over the target: the target may be a link or FIFO a
    // cell planted, which rename() replaces instead of following.
    const std::string temporary = fmt::format(".upload-{}-{}", ::getpid(), file);
    Fd fd{::openat(dir.get(), temporary.c_str(),
                   O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)};
    if (!fd.valid()) {
        return from_errno(errno, fmt::format("file '{}'", file));
    }
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t now = ::write(fd.get(), bytes.data() + written, bytes.size() - written);
        if (now < 0 && errno != EINTR) {
            const int error = errno;
            ::unlinkat(dir.get(), temporary.c_str(), 0);
            return from_errno(error, fmt::format("file '{}'", file));
        }
        written += now > 0 ? static_cast<std::size_t>(now) : 0;
    }
    hand_over(fd.get(), root_status);
    struct stat status {};
    ::fstat(fd.get(), &status);
    fd.reset();
    if (::renameat(dir.get(), temporary.c_str(), dir.get(), file.c_str()) != 0) {
        const int error = errno;
        ::unlinkat(dir.get(), temporary.c_str(), 0);
        return from_errno(error, fmt::format("file '{}'", file));
    }
    info = describe(status, directory, name);
    return {};
}

FileResult DataDir::read(std::string_view directory, std::string_view name, std::string& bytes,
                         FileInfo& info) const {
    if (auto problem = invalid_component(name); problem || name.empty()) {
        return failure(FileError::kInvalid, problem.value_or("a file name must not be empty"));
    }
    Fd dir;
    struct stat root_status {};
    if (auto result = open_directory(root_, directory, /*create=*/false, dir, root_status);
        !result.ok()) {
        return result;
    }
    const std::string file(name);
    Fd fd{::openat(dir.get(), file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
    struct stat status {};
    if (!fd.valid()) {
        return from_errno(errno, fmt::format("file '{}'", file));
    }
    if (::fstat(fd.get(), &status) != 0 || !S_ISREG(status.st_mode)) {
        return failure(FileError::kNotFound, fmt::format("file '{}': not a regular file", file));
    }
    bytes.clear();
    std::array<char, 1U << 16U> buffer{};
    while (true) {
        const ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
        if (got > 0) {
            bytes.append(buffer.data(), static_cast<std::size_t>(got));
        } else if (got == 0) {
            break;
        } else if (errno != EINTR) {
            return from_errno(errno, fmt::format("file '{}'", file));
        }
    }
    info = describe(status, directory, name);
    return {};
}

FileResult DataDir::stat(std::string_view directory, std::string_view name, FileInfo& info) const {
    if (auto problem = invalid_component(name); problem || name.empty()) {
        return failure(FileError::kInvalid, problem.value_or("a file name must not be empty"));
    }
    Fd dir;
    struct stat root_status {};
    if (auto result = open_directory(root_, directory, /*create=*/false, dir, root_status);
        !result.ok()) {
        return result;
    }
    struct stat status {};
    const std::string file(name);
    if (::fstatat(dir.get(), file.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
        return from_errno(errno, fmt::format("file '{}'", file));
    }
    if (!S_ISREG(status.st_mode) && !S_ISDIR(status.st_mode)) {
        return failure(FileError::kNotFound, fmt::format("file '{}': not a regular file", file));
    }
    info = describe(status, directory, name);
    return {};
}

FileResult DataDir::remove(std::string_view directory, std::string_view name) const {
    FileInfo info;
    if (auto result = stat(directory, name, info); !result.ok()) {
        return result;
    }
    if (info.is_directory) {
        return failure(FileError::kInvalid, fmt::format("'{}' is a directory", name));
    }
    Fd dir;
    struct stat root_status {};
    if (auto result = open_directory(root_, directory, /*create=*/false, dir, root_status);
        !result.ok()) {
        return result;
    }
    if (::unlinkat(dir.get(), std::string(name).c_str(), 0) != 0) {
        return from_errno(errno, fmt::format("file '{}'", name));
    }
    return {};
}

FileResult DataDir::list(std::string_view directory, bool recursive,
                         std::vector<FileInfo>& out) const {
    Fd dir;
    struct stat root_status {};
    if (auto result = open_directory(root_, directory, /*create=*/false, dir, root_status);
        !result.ok()) {
        return result;
    }
    out.clear();
    if (auto result = list_into(dir.get(), std::string(directory), recursive, out); !result.ok()) {
        return result;
    }
    std::sort(out.begin(), out.end(), [](const FileInfo& a, const FileInfo& b) {
        return std::tie(a.directory, a.name) < std::tie(b.directory, b.name);
    });
    return {};
}

}  // namespace sandbench::emulators::aca
