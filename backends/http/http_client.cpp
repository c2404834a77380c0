// SPDX-License-Identifier: Apache-2.0
#include "http/http_client.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "http/curl_handles.hpp"
#include "sandbench/common/check.hpp"
#include "sandbench/common/error.hpp"
#include "sandbench/common/redact.hpp"
#include "sandbench/common/version.hpp"

namespace sandbench::backends::http {
namespace {

using Clock = std::chrono::steady_clock;

const char* method_name(Method method) noexcept {
    switch (method) {
        case Method::kGet:
            return "GET";
        case Method::kHead:
            return "HEAD";
        case Method::kPost:
            return "POST";
        case Method::kPut:
            return "PUT";
        case Method::kPatch:
            return "PATCH";
        case Method::kDelete:
            return "DELETE";
    }
    return "GET";
}

bool is_valid_duration(Milliseconds duration) noexcept {
    return std::isfinite(duration.count()) && duration.count() >= 0.0;
}

/// libcurl's milliseconds: rounded up, so that a positive sub-millisecond limit does not become
/// 0, which libcurl reads as "no limit".
long to_curl_ms(Milliseconds duration) noexcept {
    constexpr double kMax = 1e12;  // ~30 years; far from overflowing a 64-bit long
    return static_cast<long>(std::min(std::ceil(duration.count()), kMax));
}

Milliseconds from_curl_us(curl_off_t microseconds) noexcept {
    return Milliseconds{static_cast<double>(std::max<curl_off_t>(microseconds, 0)) / 1000.0};
}

/// The length of a stage from two cumulative libcurl times; 0 when the stage did not happen.
curl_off_t stage(curl_off_t later, curl_off_t earlier) noexcept {
    return later > earlier ? later - earlier : 0;
}

std::uint64_t non_negative(curl_off_t value) noexcept {
    return value > 0 ? static_cast<std::uint64_t>(value) : 0;
}

ErrorKind classify(CURLcode code) noexcept {
    switch (code) {
        case CURLE_OK:
            return ErrorKind::kNone;
        case CURLE_OPERATION_TIMEDOUT:
            return ErrorKind::kTimeout;
        case CURLE_COULDNT_CONNECT:
            return ErrorKind::kConnect;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            return ErrorKind::kDns;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_CLIENTCERT:
        case CURLE_USE_SSL_FAILED:
            return ErrorKind::kTls;
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_SEND_FAIL_REWIND:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_HTTP3:
        case CURLE_QUIC_CONNECT_ERROR:
            return ErrorKind::kConnectionLost;
        case CURLE_FILESIZE_EXCEEDED:
            return ErrorKind::kTooLarge;
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
            return ErrorKind::kInvalidRequest;
        default:
            return ErrorKind::kOther;
    }
}

long curl_http_version(HttpVersion version) noexcept {
    switch (version) {
        case HttpVersion::kHttp11:
            return CURL_HTTP_VERSION_1_1;
        case HttpVersion::kHttp2:
            return CURL_HTTP_VERSION_2_0;
        case HttpVersion::kHttp2Tls:
            return CURL_HTTP_VERSION_2TLS;
        case HttpVersion::kHttp2PriorKnowledge:
            return CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    }
    return CURL_HTTP_VERSION_2TLS;
}

std::string http_version_text(long version) {
    switch (version) {
        case CURL_HTTP_VERSION_1_0:
            return "1.0";
        case CURL_HTTP_VERSION_1_1:
            return "1.1";
        case CURL_HTTP_VERSION_2_0:
            return "2";
        case CURL_HTTP_VERSION_3:
            return "3";
        default:
            return "";
    }
}

bool libcurl_has_http2() noexcept {
    const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
    return info != nullptr && (info->features & CURL_VERSION_HTTP2) != 0;
}

/// Header lines in libcurl's syntax, or why a field cannot be sent. A line break in a field would
/// let a value smuggle in further fields (header injection), so it is refused, not escaped.
std::optional<std::string> header_lines(const Headers& headers, std::vector<std::string>& lines) {
    for (const auto& [name, value] : headers) {
        if (name.empty() || name.find_first_of(":\r\n\t ", 0) != std::string::npos ||
            name.find('\0') != std::string::npos) {
            return "invalid header name '" + redact(name) + "'";
        }
        if (value.find_first_of("\r\n", 0) != std::string::npos ||
            value.find('\0') != std::string::npos) {
            return "line break in the value of header '" + name + "'";
        }
        // "Name;" is libcurl's way to send a field with an empty value ("Name:" would remove it).
        std::string& line = lines.emplace_back(name);
        line += value.empty() ? ";" : ": ";
        line += value;
    }
    // libcurl sends "Expect: 100-continue" before large bodies and then waits up to a second for
    // an interim response many servers never send; that wait would be measured as upload time.
    if (!headers.contains("Expect")) {
        lines.emplace_back("Expect:");
    }
    return std::nullopt;
}

/// What the callbacks of one transfer share. Lives on the stack of perform().
struct Transfer {
    CURL* easy = nullptr;
    Clock::time_point start;
    Response* response = nullptr;
    const BodyCallback* on_body = nullptr;
    std::uint64_t max_body = 0;
    bool routed = false;     ///< decided where the body goes (needs the status, known by then)
    bool streaming = false;  ///< the body goes to on_body
    bool delivered = false;  ///< on_body has seen data, so the request must not be repeated
    bool aborted = false;
    bool too_large = false;
    std::exception_ptr exception;  ///< thrown by on_body or by allocation; rethrown after perform
};

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) noexcept {
    auto& transfer = *static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    if (bytes == 0) {
        return 0;
    }
    if (!transfer.response->first_body_byte) {
        transfer.response->first_body_byte =
            std::chrono::duration_cast<Milliseconds>(Clock::now() - transfer.start);
    }
    if (!transfer.routed) {
        long status = 0;
        curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &status);
        transfer.streaming = transfer.on_body != nullptr && status >= 200 && status < 300;
        transfer.routed = true;
    }
    try {
        if (transfer.streaming) {
            transfer.delivered = true;
            if (!(*transfer.on_body)(std::string_view(data, bytes))) {
                transfer.aborted = true;
                return 0;  // anything but `bytes` makes libcurl stop with CURLE_WRITE_ERROR
            }
            return bytes;
        }
        auto& body = transfer.response->body;
        if (transfer.max_body != 0 && body.size() + bytes > transfer.max_body) {
            transfer.too_large = true;
            return 0;
        }
        body.append(data, bytes);
        return bytes;
    } catch (...) {
        transfer.exception = std::current_exception();
        transfer.aborted = true;
        return 0;
    }
}

