// SPDX-License-Identifier: Apache-2.0
//
// The Azure CLI source: runs `az account get-access-token --resource R --output json` without a
// shell (the resource and tenant are checked anyway, as the Azure SDK does, so that neither can
// be read as an option), with stdin from /dev/null, in a process group of its own that is killed
// when the time limit passes, and reads accessToken and expires_on (or expiresOn) from stdout.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>
#include <boost/process/posix.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "auth/sources.hpp"
#include "http/outcome.hpp"
#include "sandbench/common/fd.hpp"
#include "sandbench/common/redact.hpp"

namespace sandbench::backends::auth::detail {
namespace {

namespace bp = boost::process;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kAzureCliName = "azure-cli";
/// More output than a token's JSON can take means something else is running.
constexpr std::size_t kMaxOutputBytes = std::size_t{1} << 20U;

/// Above the standard descriptors, so that binding the child's stdout and stderr never overwrites
/// a pipe end that a later binding still needs (see make_cloexec_pipe).
constexpr int kLowestPipeFd = 3;

/// Runs in the forked child before exec (async-signal-safe calls only): a process group of its
/// own, so that a time-out kills what `az` started too (it is a script running Python).
struct NewProcessGroup : bp::extend::handler {
    template <typename Executor>
    void on_exec_setup(Executor& /*executor*/) const {
        ::setpgid(0, 0);
    }
};

struct ProcessResult {
    std::string spawn_error;  ///< set when the program could not be started
    bool timed_out = false;
    bool too_much_output = false;
    int wait_status = 0;
    std::string out;
    std::string err;
};

ProcessResult run_process(const std::string& program, const std::vector<std::string>& arguments,
                          std::chrono::seconds timeout) {
    ProcessResult result;
    const auto deadline = SteadyClock::now() + timeout;
    Pipe out = make_cloexec_pipe(kLowestPipeFd);
    Pipe err = make_cloexec_pipe(kLowestPipeFd);
    std::error_code spawn_error;
    bp::child child(bp::exe = program, bp::args = arguments, bp::std_in < bp::null,
                    bp::posix::fd.bind(STDOUT_FILENO, out.write.get()),
                    bp::posix::fd.bind(STDERR_FILENO, err.write.get()), NewProcessGroup{},
                    spawn_error);
    // The child has its copies; ours must go, or its exit would never show as end of file.
    out.write.reset();
    err.write.reset();
    if (spawn_error) {
        result.spawn_error = spawn_error.message();
        return result;
    }
    const pid_t pid = child.id();
    const auto kill_group = [&] {
        ::kill(-pid, SIGKILL);
        std::error_code ignored;
        child.wait(ignored);
    };

    std::array<pollfd, 2> fds{{{out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}}};
    std::array<char, 4096> buffer{};
    const auto drain = [&](pollfd& stream, std::string& sink) {
        if (stream.fd < 0 || stream.revents == 0) {
            return true;
        }
        const ssize_t got = ::read(stream.fd, buffer.data(), buffer.size());
        if (got > 0) {
            sink.append(buffer.data(), static_cast<std::size_t>(got));
            return sink.size() <= kMaxOutputBytes;
        }
        if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
            stream.fd = -1;  // end of file; poll() ignores negative descriptors
        }
        return true;
    };
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            kill_group();
            return result;
        }
        const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
        if (ready < 0 && errno != EINTR) {
            throw std::system_error(errno, std::generic_category(), "poll");
        }
        if (ready > 0 && (!drain(fds[0], result.out) || !drain(fds[1], result.err))) {
            result.too_much_output = true;
            kill_group();
            return result;
        }
    }
    // Both streams ended: the process normally has exited or is about to. A process that
    // closed them and lives on is still bound by the deadline.
    std::error_code running_error;
    while (child.running(running_error) && !running_error) {
        if (SteadyClock::now() >= deadline) {
            result.timed_out = true;
            kill_group();
            return result;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    result.wait_status = child.native_exit_code();
    return result;
}

/// The SDK's rule for what reaches the command line: letters, digits and ":/._-", and (as
/// arguments are not parsed by a shell here) no leading '-', which az would read as an option.
bool valid_argument(std::string_view text) {
    return !text.empty() && !text.starts_with('-') &&
           std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == ':' || c == '/' || c == '.' || c == '_' || c == '-';
           });
}

bool is_executable_file(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

/// `name` if it is a path, otherwise the first executable of that name on PATH, then in
/// /usr/bin and /usr/local/bin (where installers put az, as the Azure SDK also assumes).
/// Empty entries of PATH (the current directory) are skipped.
std::optional<std::string> locate(const std::string& name) {
    if (name.find('/') != std::string::npos) {
        return is_executable_file(name) ? std::optional<std::string>(name) : std::nullopt;
    }
    std::string directories = env("PATH").value_or("");
    directories += ":/usr/bin:/usr/local/bin";
    std::string_view rest = directories;
    while (!rest.empty()) {
        const auto colon = rest.find(':');
        const auto directory = rest.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
        if (directory.empty()) {
            continue;
        }
        std::string candidate = std::string(directory) + "/" + name;
        if (is_executable_file(candidate)) {
            return candidate;
        }
    }
    return std::nullopt;
}

/// The line of az's stderr worth quoting: the first "ERROR:" line, else the first non-empty one.
std::string summarize_stderr(std::string_view text) {
    std::string_view first;
    while (!text.empty()) {
        const auto newline = text.find('\n');
        auto line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
            line.remove_suffix(1);
        }
        if (line.starts_with("ERROR:")) {
            return http::body_excerpt(line, 300);
        }
        if (first.empty() && !line.empty()) {
            first = line;
        }
    }
    return http::body_excerpt(first, 300);
}

