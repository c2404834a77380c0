// SPDX-License-Identifier: Apache-2.0
//
// HttpClient: the HTTP layer of the cloud backends (ACA, E2B) and of their emulator tests. It
// sends Request values and returns Response values; libcurl does the work, this layer decides
// what is measured, what is retried and how failures are reported.
//
// Connections. One HttpClient per session. It owns one libcurl easy handle and keeps it between
// requests, so later requests of a session reuse the first one's connection (and its DNS and TLS
// session caches), as a real client of the service would; Response::connection_reused says
// whether a request did. A client is not thread-safe: like a Session, it is used by one thread at
// a time. libcurl is initialised once per process (std::call_once); every libcurl handle is owned
// by an RAII type (curl_handles.hpp) and libcurl is a private dependency.
//
// Failures are values. send() throws for nothing the network or the server does: a refused
// connection, a timeout or an HTTP 503 is a Response with `error` or `status_code` set. The
// exceptions are programming and set-up errors: invalid ClientOptions (std::invalid_argument),
// libcurl failing to initialise (sandbench::Error), and an exception thrown by the caller's body
// callback, rethrown once the transfer is cleaned up. A malformed request (a scheme other than
// http or https, a line break in a header, a negative timeout) is an error value, kInvalidRequest.
// outcome.hpp maps a Response to backends::Status and fills an Outcome.
//
// Timing. Every Response carries a backends::TransportTiming from libcurl's own clock. libcurl's
// CURLINFO_*_TIME_T values are cumulative from the start of the transfer; they become stages:
// dns = name lookup, connect = TCP connect after the lookup, tls = TLS handshake after the
// connect (0 for http://; connect and tls are 0 on a reused connection), time_to_first_byte = until
// the first byte of the response (status line and headers), total = the whole transfer. bytes_sent
// and bytes_received count bodies only (multipart framing included; content decoding is off):
// libcurl's header counters are not comparable across HTTP versions (HTTP/2 compresses headers)
// or libcurl versions (7.x counts a small HTTP/1 body in both of its request counters), while
// the payload is what differs between backends. In addition,
// Response::first_body_byte is the steady_clock time from the start of the transfer to the first
// byte of the body, which for a streamed response (E2B's NDJSON execution stream) is what a user
// perceives as "first output"; servers that send headers early make it differ from
// time_to_first_byte. After retries, the timing is the last attempt's; `attempts` and
// `retry_wait` cover them all.
//
// Timeouts are std::chrono durations. ClientOptions::connect_timeout bounds connection set-up
// (DNS, TCP, TLS); ClientOptions::timeout, or Request::timeout when set, bounds each attempt as a
// whole. A time-out before the request was sent is reported as kConnect (the server never saw the
// request, so it is unreachable rather than slow, and a retry is safe); afterwards as kTimeout.
//
// Retries (RetryPolicy, retry.hpp; off by default because a retry hides the failure a benchmark
// exists to count). Retried whatever the method: kConnect and kDns errors (nothing reached the
// server), 429, and 503 (the server refused without doing the work). Retried only for idempotent
// requests (GET, HEAD, PUT, DELETE, or Request::idempotent = true): 502, 504 and kConnectionLost,
// because a POST that runs code or creates a sandbox must not run twice. Never retried: time-outs
// (the budget is spent, and a time-out is a result), TLS errors, too-large or aborted responses,
// invalid requests, other statuses, and a streamed response once its callback has seen data.
// The wait is exponential backoff with jitter, or on 429/503 the server's Retry-After (seconds or
// an HTTP date; libcurl parses it), capped by RetryPolicy::max_delay. ClientOptions::sleep is
// injectable so that tests do not sleep.
//
// Streaming. send(request, on_body) hands the body of a 2xx response to on_body chunk by chunk
// as it arrives; returning false aborts the transfer (kAborted). The body of any other status is
// collected in Response::body instead, so that the failure can be reported. LineSplitter
// (line_splitter.hpp) turns chunks into NDJSON lines.
//
// Environment and defaults. Proxies come from the environment as libcurl reads them by default
// (http_proxy, https_proxy, all_proxy, no_proxy); ClientOptions::proxy overrides them and ""
// turns proxies off. TLS peer and host verification is on; ClientOptions::ca_file trusts a
// private CA (an emulator's self-signed certificate). Only http and https are allowed. Redirects
// are not followed: an API that redirects is a finding, not something to hide. The
// "Expect: 100-continue" round trip libcurl adds before large uploads is turned off, because it
// would add up to a second of waiting to upload times. The User-Agent is "sandbench/<version>".
//
// Secrets. The layer logs nothing. Error messages pass through sandbench::redact(), and the
// Outcome helpers quote only a short, redacted excerpt of an error body. is_sensitive_header()
// names the fields (Authorization, X-API-Key, ...) whose values must never be recorded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "http/headers.hpp"
#include "http/retry.hpp"
#include "sandbench/backends/backend.hpp"