/// A multipart part's bytes, read by libcurl in place instead of copied (curl_mime_data would
/// copy), so that an upload's measured time is not inflated by a copy of the file.
struct PartSource {
    std::string_view data;
    std::size_t offset = 0;
};

std::size_t read_part(char* buffer, std::size_t size, std::size_t count, void* arg) noexcept {
    auto& source = *static_cast<PartSource*>(arg);
    const std::size_t bytes = std::min(size * count, source.data.size() - source.offset);
    std::memcpy(buffer, source.data.data() + source.offset, bytes);
    source.offset += bytes;
    return bytes;
}

int seek_part(void* arg, curl_off_t offset, int origin) noexcept {
    auto& source = *static_cast<PartSource*>(arg);
    if (origin != SEEK_SET) {
        return CURL_SEEKFUNC_CANTSEEK;
    }
    if (offset < 0 || static_cast<std::uint64_t>(offset) > source.data.size()) {
        return CURL_SEEKFUNC_FAIL;
    }
    source.offset = static_cast<std::size_t>(offset);
    return CURL_SEEKFUNC_OK;
}

/// Applies options, keeping the first failure: libcurl refuses an option only for a bug or an
/// exhausted memory, and one check after all of them keeps the configuration readable.
class OptionSetter {
public:
    explicit OptionSetter(CURL* easy) noexcept : easy_(easy) {}

    template <typename Value>
    void operator()(CURLoption option, Value value) noexcept {
        if (code_ == CURLE_OK) {
            code_ = curl_easy_setopt(easy_, option, value);
        }
    }

    [[nodiscard]] CURLcode code() const noexcept { return code_; }

private:
    CURL* easy_;
    CURLcode code_ = CURLE_OK;
};

