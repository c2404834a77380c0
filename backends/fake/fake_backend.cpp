// SPDX-License-Identifier: Apache-2.0
#include "fake/fake_backend.hpp"

#include <atomic>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "sandbench/backends/config_reader.hpp"

namespace sandbench::backends::fake {
namespace {

// A valid 1x1 transparent PNG, so report code that decodes images has something real to decode.
constexpr std::string_view kOnePixelPng =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

struct FakeSettings {
    Milliseconds create_delay{0};
    Milliseconds close_delay{0};
    std::int64_t fail_create_every = 0;
    std::int64_t fail_first_uploads = 0;
    bool leak_state = false;
};

/// State shared by every session of one backend.
struct SharedState {
    std::atomic<bool> marker{false};       ///< the freshness marker, when leak_state is on
    std::atomic<std::int64_t> uploads{0};  ///< uploads attempted, for fail_first_uploads
};

void sleep_for(Milliseconds delay) {
    if (delay.count() > 0) {
        std::this_thread::sleep_for(delay);
    }
}

class FakeSession final : public Session {
public:
    FakeSession(std::string id, const FakeSettings& settings, SharedState& shared)
        : id_(std::move(id)), settings_(settings), shared_(shared) {}

    [[nodiscard]] std::string id() const override { return id_; }
    [[nodiscard]] bool alive() const noexcept override { return alive_; }

protected:
    Execution do_execute(std::string_view code, Milliseconds timeout) override {
        Execution execution;
        if (!alive_) {
            execution.status = Status::kBackendError;
            execution.message = "session is dead";
            return execution;
        }
        if (code.starts_with(kFreshnessProbeMarker)) {
            const bool seen =
                settings_.leak_state ? shared_.marker.exchange(true) : std::exchange(marker_, true);
            execution.result = !seen;
            execution.backend_time = Milliseconds{0};
            return execution;
        }
        std::istringstream lines{std::string(code)};
        std::string line;
        int line_number = 0;
        Milliseconds slept{0};
        while (std::getline(lines, line)) {
            ++line_number;
            const auto space = line.find(' ');
            const std::string verb = line.substr(0, space);
            const std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
            if (verb.empty() || verb.starts_with('#')) {
                continue;
            }
            if (verb == "sleep") {
                const Milliseconds delay{std::stod(rest)};
                if (slept + delay > timeout) {
                    sleep_for(timeout - slept);
                    execution.status = Status::kTimeout;
                    execution.message = fmt::format("execution exceeded {} ms", timeout.count());
                    alive_ = false;
                    return execution;
                }
                sleep_for(delay);
                slept += delay;
            } else if (verb == "print") {
                execution.stdout_text += rest + "\n";
            } else if (verb == "eprint") {
                execution.stderr_text += rest + "\n";
            } else if (verb == "result") {
                execution.result = nlohmann::json::parse(rest);
            } else if (verb == "set") {
                const auto name_end = rest.find(' ');
                variables_[rest.substr(0, name_end)] =
                    nlohmann::json::parse(rest.substr(name_end + 1));
            } else if (verb == "get") {
                const auto it = variables_.find(rest);
                if (it == variables_.end()) {
                    return user_error("NameError", fmt::format("name '{}' is not defined", rest));
                }
                execution.result = it->second;
            } else if (verb == "raise") {
                const auto colon = rest.find(':');
                return user_error(rest.substr(0, colon),
                                  colon == std::string::npos ? "" : rest.substr(colon + 2));
            } else if (verb == "fail") {
                const auto name_end = rest.find(' ');
                const auto status = status_from_string(rest.substr(0, name_end));
                if (!status) {
                    // A directive of the test's own: a backend error, not an exception.
                    execution.status = Status::kBackendError;
                    execution.message = fmt::format("unknown status in '{}'", line);
                    return execution;
                }
                execution.status = *status;
                execution.message = name_end == std::string::npos ? "" : rest.substr(name_end + 1);
                return execution;
            } else if (verb == "image") {
                execution.images.push_back(
                    {rest.empty() ? "png" : rest, std::string(kOnePixelPng)});
            } else {
                execution.status = Status::kBackendError;
                execution.message = fmt::format("fake backend: unknown directive '{}' on line {}",
                                                verb, line_number);
                return execution;
            }
        }
        execution.backend_time = slept;
        return execution;
    }

