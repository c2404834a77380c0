// SPDX-License-Identifier: Apache-2.0
//
// Code execution: the legacy code/execute and python/execute routes, the new API's executions
// (synchronous, or asynchronous on a worker thread and polled with GET executions/{id}), the
// time limit that recycles a session, and the X-Ms-* timing headers.
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "aca_emulator_impl.hpp"
#include "aca_session_pool.hpp"
#include "aca_wire.hpp"

namespace sandbench::emulators::aca {
namespace {

using backends::Status;
using nlohmann::json;

/// Executions kept for GET /executions/{id}.
constexpr std::size_t kKeptExecutions = 1000;

/// The code of an execute request's fields (decoded when it is InlineBase64), or a 400.
std::optional<std::string> code_of(const json& fields, httplib::Response& response) {
    const auto text = [&](const char* key) -> std::optional<std::string> {
        const auto it = fields.find(key);
        return it != fields.end() && it->is_string() ? std::optional(it->get<std::string>())
                                                     : std::nullopt;
    };
    auto code = text("code");
    if (!code) {
        code = text("pythonCode");  // the pre-2024 python/execute body
    }
    if (!code) {
        if (fields.contains("shellCommand")) {
            send_error(response, 400, "SessionRequestValidationFailed",
                       "shellCommand needs a Shell session pool; this is a Python pool");
        } else {
            send_error(response, 400, "SessionPropertiesMissing",
                       "the request needs the code to execute (properties.code)");
        }
        return std::nullopt;
    }
    const std::string input_type = text("codeInputType").value_or("Inline");
    if (iequals(input_type, "InlineBase64")) {
        auto decoded = base64_decode(*code);
        if (!decoded) {
            send_error(response, 400, "SessionRequestValidationFailed",
                       "code is not valid base64 for codeInputType InlineBase64");
        }
        return decoded;
    }
    if (!iequals(input_type, "Inline") && !iequals(input_type, "InlineText")) {
        send_error(response, 400, "SessionRequestValidationFailed",
                   fmt::format("unknown codeInputType '{}'", input_type));
        return std::nullopt;
    }
    return code;
}

/// An execution that ran, or a 500 when its kernel failed (not the code: that is a Failure).
bool kernel_answered(const ExecutionRun& run, httplib::Response& response) {
    if (run.failure_status != 0) {
        send_error(response, run.failure_status, run.failure_code, run.failure_message);
        return false;
    }
    if (run.execution.status != Status::kOk && run.execution.status != Status::kUserError &&
        run.execution.status != Status::kTimeout) {
        send_error(response, 500, "InternalServerError",
                   fmt::format("the session's kernel failed: {}", run.execution.message));
        return false;
    }
    return true;
}

}  // namespace

ExecutionRun AcaEmulator::run_execution(const std::string& identifier,
                                        const ExecuteRequest& request,
                                        SteadyClock::time_point received) {
    ExecutionRun run;
    httplib::Response scratch;  // with_session reports failures here; the caller copies them
    with_session(identifier, scratch, run, [&](PoolSession& session) {
        const auto start = SteadyClock::now();
        run.preparation_ms = milliseconds(start - received);
        const auto limit =
            std::min(request.timeout, std::chrono::duration<double>{settings_.max_execution_s});
        run.execution = session.kernel->execute(request.code, backends::Milliseconds{limit});
        run.execution_time = SteadyClock::now() - start;
        if (run.execution.status == Status::kTimeout) {
            auto& err = run.execution.stderr_text;
            if (!err.empty() && !err.ends_with('\n')) {
                err += '\n';
            }
            err += fmt::format(
                "Timeout: the execution exceeded the limit of {:g} seconds and was stopped; the "
                "session was recycled\n",
                limit.count());
            return true;
        }
        // A dead kernel (os._exit in a cell, the memory limit) takes the session with it.
        return run.execution.status == Status::kBackendError;
    });
    return run;
}

void AcaEmulator::add_timing_headers(httplib::Response& response, const ExecutionRun& run,
                                     SteadyClock::time_point received) {
    const double execution_ms = milliseconds(run.execution_time);
    response.set_header("X-Ms-Allocation-Time", fmt::format("{:.6f}", run.allocation_ms));
    response.set_header("X-Ms-Preparation-Time", fmt::format("{:.6f}", run.preparation_ms));
    response.set_header("X-Ms-Execution-Request-Time", fmt::format("{:.6f}", execution_ms));
    response.set_header("X-Ms-Container-Execution-Duration",
                        fmt::format("{}", std::llround(execution_ms)));
    response.set_header("X-Ms-Overall-Execution-Time", go_duration(run.execution_time));
    response.set_header("X-Ms-Session-Guid", run.guid);
    // Measured now, after the body was built: the response's own processing.
    const auto now = SteadyClock::now();
    response.set_header(
        "X-Ms-Execution-Read-Response-Time",
        fmt::format("{:.6f}", std::max(0.0, milliseconds(now - received) - run.preparation_ms -
                                                execution_ms)));
    response.set_header("X-Ms-Total-Execution-Service-Time",
                        fmt::format("{:.6f}", milliseconds(now - received)));
}

std::optional<ExecuteRequest> AcaEmulator::parse_execute(const httplib::Request& request,
                                                         httplib::Response& response,
                                                         bool new_api) const {
    const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
        send_error(response, 400, "SessionRequestValidationFailed",
                   "the request body must be a JSON object");
        return std::nullopt;
    }
    // Legacy clients wrap the request in "properties", new ones send it flat; some send the
    // wrapped form to the new route first (notes §4.1). Both are accepted everywhere.
    const json& fields =
        body.contains("properties") && body["properties"].is_object() ? body["properties"] : body;
    auto code = code_of(fields, response);
    if (!code) {
        return std::nullopt;
    }
    const auto type = fields.find("executionType");
    const std::string execution_type = type != fields.end() && type->is_string()
                                           ? type->get<std::string>()
                                           : std::string("Synchronous");
    if (!iequals(execution_type, "Synchronous") && !iequals(execution_type, "Asynchronous")) {
        send_error(response, 400, "SessionRequestValidationFailed",
                   fmt::format("unknown executionType '{}'", execution_type));
        return std::nullopt;
    }
    ExecuteRequest parsed;
    parsed.asynchronous = new_api && iequals(execution_type, "Asynchronous");
    parsed.code = std::move(*code);
    if (!read_limits(fields, response, parsed)) {
        return std::nullopt;
    }
    return parsed;
}