/// "2023-10-31 21:59:10.000000", local time without a zone (older CLIs' only expiry field).
std::optional<TimePoint> parse_local_time(const std::string& text) {
    std::tm local{};
    char tail = '\0';
    const int fields =
        std::sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d:%2d%c", &local.tm_year, &local.tm_mon,
                    &local.tm_mday, &local.tm_hour, &local.tm_min, &local.tm_sec, &tail);
    if (fields < 6 || (fields == 7 && tail != '.')) {
        return std::nullopt;
    }
    local.tm_year -= 1900;
    local.tm_mon -= 1;
    local.tm_isdst = -1;  // let the zone rules decide
    const std::time_t seconds = std::mktime(&local);
    if (seconds == static_cast<std::time_t>(-1)) {
        return std::nullopt;
    }
    return std::chrono::system_clock::from_time_t(seconds);
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) {
        return fmt::format("exited with code {}", WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return fmt::format("was killed by signal {}", WTERMSIG(status));
    }
    return fmt::format("ended with wait status {}", status);
}

class AzureCliSource final : public TokenSource {
public:
    explicit AzureCliSource(const CredentialOptions& options)
        : az_path_(options.az_path), tenant_id_(options.tenant_id), timeout_(options.az_timeout) {}

    [[nodiscard]] std::string_view name() const override { return kAzureCliName; }

    [[nodiscard]] TokenResult fetch(std::string_view resource) override {
        const std::string target = resource_of(resource);
        if (!valid_argument(target)) {
            return failure(name(),
                           "the resource may contain only letters, digits and ':/._-' and must "
                           "not start with '-'");
        }
        const auto program = locate(az_path_);
        if (!program) {
            return failure(name(), fmt::format("'{}' was not found{} (install the Azure CLI and "
                                               "run 'az login')",
                                               az_path_,
                                               az_path_.find('/') == std::string::npos
                                                   ? " on PATH"
                                                   : " or is not executable"));
        }
        std::vector<std::string> arguments{"account", "get-access-token", "--resource",
                                           target,    "--output",         "json"};
        if (tenant_id_) {
            arguments.insert(arguments.end(), {"--tenant", *tenant_id_});
        }
        ProcessResult run;
        try {
            run = run_process(*program, arguments, timeout_);
        } catch (const std::system_error& error) {
            return failure(name(), fmt::format("cannot run {}: {}", *program, error.what()));
        }
        if (!run.spawn_error.empty()) {
            return failure(name(), fmt::format("cannot run {}: {}", *program, run.spawn_error));
        }
        if (run.timed_out) {
            return failure(name(), fmt::format("{} did not finish within {} s and was killed",
                                               *program, timeout_.count()));
        }
        if (run.too_much_output) {
            return failure(name(), fmt::format("{} printed more than {} bytes and was killed",
                                               *program, kMaxOutputBytes));
        }
        if (!WIFEXITED(run.wait_status) || WEXITSTATUS(run.wait_status) != 0) {
            std::string reason =
                fmt::format("{} {}", *program, describe_wait_status(run.wait_status));
            if (const auto detail = summarize_stderr(run.err); !detail.empty()) {
                reason += ": " + detail;
            }
            return failure(name(), reason);
        }
        return parse_output(*program, run.out);
    }

private:
    [[nodiscard]] TokenResult parse_output(const std::string& program,
                                           const std::string& out) const {
        // stdout carries the token, so it is never quoted, not even when it is malformed.
        const auto parsed = json::parse(out, nullptr, false);
        if (!parsed.is_object()) {
            return failure(
                name(), fmt::format("{} printed malformed JSON ({} bytes)", program, out.size()));
        }
        const auto token = parsed.find("accessToken");
        if (token == parsed.end() || !token->is_string() ||
            token->get_ref<const std::string&>().empty()) {
            return failure(name(), fmt::format("{} printed no accessToken", program));
        }
        std::string value = token->get<std::string>();
        register_secret(value);
        // expires_on (POSIX time, CLI 2.54 and later) is exact; expiresOn is local time.
        std::optional<TimePoint> expires_on;
        if (const auto it = parsed.find("expires_on"); it != parsed.end()) {
            expires_on = epoch_of(*it);
        }
        if (!expires_on) {
            if (const auto it = parsed.find("expiresOn"); it != parsed.end() && it->is_string()) {
                expires_on = parse_local_time(it->get<std::string>());
            }
        }
        if (!expires_on) {
            return failure(name(),
                           fmt::format("{} printed no usable expires_on or expiresOn", program));
        }
        return success(name(), std::move(value), *expires_on);
    }

    std::string az_path_;
    std::optional<std::string> tenant_id_;
    std::chrono::seconds timeout_;
};

}  // namespace

std::unique_ptr<TokenSource> make_azure_cli_source(const CredentialOptions& options) {
    return std::make_unique<AzureCliSource>(options);
}

}  // namespace sandbench::backends::auth::detail
