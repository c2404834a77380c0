// SPDX-License-Identifier: Apache-2.0
//
// Files of a session's /mnt/data: upload (multipart part `file`, one or several), listing,
// download, metadata and delete, in the shapes of the legacy, pre-2024 ("python") and new API.
#include <httplib.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "aca_data_dir.hpp"
#include "aca_emulator_impl.hpp"
#include "aca_wire.hpp"

namespace sandbench::emulators::aca {
namespace {

using nlohmann::json;

/// The upload's `file` parts are there, named and within the limit; a 400 or 413 otherwise.
bool uploadable(const httplib::Request& request, httplib::Response& response,
                std::int64_t max_upload_bytes) {
    if (!request.is_multipart_form_data() || !request.has_file("file")) {
        send_error(response, 400, "SessionRequestValidationFailed",
                   "a multipart/form-data part named 'file' is required");
        return false;
    }
    const auto range = request.files.equal_range("file");
    for (auto it = range.first; it != range.second; ++it) {
        if (it->second.content.size() > static_cast<std::size_t>(max_upload_bytes)) {
            send_error(
                response, 413, "RequestEntityTooLarge",
                fmt::format("'{}' has {} bytes; the upload limit is {} bytes", it->second.filename,
                            it->second.content.size(), max_upload_bytes));
            return false;
        }
        if (it->second.filename.empty()) {
            send_error(response, 400, "SessionRequestValidationFailed",
                       "the 'file' part needs a filename");
            return false;
        }
    }
    return true;
}

/// The answer to an upload of `stored`, in the route's shape.
json uploaded(const std::vector<FileInfo>& stored, std::string_view shape) {
    if (shape == "new") {
        return new_file(stored.front());
    }
    if (shape == "python") {
        const auto& info = stored.front();
        return {{"$id", "1"},
                {"filename", info.name},
                {"size", info.size},
                {"lastModifiedTime", rfc3339(info.modified)}};
    }
    json value = json::array();
    int id = 2;
    for (const auto& info : stored) {
        value.push_back(legacy_file(info, id));
        id += 2;
    }
    return {{"$id", "1"}, {"value", std::move(value)}};
}

/// A legacy listing: the files of the directory itself (notes §3.3).
json legacy_listing(const std::vector<FileInfo>& files, std::string_view shape) {
    json value = json::array();
    int id = 2;
    for (const auto& info : files) {
        if (info.is_directory) {
            continue;
        }
        if (shape == "python") {
            value.push_back({{"$id", std::to_string(id)},
                             {"filename", info.name},
                             {"size", info.size},
                             {"lastModifiedTime", rfc3339(info.modified)}});
            id += 1;
        } else {
            value.push_back(legacy_file(info, id));
            id += 2;
        }
    }
    return shape == "python" ? json{{"$id", "1"}, {"$values", std::move(value)}}
                             : json{{"$id", "1"}, {"value", std::move(value)}};
}

}  // namespace

void AcaEmulator::upload(const Call& call, std::string_view shape) {
    auto& response = call.response;
    if (!uploadable(call.request, response, settings_.max_upload_bytes)) {
        return;
    }
    const auto range = call.request.files.equal_range("file");
    std::vector<FileInfo> stored;
    FileResult failed;
    ExecutionRun run;
    const bool worked = with_session(call.identifier, response, run, [&](PoolSession& session) {
        const DataDir data{session.data_dir};
        std::string problem;
        for (auto it = range.first; it != range.second && failed.ok(); ++it) {
            const auto where = split_file_name(call.directory, it->second.filename, problem);
            if (!where) {
                failed = {FileError::kInvalid, problem};
                break;
            }
            FileInfo info;
            failed = data.write(where->first, where->second, it->second.content, info);
            stored.push_back(std::move(info));
        }
        return false;
    });
    if (!worked) {
        return;
    }
    if (!failed.ok()) {
        return send_file_error(response, failed);
    }
    send_json(response, 200, uploaded(stored, shape));
}

void AcaEmulator::list_files(const Call& call, std::string_view shape) {
    const bool recursive = iequals(call.request.get_param_value("recursive"), "true");
    std::vector<FileInfo> files;
    FileResult result;
    ExecutionRun run;
    if (!with_session(call.identifier, call.response, run, [&](PoolSession& session) {
            result =
                DataDir{session.data_dir}.list(call.directory, shape == "new" && recursive, files);
            return false;
        })) {
        return;
    }
    if (!result.ok()) {
        return send_file_error(call.response, result);
    }
    if (shape == "new") {
        json value = json::array();
        for (const auto& info : files) {
            value.push_back(new_file(info));
        }
        return send_json(call.response, 200, {{"value", std::move(value)}, {"nextLink", nullptr}});
    }
    send_json(call.response, 200, legacy_listing(files, shape));
}

void AcaEmulator::download(const Call& call, const FilePath& file, bool typed) {
    const std::string& directory = file.first;
    const std::string& name = file.second;
    std::string bytes;
    FileInfo info;
    FileResult result;
    ExecutionRun run;
    if (!with_session(call.identifier, call.response, run, [&](PoolSession& session) {
            result = DataDir{session.data_dir}.read(directory, name, bytes, info);
            return false;
        })) {
        return;
    }
    if (!result.ok()) {
        return send_file_error(call.response, result);
    }
    call.response.status = 200;
    call.response.set_header("Last-Modified", http_date(info.modified));
    // The legacy route types the content by extension (Microsoft's local sample); the new one
    // is application/octet-stream by the spec.
    call.response.set_content(bytes, typed ? content_type_for(name) : "application/octet-stream");
}

void AcaEmulator::file_metadata(const Call& call, const FilePath& file) {
    FileInfo info;
    FileResult result;
    ExecutionRun run;
    if (!with_session(call.identifier, call.response, run, [&](PoolSession& session) {
            result = DataDir{session.data_dir}.stat(file.first, file.second, info);
            return false;
        })) {
        return;
    }
    if (!result.ok()) {
        return send_file_error(call.response, result);
    }
    if (call.version.new_api) {
        return send_json(call.response, 200, new_file(info));
    }
    json entry = legacy_file(info, 0);
    entry["$id"] = "";
    entry["properties"]["$id"] = "";
    send_json(call.response, 200, {{"value", json::array({std::move(entry)})}});
}

void AcaEmulator::delete_file(const Call& call, const FilePath& file) {
    FileResult result;
    ExecutionRun run;
    if (!with_session(call.identifier, call.response, run, [&](PoolSession& session) {
            result = DataDir{session.data_dir}.remove(file.first, file.second);
            return false;
        })) {
        return;
    }
    if (!result.ok()) {
        return send_file_error(call.response, result);
    }
    if (call.version.new_api) {
        call.response.status = 204;
        return;
    }
    send_json(call.response, 200, {{"message", "file deleted successfully"}});
}

}  // namespace sandbench::emulators::aca