namespace sandbench::backends::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete };

[[nodiscard]] std::string_view to_string(Method method) noexcept;

/// Which HTTP version to ask for. The server and ALPN decide what is used; see
/// Response::http_version.
enum class HttpVersion {
    kHttp11,               ///< HTTP/1.1 only
    kHttp2,                ///< HTTP/2 over TLS (ALPN), HTTP/1.1 with an h2c upgrade offer otherwise
    kHttp2Tls,             ///< HTTP/2 over TLS, HTTP/1.1 for http:// (libcurl's default)
    kHttp2PriorKnowledge,  ///< HTTP/2 without negotiation, also over http:// (h2c servers)
};

/// Why an exchange failed below the level of HTTP statuses.
enum class ErrorKind {
    kNone,
    kTimeout,         ///< the request was sent but the attempt's time limit passed
    kConnect,         ///< no connection: refused, unreachable, or timed out before sending
    kDns,             ///< the host name did not resolve
    kTls,             ///< TLS handshake or certificate verification failed
    kConnectionLost,  ///< sending or receiving failed, or the server closed the connection
    kTooLarge,        ///< the response body exceeded ClientOptions::max_response_bytes
    kAborted,         ///< the body callback returned false
    kInvalidRequest,  ///< the request was never sent: bad URL, scheme, header or timeout
    kOther,
};

/// "none", "timeout", "connect", "dns", "tls", "connection_lost", "too_large", "aborted",
/// "invalid_request", "other".
[[nodiscard]] std::string_view to_string(ErrorKind kind) noexcept;

struct TransportError {
    ErrorKind kind = ErrorKind::kNone;
    /// libcurl's description (its error buffer), redacted; empty when kind is kNone.
    std::string message;

    explicit operator bool() const noexcept { return kind != ErrorKind::kNone; }
};

/// One part of a multipart/form-data body (ACA's file upload).
struct Part {
    std::string name;          ///< the form field name
    std::string filename;      ///< sent as the part's filename when not empty
    std::string content_type;  ///< e.g. "application/octet-stream"; libcurl's default when empty
    std::string data;          ///< the bytes, sent without copying
};

struct Request {
    Method method = Method::kGet;
    std::string url;
    Headers headers;
    std::string body;
    /// When not empty, the body is multipart/form-data made of these parts; `body` must then be
    /// empty and `headers` must not set Content-Type (libcurl writes it, with the boundary).
    std::vector<Part> parts;
    /// Limit of each attempt; overrides ClientOptions::timeout. Zero means none.
    std::optional<Milliseconds> timeout;
    /// Whether repeating the request is harmless; by default true for GET, HEAD, PUT, DELETE.
    std::optional<bool> idempotent;
    /// Overrides ClientOptions::retry for this request (e.g. retrying a cleanup call).
    std::optional<RetryPolicy> retry;

    [[nodiscard]] static Request get(std::string url);
    [[nodiscard]] static Request post(std::string url, std::string body, std::string content_type);
    /// A POST of `body` serialised, with Content-Type: application/json.
    [[nodiscard]] static Request post_json(std::string url, const nlohmann::json& body);

