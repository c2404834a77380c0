// SPDX-License-Identifier: Apache-2.0
//
// A scratch directory for one test, removed with everything in it when the test ends.
#pragma once

#include <filesystem>
#include <random>
#include <string>

namespace sandbench_test {

/// A new directory under the system temp dir, removed with everything in it.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::random_device random;
        path =
            std::filesystem::temp_directory_path() / ("sandbench-test-" + std::to_string(random()));
        std::filesystem::create_directories(path);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    TempDir(TempDir&&) = delete;
    TempDir& operator=(TempDir&&) = delete;
    ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace sandbench_test