Response failed_response(ErrorKind kind, std::string_view message) {
    Response response;
    response.error = {kind, redact(message)};
    return response;
}

}  // namespace

std::string_view to_string(Method method) noexcept { return method_name(method); }

std::string_view to_string(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::kNone:
            return "none";
        case ErrorKind::kTimeout:
            return "timeout";
        case ErrorKind::kConnect:
            return "connect";
        case ErrorKind::kDns:
            return "dns";
        case ErrorKind::kTls:
            return "tls";
        case ErrorKind::kConnectionLost:
            return "connection_lost";
        case ErrorKind::kTooLarge:
            return "too_large";
        case ErrorKind::kAborted:
            return "aborted";
        case ErrorKind::kInvalidRequest:
            return "invalid_request";
        case ErrorKind::kOther:
            return "other";
    }
    return "other";
}

Request Request::get(std::string url) {
    Request request;
    request.url = std::move(url);
    return request;
}

Request Request::post(std::string url, std::string body, std::string content_type) {
    Request request;
    request.method = Method::kPost;
    request.url = std::move(url);
    request.body = std::move(body);
    if (!content_type.empty()) {
        request.headers.add("Content-Type", std::move(content_type));
    }
    return request;
}

Request Request::post_json(std::string url, const nlohmann::json& body) {
    return post(std::move(url), body.dump(), "application/json");
}

bool Request::is_idempotent() const noexcept {
    if (idempotent) {
        return *idempotent;
    }
    return method == Method::kGet || method == Method::kHead || method == Method::kPut ||
           method == Method::kDelete;
}

class HttpClient::Impl {
public:
    explicit Impl(ClientOptions options)
        : options_(checked(std::move(options))),
          easy_(detail::make_easy_handle()),
          // HTTP/2 over TLS is only a preference; without HTTP/2 support it means HTTP/1.1.
          http_version_(libcurl_has_http2() ? curl_http_version(options_.http_version)
                                            : long{CURL_HTTP_VERSION_1_1}),
          random_(std::random_device{}()) {
        user_agent_ = options_.user_agent.empty() ? std::string("sandbench/") + kVersion
                                                  : options_.user_agent;
        if (!options_.sleep) {
            options_.sleep = [](Milliseconds duration) { std::this_thread::sleep_for(duration); };
        }
    }

    [[nodiscard]] const ClientOptions& options() const noexcept { return options_; }

    Response send(const Request& request, const BodyCallback* on_body) {
        const RetryPolicy& policy = request.retry ? *request.retry : options_.retry;
        if (auto problem = validate(policy)) {
            return failed_response(ErrorKind::kInvalidRequest, *problem);
        }
        if (request.timeout && !is_valid_duration(*request.timeout)) {
            return failed_response(ErrorKind::kInvalidRequest,
                                   "request timeout must be finite and not negative");
        }
        if (!request.parts.empty() && !request.body.empty()) {
            return failed_response(ErrorKind::kInvalidRequest,
                                   "a request has either a body or multipart parts, not both");
        }
        if (request.method == Method::kHead && (!request.body.empty() || !request.parts.empty())) {
            return failed_response(ErrorKind::kInvalidRequest, "a HEAD request has no body");
        }
        if (!request.parts.empty() && request.headers.contains("Content-Type")) {
            // libcurl writes the multipart Content-Type with its boundary; another would break it.
            return failed_response(ErrorKind::kInvalidRequest,
                                   "a multipart request must not set Content-Type");
        }
        std::vector<std::string> lines;
        if (auto problem = header_lines(request.headers, lines)) {
            return failed_response(ErrorKind::kInvalidRequest, *problem);
        }

        Milliseconds waited{0.0};
        for (int attempt = 1;; ++attempt) {
            Attempt result = perform(request, lines, on_body);
            result.response.attempts = attempt;
            result.response.retry_wait = waited;
            if (attempt >= policy.max_attempts || !should_retry(request, result)) {
                return std::move(result.response);
            }
            const Response& response = result.response;
            const bool refused = response.status_code == 429 || response.status_code == 503;
            const Milliseconds delay =
                retry_delay(policy, attempt, refused ? response.retry_after : std::nullopt,
                            unit_random_(random_));
            options_.sleep(delay);
            waited += delay;
        }
    }

private:
    struct Attempt {
        Response response;
        bool delivered = false;
    };

