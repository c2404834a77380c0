// SPDX-License-Identifier: Apache-2.0
//
// The one contract for names in a session's file tree, used by every backend and both emulators
// so that they cannot disagree on what a file name is: where a name is refused, path traversal is
// refused with it.
//
// A file name is one path component: not empty, not "." or "..", no '/' or '\', no NUL or other
// control character, at most 255 bytes (NAME_MAX on Linux). A relative path is such names joined
// by '/'; empty components (a leading, doubled or trailing '/') are skipped, as a shell would.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sandbench {

/// Why `name` is not a valid file name, or nothing when it is.
[[nodiscard]] std::optional<std::string> invalid_file_name(std::string_view name);

struct PathComponents {
    std::vector<std::string> names;  ///< each one a valid file name; empty on a problem
    std::optional<std::string> problem;
};

/// `path` cut at '/' into file names, each checked by invalid_file_name(); an absolute path is
/// taken relative to the tree's root. The first invalid component is the problem.
[[nodiscard]] PathComponents split_relative_path(std::string_view path);

}  // namespace sandbench
