// SPDX-License-Identifier: Apache-2.0
#include "sandbench/common/atomic_file.hpp"

#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "sandbench/common/error.hpp"

namespace sandbench {

void write_file_atomically(const std::filesystem::path& file, std::string_view text) {
    auto temporary = file;
    temporary += ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.flush();
        if (!out) {
            throw IoError(fmt::format("cannot write {}", temporary.string()));
        }
    }
    std::error_code error;
    std::filesystem::rename(temporary, file, error);
    if (error) {
        throw IoError(fmt::format("cannot write {}: {}", file.string(), error.message()));
    }
}

}  // namespace sandbench