    static ClientOptions checked(ClientOptions options) {
        if (!is_valid_duration(options.connect_timeout) || !is_valid_duration(options.timeout)) {
            throw std::invalid_argument("HTTP timeouts must be finite and not negative");
        }
        if (auto problem = validate(options.retry)) {
            throw std::invalid_argument(*problem);
        }
        if (options.http_version != HttpVersion::kHttp11 &&
            options.http_version != HttpVersion::kHttp2Tls && !libcurl_has_http2()) {
            throw std::invalid_argument("this libcurl was built without HTTP/2");
        }
        return options;
    }

    /// See the retry rules at the top of http_client.hpp.
    static bool should_retry(const Request& request, const Attempt& attempt) noexcept {
        const Response& response = attempt.response;
        if (attempt.delivered) {
            return false;
        }
        switch (response.error.kind) {
            case ErrorKind::kConnect:
            case ErrorKind::kDns:
                return true;
            case ErrorKind::kConnectionLost:
                return request.is_idempotent();
            case ErrorKind::kNone:
                break;
            default:
                return false;
        }
        switch (response.status_code) {
            case 429:
            case 503:
                return true;
            case 502:
            case 504:
                return request.is_idempotent();
            default:
                return false;
        }
    }

    Attempt perform(const Request& request, const std::vector<std::string>& lines,
                    const BodyCallback* on_body) {
        CURL* easy = easy_.get();
        // Resetting forgets the previous request's options but keeps the connection, DNS and TLS
        // session caches: exactly what reuse across requests needs.
        curl_easy_reset(easy);
        error_buffer_[0] = '\0';

        Attempt result;
        Transfer transfer;
        transfer.easy = easy;
        transfer.response = &result.response;
        transfer.on_body = on_body;
        transfer.max_body = options_.max_response_bytes;

        detail::HeaderList headers;
        for (const auto& line : lines) {
            if (!headers.append(line.c_str())) {
                result.response.error = {ErrorKind::kOther, "out of memory for request headers"};
                return result;
            }
        }
        std::vector<PartSource> sources;
        detail::MimeHandle mime;
        if (!request.parts.empty()) {
            mime.reset(curl_mime_init(easy));
            sources.reserve(request.parts.size());  // stable addresses for libcurl's callbacks
            for (const auto& part : request.parts) {
                auto& source = sources.emplace_back(PartSource{part.data, 0});
                if (!add_part(mime.get(), part, source)) {
                    result.response.error = {ErrorKind::kOther,
                                             "could not build the multipart body"};
                    return result;
                }
            }
        }

        OptionSetter set(easy);
        set(CURLOPT_ERRORBUFFER, error_buffer_.data());
        set(CURLOPT_URL, request.url.c_str());
        set(CURLOPT_PROTOCOLS_STR, "http,https");
        // Signals are process-wide; libcurl must not use them in a multi-threaded program.
        set(CURLOPT_NOSIGNAL, 1L);
        // Reused sessions sit idle between executions; keepalive probes keep NAT and load
        // balancer mappings alive, so that reuse measures a live connection.
        set(CURLOPT_TCP_KEEPALIVE, 1L);
        set(CURLOPT_USERAGENT, user_agent_.c_str());
        set(CURLOPT_HTTP_VERSION, http_version_);
        set(CURLOPT_CONNECTTIMEOUT_MS, to_curl_ms(options_.connect_timeout));
        set(CURLOPT_TIMEOUT_MS, to_curl_ms(request.timeout.value_or(options_.timeout)));
        if (!options_.verify_tls) {
            set(CURLOPT_SSL_VERIFYPEER, 0L);
            set(CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (!options_.ca_file.empty()) {
            set(CURLOPT_CAINFO, options_.ca_file.c_str());
        }
        if (options_.proxy) {
            set(CURLOPT_PROXY, options_.proxy->c_str());
        }
        if (headers.get() != nullptr) {
            set(CURLOPT_HTTPHEADER, headers.get());
        }
        const bool sends_body = request.method == Method::kPost || request.method == Method::kPut ||
                                request.method == Method::kPatch || !request.body.empty();
        if (mime) {
            set(CURLOPT_MIMEPOST, mime.get());
        } else if (sends_body) {
            set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
            set(CURLOPT_POSTFIELDS, request.body.data());
        }
        if (request.method == Method::kHead) {
            set(CURLOPT_NOBODY, 1L);
        } else if (request.method == Method::kGet && !mime && !sends_body) {
            set(CURLOPT_HTTPGET, 1L);
        } else if (request.method != Method::kPost) {
            set(CURLOPT_CUSTOMREQUEST, method_name(request.method));
        }
        set(CURLOPT_WRITEFUNCTION, &on_write);
        set(CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
        // libcurl enforces the cap itself when the size is announced; on_write enforces it for
        // chunked bodies. Streamed bodies are not kept, so they are not capped.
        if (on_body == nullptr && options_.max_response_bytes != 0) {
            set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_response_bytes));
        }
        if (set.code() != CURLE_OK) {
            result.response.error = {ErrorKind::kOther, std::string("libcurl refused a setting: ") +
                                                            curl_easy_strerror(set.code())};
            return result;
        }

        transfer.start = Clock::now();
        const CURLcode code = curl_easy_perform(easy);
        if (transfer.exception) {
            std::rethrow_exception(transfer.exception);
        }
        collect(code, transfer, result.response);
        result.delivered = transfer.delivered;
        return result;
    }

    static bool add_part(curl_mime* mime, const Part& part, PartSource& source) noexcept {
        curl_mimepart* mime_part = curl_mime_addpart(mime);
        if (mime_part == nullptr) {
            return false;
        }
        bool ok = curl_mime_name(mime_part, part.name.c_str()) == CURLE_OK;
        if (ok && !part.filename.empty()) {
            ok = curl_mime_filename(mime_part, part.filename.c_str()) == CURLE_OK;
        }
        if (ok && !part.content_type.empty()) {
            ok = curl_mime_type(mime_part, part.content_type.c_str()) == CURLE_OK;
        }
        return ok && curl_mime_data_cb(mime_part, static_cast<curl_off_t>(part.data.size()),
                                       &read_part, &seek_part, nullptr, &source) == CURLE_OK;
    }

    /// Reads what libcurl measured and received into `response`. getinfo failures leave zeros.
    void collect(CURLcode code, const Transfer& transfer, Response& response) {
        CURL* easy = easy_.get();
        long status = 0;
        long request_size = 0;
        long connects = 0;
        long version = 0;
        curl_off_t namelookup = 0;
        curl_off_t connect = 0;
        curl_off_t appconnect = 0;
        curl_off_t pretransfer = 0;
        curl_off_t starttransfer = 0;
        curl_off_t total = 0;
        curl_off_t uploaded = 0;
        curl_off_t downloaded = 0;
        curl_off_t retry_after = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &request_size);
        curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
        curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
        curl_easy_getinfo(easy, CURLINFO_NAMELOOKUP_TIME_T, &namelookup);
        curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect);
        curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &appconnect);
        curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
        curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME_T, &starttransfer);
        curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total);
        curl_easy_getinfo(easy, CURLINFO_SIZE_UPLOAD_T, &uploaded);
        curl_easy_getinfo(easy, CURLINFO_SIZE_DOWNLOAD_T, &downloaded);
        curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after);

        response.status_code = static_cast<int>(status);
        response.http_version = status != 0 ? http_version_text(version) : std::string();
        for (curl_header* field = curl_easy_nextheader(easy, CURLH_HEADER, -1, nullptr);
             field != nullptr; field = curl_easy_nextheader(easy, CURLH_HEADER, -1, field)) {
            response.headers.add(field->name, field->value);
        }
        if (response.headers.contains("Retry-After")) {
            // libcurl parses both forms (delta-seconds and HTTP date); a past date gives <= 0.
            response.retry_after =
                Milliseconds{static_cast<double>(std::max<curl_off_t>(retry_after, 0)) * 1000.0};
        }

        auto& timing = response.timing;
        timing.dns = from_curl_us(namelookup);
        timing.connect = from_curl_us(stage(connect, namelookup));
        timing.tls = appconnect > 0 ? from_curl_us(stage(appconnect, connect)) : Milliseconds{};
        timing.time_to_first_byte = from_curl_us(starttransfer);
        timing.total = from_curl_us(total);
        // Bodies only: libcurl's header counters are not comparable across HTTP versions (HTTP/2
        // compresses headers) or libcurl versions (7.x counts a small HTTP/1 body in
        // REQUEST_SIZE as well as in SIZE_UPLOAD), and payload is what differs between backends.
        timing.bytes_sent = non_negative(uploaded);
        timing.bytes_received = non_negative(downloaded);

        // The request left only once the transfer was set up; pretransfer can be 0 microseconds
        // on a reused connection, so the bytes of the request count as evidence too.
        const bool sent = pretransfer > 0 || request_size > 0;
        response.connection_reused = connects == 0 && sent;

        if (code == CURLE_OK) {
            return;
        }
        ErrorKind kind = classify(code);
        std::string message =
            error_buffer_[0] != '\0' ? error_buffer_.data() : curl_easy_strerror(code);
        if (transfer.aborted) {
            kind = ErrorKind::kAborted;
            message = "the body callback stopped the transfer";
        } else if (transfer.too_large || code == CURLE_FILESIZE_EXCEEDED) {
            kind = ErrorKind::kTooLarge;
            message = "response body larger than " + std::to_string(options_.max_response_bytes) +
                      " bytes";
        } else if (kind == ErrorKind::kTimeout && !sent) {
            kind = ErrorKind::kConnect;
        }
        response.error = {kind, redact(message)};
    }

    ClientOptions options_;
    detail::EasyHandle easy_;
    long http_version_ = CURL_HTTP_VERSION_2TLS;
    std::string user_agent_;
    // libcurl writes the message of a failed transfer here; Impl lives on the heap, so the
    // address libcurl keeps stays valid when the HttpClient moves.
    std::array<char, CURL_ERROR_SIZE> error_buffer_{};
    std::mt19937_64 random_;
    std::uniform_real_distribution<double> unit_random_{0.0, 1.0};
};