bool AcaEmulator::read_limits(const json& fields, httplib::Response& response,
                              ExecuteRequest& parsed) const {
    parsed.timeout = std::chrono::duration<double>{settings_.max_execution_s};
    if (const auto it = fields.find("timeoutInSeconds"); it != fields.end() && !it->is_null()) {
        if (!it->is_number() || it->get<double>() <= 0) {
            send_error(response, 400, "SessionRequestValidationFailed",
                       "timeoutInSeconds must be a positive number");
            return false;
        }
        parsed.timeout = std::chrono::duration<double>{it->get<double>()};
    }
    parsed.stream_limit = settings_.output_streams_max_length;
    if (const auto it = fields.find("outputStreamsMaxLength");
        it != fields.end() && !it->is_null()) {
        if (!it->is_number_integer() || it->get<std::int64_t>() <= 0) {
            send_error(response, 400, "SessionRequestValidationFailed",
                       "outputStreamsMaxLength must be a positive integer");
            return false;
        }
        parsed.stream_limit = it->get<std::int64_t>();
    }
    return true;
}

void AcaEmulator::execute_legacy(const Call& call, bool flat) {
    auto& response = call.response;
    const auto parsed = parse_execute(call.request, response, /*new_api=*/false);
    if (!parsed) {
        return;
    }
    const auto run = run_execution(call.identifier, *parsed, call.received);
    if (!kernel_answered(run, response)) {
        return;
    }
    json properties = legacy_properties(run);
    json body;
    if (flat) {
        // The pre-2024 python/execute route answered without the envelope; clients of it read
        // result, stdout and stderr at the top (@llamaindex/azure 0.2, old Semantic Kernel).
        body = std::move(properties);
        body["$id"] = "1";
    } else {
        properties["$id"] = "2";
        body = {{"$id", "1"}, {"properties", std::move(properties)}};
    }
    const std::string operation = random_uuid();
    response.set_header("Operation-Id", operation);
    send_json(response, 200, body);
    add_timing_headers(response, run, call.received);
}

