// SPDX-License-Identifier: Apache-2.0
#include "sandbench/harness/run_context.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdlib>  // getloadavg (glibc declares it in stdlib.h)
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "git_revision.hpp"
#include "sandbench/common/random_id.hpp"
#include "sandbench/common/text.hpp"
#include "sandbench/common/version.hpp"

namespace sandbench::harness {
namespace {

std::string utc_timestamp(std::string_view format) {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    return fmt::format(fmt::runtime(format), fmt::gmtime(now));
}

std::string read_file_or_empty(const char* path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

CpuInfo parse_cpuinfo(std::string_view cpuinfo) {
    CpuInfo info;
    bool have_mhz = false;
    while (!cpuinfo.empty() && (info.model.empty() || !have_mhz)) {
        const auto end = cpuinfo.find('\n');
        const std::string_view line = cpuinfo.substr(0, end);
        cpuinfo = end == std::string_view::npos ? std::string_view{} : cpuinfo.substr(end + 1);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        const std::string_view key = trim(line.substr(0, colon));
        const std::string_view value = trim(line.substr(colon + 1));
        if (key == "model name" && info.model.empty()) {
            info.model = value;
        } else if (key == "cpu MHz" && !have_mhz) {
            double mhz = 0;
            const auto [rest, error] =
                std::from_chars(value.data(), value.data() + value.size(), mhz);
            if (error == std::errc{} && mhz > 0) {
                info.mhz = mhz;
                have_mhz = true;
            }
        }
    }
    return info;
}

std::string make_run_id() {
    return fmt::format("{}-{}", utc_timestamp("{:%Y%m%dT%H%M%SZ}"), random_hex(4));
}

RunContext capture_run_context(std::string run_id) {
    RunContext context;
    context.run_id = std::move(run_id);
    context.started_at = utc_timestamp("{:%Y-%m-%dT%H:%M:%SZ}");
    std::array<char, 256> host{};
    if (gethostname(host.data(), host.size() - 1) == 0) {
        context.host = host.data();
    }
    context.cpus = std::thread::hardware_concurrency();
    const CpuInfo cpu = parse_cpuinfo(read_file_or_empty("/proc/cpuinfo"));
    context.cpu_model = cpu.model;
    context.cpu_mhz = cpu.mhz;
    utsname names{};
    if (uname(&names) == 0) {
        context.os = fmt::format("{} {} {}", names.sysname, names.release, names.machine);
    }
#if defined(__clang__)
    context.compiler = fmt::format("clang {}", __clang_version__);
#elif defined(__GNUC__)
    context.compiler = fmt::format("g++ {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#endif
#ifdef NDEBUG
    context.build_type = "release";
#else
    context.build_type = "debug";
#endif
    context.sandbench_version = kVersion;
    context.git_revision = std::string(kBuiltFromRevision);
    std::array<double, 3> load{};
    if (getloadavg(load.data(), static_cast<int>(load.size())) == static_cast<int>(load.size())) {
        context.load_average.assign(load.begin(), load.end());
    }
    return context;
}

nlohmann::json to_json(const backends::BackendInfo& info) {
    return {{"name", info.name},
            {"type", info.type},
            {"description", info.description},
            {"emulated", info.emulated},
            {"capabilities",
             {{"files", info.capabilities.files},
              {"images", info.capabilities.images},
              {"explicit_create", info.capabilities.explicit_create},
              {"server_timing", info.capabilities.server_timing},
              {"isolation", info.capabilities.isolation}}},
            {"config", info.config}};
}

nlohmann::json to_json(const RunContext& context) {
    nlohmann::json backends = nlohmann::json::array();
    for (const auto& info : context.backends) {
        backends.push_back(to_json(info));
    }
    return {{"run_id", context.run_id},
            {"started_at", context.started_at},
            {"host", context.host},
            {"cpus", context.cpus},
            {"cpu_model", context.cpu_model},
            {"cpu_mhz", context.cpu_mhz},
            {"os", context.os},
            {"compiler", context.compiler},
            {"build_type", context.build_type},
            {"sandbench_version", context.sandbench_version},
            {"git_revision", context.git_revision},
            {"load_average", context.load_average},
            {"backends", backends},
            {"plan", context.plan}};
}

}  // namespace sandbench::harness
