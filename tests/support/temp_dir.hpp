// SPDX-License-Identifier: Apache-2.0
//
// A scratch directory for one test, removed with everything in it when the test ends. The one
// every test uses: mkdtemp(3) makes a new, private directory, so parallel test processes (ctest -j)
// never share one.
#pragma once

#include <stdlib.h>  // mkdtemp (POSIX)

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace sandbench_test {

/// A new directory under the system temp dir, removed with everything in it.
struct TempDir {
    std::filesystem::path path;

    TempDir() {
        std::string pattern = std::filesystem::temp_directory_path() / "sandbench-test-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed for " + pattern);
        }
        path = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    TempDir(TempDir&&) = delete;
    TempDir& operator=(TempDir&&) = delete;
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }

    /// The path of `name` inside the directory, as a string (for shell scripts and C APIs).
    [[nodiscard]] std::string file(const std::string& name) const { return (path / name).string(); }

    /// The content of `name`, or "" when it cannot be read.
    [[nodiscard]] std::string read(const std::string& name) const {
        std::ifstream in(path / name, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

    [[nodiscard]] bool exists(const std::string& name) const {
        return std::filesystem::exists(path / name);
    }
};

}  // namespace sandbench_test
