// SPDX-License-Identifier: Apache-2.0
//
// The emulator's view of one session's /mnt/data: the local backend's data directory of the
// session, read and written from outside the sandbox. The directory is writable by the code the
// session runs, so every path is walked one component at a time with O_NOFOLLOW: a symbolic
// link a cell plants (to /etc/shadow, say) is never followed, and a FIFO is never opened. New
// files and directories are handed to the directory's owner, which is the sandbox user when the
// emulator runs as root.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sandbench::emulators::aca {

/// Why a file operation failed, in HTTP terms.
enum class FileError {
    kNone,
    kInvalid,   ///< 400: a name or path the service would refuse
    kNotFound,  ///< 404
    kOther,     ///< 500: the file system failed
};

struct FileInfo {
    std::string name;
    std::string directory;  ///< relative to /mnt/data; "" at the top
    bool is_directory = false;
    std::uint64_t size = 0;
    std::chrono::system_clock::time_point modified;
};

struct FileResult {
    FileError error = FileError::kNone;
    std::string message;
    [[nodiscard]] bool ok() const noexcept { return error == FileError::kNone; }
};

/// Turns a request's `path` (absent, "/mnt/data", "/mnt/data/sub", "sub") into a directory
/// relative to /mnt/data, and a file name that may carry a "/mnt/data/" prefix or directories
/// ("folder/file.txt") into (directory, name). Invalid: "..", ".", NUL, control characters,
/// absolute paths outside /mnt/data.
[[nodiscard]] std::optional<std::string> relative_directory(std::string_view path,
                                                            std::string& problem);
[[nodiscard]] std::optional<std::pair<std::string, std::string>> split_file_name(
    std::string_view directory, std::string_view name, std::string& problem);

class DataDir {
public:
    explicit DataDir(std::string root) : root_(std::move(root)) {}

    /// Creates or replaces `directory`/`name` (creating `directory`), then describes it.
    FileResult write(std::string_view directory, std::string_view name, std::string_view bytes,
                     FileInfo& info) const;
    FileResult read(std::string_view directory, std::string_view name, std::string& bytes,
                    FileInfo& info) const;
    FileResult stat(std::string_view directory, std::string_view name, FileInfo& info) const;
    FileResult remove(std::string_view directory, std::string_view name) const;
    /// Regular files and directories of `directory` (and below it when `recursive`), by name.
    FileResult list(std::string_view directory, bool recursive, std::vector<FileInfo>& out) const;

    [[nodiscard]] const std::string& root() const noexcept { return root_; }

private:
    std::string root_;
};

}  // namespace sandbench::emulators::aca