    [[nodiscard]] bool is_idempotent() const noexcept;
};

struct Response {
    /// The HTTP status; 0 when no response arrived. Kept when the body then failed (a time-out
    /// in the middle of a streamed 200 has status_code 200 and error kTimeout).
    int status_code = 0;
    /// The body; for send() with a body callback, only the body of a non-2xx response.
    std::string body;
    /// The final response's fields (interim 1xx responses are dropped).
    Headers headers;
    TransportError error;
    TransportTiming timing;
    /// Time from the start of the transfer to the first body byte (steady_clock); unset when no
    /// body byte arrived.
    std::optional<Milliseconds> first_body_byte;
    /// The request went over a connection an earlier request of this client had opened.
    bool connection_reused = false;
    /// "1.0", "1.1", "2" or "3"; empty when no response arrived.
    std::string http_version;
    /// The wait the response's Retry-After asked for, when it had one (0 for a date in the past).
    std::optional<Milliseconds> retry_after;
    /// Attempts made, the first included; 0 when the request was invalid and never sent.
    int attempts = 0;
    /// Time spent waiting between attempts.
    Milliseconds retry_wait{};

    /// No transport error and a 2xx status.
    [[nodiscard]] bool ok() const noexcept {
        return !error && status_code >= 200 && status_code < 300;
    }
};

struct ClientOptions {
    /// Limit of connection set-up (DNS, TCP, TLS); zero means libcurl's default (300 s).
    Milliseconds connect_timeout{10'000.0};
    /// Limit of each attempt, from start to last byte; zero means none. Request::timeout
    /// overrides it.
    Milliseconds timeout{60'000.0};
    HttpVersion http_version = HttpVersion::kHttp2Tls;
    /// Verify the server's certificate and host name. Turn off only for local experiments.
    bool verify_tls = true;
    /// PEM file of CAs to trust instead of the system store; empty for the system store.
    std::string ca_file;
    /// Unset: proxies from the environment (libcurl's default). "" turns proxies off; any other
    /// value is the proxy URL.
    std::optional<std::string> proxy;
    /// Empty: "sandbench/<version>".
    std::string user_agent;
    /// Cap of a body kept in memory (kTooLarge beyond it); 0 means none. Bodies handed to a
    /// body callback are not kept and not capped.
    std::uint64_t max_response_bytes = std::uint64_t{256} * 1024 * 1024;
    RetryPolicy retry;
    /// How to wait between attempts; empty means std::this_thread::sleep_for. Tests inject a
    /// recorder; a backend can inject a wait that ends early on a stop request.
    std::function<void(Milliseconds)> sleep;
};

/// Receives each chunk of a 2xx response body as it arrives; return false to abort the transfer.
using BodyCallback = std::function<bool(std::string_view chunk)>;

/// One session's HTTP client; see the top of this file. Move-only, not thread-safe.
class HttpClient {
public:
    /// Throws std::invalid_argument for invalid options (negative or NaN times, a bad retry
    /// policy, HTTP/2 asked of a libcurl built without it) and sandbench::Error if libcurl
    /// cannot initialise.
    explicit HttpClient(ClientOptions options = {});
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;
    HttpClient(HttpClient&& other) noexcept;
    HttpClient& operator=(HttpClient&& other) noexcept;
    ~HttpClient();

    /// Sends `request` (with retries per the policy) and returns the final attempt's response.
    [[nodiscard]] Response send(const Request& request);
    /// As send(request), handing the body of a 2xx response to `on_body` as it arrives.
    [[nodiscard]] Response send(const Request& request, const BodyCallback& on_body);

    [[nodiscard]] const ClientOptions& options() const noexcept;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

/// Why `url` cannot be sent (not parseable, not http or https, no host), or nothing. For
/// backends to reject a configured endpoint before measuring.
[[nodiscard]] std::optional<std::string> validate_url(std::string_view url);

}  // namespace sandbench::backends::http