std::string AcaEmulator::execution_url(const std::string& id, std::string_view version,
                                       const std::string& identifier) const {
    return fmt::format("{}/executions/{}?api-version={}&identifier={}", endpoint_, id, version,
                       percent_encode(identifier));
}

void AcaEmulator::keep_execution(const std::string& id, ExecutionRecord record) {
    const std::lock_guard lock(executions_mutex_);
    if (!executions_.contains(id)) {
        execution_order_.push_back(id);
    }
    executions_[id] = std::move(record);
    while (execution_order_.size() > kKeptExecutions) {
        executions_.erase(execution_order_.front());
        execution_order_.pop_front();
    }
}

void AcaEmulator::execute_new(const Call& call) {
    auto& response = call.response;
    const auto parsed = parse_execute(call.request, response, /*new_api=*/true);
    if (!parsed) {
        return;
    }
    std::string id = call.request.get_header_value("operation-id");
    if (id.empty() || id.size() > 128 || id.find_first_of("/?#&% \t\r\n") != std::string::npos) {
        id = random_uuid();
    }
    response.set_header("operation-id", id);
    response.set_header("Operation-Location",
                        execution_url(id, call.version.text, call.identifier));
    if (parsed->asynchronous) {
        return start_asynchronous(call, id, *parsed);
    }
    const auto run = run_execution(call.identifier, *parsed, call.received);
    if (!kernel_answered(run, response)) {
        return;
    }
    json body = new_resource(run, call.identifier, id, *parsed);
    keep_execution(id, {call.identifier, body});
    send_json(response, call.version.execute_status, body);
    add_timing_headers(response, run, call.received);
}

void AcaEmulator::start_asynchronous(const Call& call, const std::string& id,
                                     const ExecuteRequest& parsed) {
    const std::string& identifier = call.identifier;
    json running = {{"id", id},
                    {"identifier", identifier},
                    {"executionType", "Asynchronous"},
                    {"status", "Running"}};
    keep_execution(id, {identifier, running});
    {
        const std::lock_guard lock(executions_mutex_);
        workers_.emplace_back([this, id, identifier, request_copy = parsed] {
            const auto run = run_execution(identifier, request_copy, SteadyClock::now());
            json body;
            if (run.failure_status != 0) {
                body = {
                    {"id", id},
                    {"identifier", identifier},
                    {"executionType", "Asynchronous"},
                    {"status", "Failed"},
                    {"error",
                     {{"error", {{"code", run.failure_code}, {"message", run.failure_message}}}}}};
            } else {
                body = new_resource(run, identifier, id, request_copy);
            }
            keep_execution(id, {identifier, std::move(body)});
        });
    }
    send_json(call.response, 202, running);
}

void AcaEmulator::get_execution(const Call& call) {
    const std::string& id = call.wildcard;
    const std::lock_guard lock(executions_mutex_);
    const auto it = executions_.find(id);
    if (it == executions_.end() || it->second.identifier != call.identifier) {
        return send_error(call.response, 404, "ExecutionNotFound",
                          fmt::format("No execution available for operation Id: {}", id));
    }
    send_json(call.response, 200, it->second.body);
}

}  // namespace sandbench::emulators::aca