HttpClient::HttpClient(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpClient::HttpClient(HttpClient&& other) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&& other) noexcept = default;
HttpClient::~HttpClient() = default;

Response HttpClient::send(const Request& request) {
    SANDBENCH_CHECK(impl_ != nullptr, "HttpClient used after being moved from");
    return impl_->send(request, nullptr);
}

Response HttpClient::send(const Request& request, const BodyCallback& on_body) {
    SANDBENCH_CHECK(impl_ != nullptr, "HttpClient used after being moved from");
    return impl_->send(request, on_body ? &on_body : nullptr);
}

const ClientOptions& HttpClient::options() const noexcept {
    SANDBENCH_CHECK(impl_ != nullptr, "HttpClient used after being moved from");
    return impl_->options();
}

std::optional<std::string> validate_url(std::string_view url) {
    detail::ensure_curl_initialised();
    const detail::UrlHandle handle(curl_url());
    if (!handle) {
        return "out of memory while parsing a URL";
    }
    const std::string text(url);
    if (const CURLUcode code = curl_url_set(handle.get(), CURLUPART_URL, text.c_str(), 0);
        code != CURLUE_OK) {
        return std::string("not a valid URL: ") + curl_url_strerror(code);
    }
    const auto part = [&](CURLUPart which) -> std::optional<std::string> {
        char* value = nullptr;
        if (curl_url_get(handle.get(), which, &value, 0) != CURLUE_OK || value == nullptr) {
            return std::nullopt;
        }
        std::string copy(value);
        curl_free(value);
        return copy;
    };
    const auto scheme = part(CURLUPART_SCHEME);
    if (!scheme || (*scheme != "http" && *scheme != "https")) {
        return "the URL scheme must be http or https";
    }
    const auto host = part(CURLUPART_HOST);
    if (!host || host->empty()) {
        return "the URL has no host";
    }
    return std::nullopt;
}

}  // namespace sandbench::backends::http