    Outcome do_upload(std::string_view name, std::string_view bytes) override {
        const auto number = ++shared_.uploads;
        if (number <= settings_.fail_first_uploads) {
            Outcome failed;
            failed.status = Status::kBackendError;
            failed.message = fmt::format("injected failure of upload #{}", number);
            return failed;
        }
        files_[std::string(name)] = std::string(bytes);
        return {};
    }

    Download do_download(std::string_view name) override {
        Download download;
        const auto it = files_.find(std::string(name));
        if (it == files_.end()) {
            download.status = Status::kBackendError;
            download.message = fmt::format("no file '{}'", name);
        } else {
            download.bytes = it->second;
        }
        return download;
    }

    FileListing do_list_files() override {
        FileListing listing;
        for (const auto& [name, bytes] : files_) {
            listing.files.push_back({name, bytes.size()});
        }
        return listing;
    }

    Outcome do_close() override {
        sleep_for(settings_.close_delay);
        alive_ = false;
        return {};
    }

private:
    static Execution user_error(std::string name, std::string value) {
        Execution execution;
        execution.status = Status::kUserError;
        execution.traceback =
            fmt::format("Traceback (most recent call last):\n{}: {}", name, value);
        execution.error_name = std::move(name);
        execution.error_value = std::move(value);
        return execution;
    }

    std::string id_;
    const FakeSettings& settings_;
    SharedState& shared_;
    bool alive_ = true;
    bool marker_ = false;
    std::map<std::string, nlohmann::json> variables_;
    std::map<std::string, std::string> files_;
};

class FakeBackend final : public Backend {
public:
    FakeBackend(BackendInfo info, FakeSettings settings)
        : info_(std::move(info)), settings_(settings) {}

    [[nodiscard]] const BackendInfo& info() const noexcept override { return info_; }

protected:
    SessionStart do_create_session() override {
        const auto number = ++created_;
        sleep_for(settings_.create_delay);
        SessionStart start;
        if (settings_.fail_create_every > 0 && number % settings_.fail_create_every == 0) {
            start.status = Status::kBackendError;
            start.message = fmt::format("injected failure of create #{}", number);
            return start;
        }
        start.session =
            std::make_unique<FakeSession>(fmt::format("fake-{}", number), settings_, shared_);
        return start;
    }

private:
    BackendInfo info_;
    FakeSettings settings_;
    SharedState shared_;
    std::atomic<std::int64_t> created_{0};
};

}  // namespace

std::unique_ptr<Backend> make_fake_backend(const BackendSpec& spec) {
    ConfigReader reader(fmt::format("backend '{}'", spec.name), spec.config);
    FakeSettings settings;
    settings.create_delay = Milliseconds{reader.get_double("create_ms", 0, 0, 60'000)};
    settings.close_delay = Milliseconds{reader.get_double("close_ms", 0, 0, 60'000)};
    settings.fail_create_every = reader.get_int("fail_create_every", 0, 0, 1'000'000);
    settings.fail_first_uploads = reader.get_int("fail_first_uploads", 0, 0, 1'000'000);
    settings.leak_state = reader.get_bool("leak_state", false);
    const bool emulated = reader.get_bool("emulated", false);
    reader.reject_unknown_keys();

    BackendInfo info;
    info.name = spec.name;
    info.type = "fake";
    info.description =
        "Deterministic fake for tests: runs sleep/print/result directives, not Python";
    info.capabilities.server_timing = true;
    info.capabilities.isolation = "none";
    info.emulated = emulated;
    info.config = spec.config;
    return std::make_unique<FakeBackend>(std::move(info), settings);
}

}  // namespace sandbench::backends::fake
