// SPDX-License-Identifier: Apache-2.0
//
// Write-then-rename: a reader (or a run interrupted mid-write) sees the old file or the new one,
// never half of one. The summary and every report file are written this way.
#pragma once

#include <filesystem>
#include <string_view>

namespace sandbench {

/// Writes `text` to `file` through `file`.tmp and a rename; throws IoError naming the file.
void write_file_atomically(const std::filesystem::path& file, std::string_view text);

}  // namespace sandbench
