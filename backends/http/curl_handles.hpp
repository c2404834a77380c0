// SPDX-License-Identifier: Apache-2.0
//
// Owners of libcurl's C handles (easy handle, header list, MIME body, URL parser), so that every
// path out of a function, including an exception from a callback, frees them. Internal to the
// HTTP layer: this is the only header that includes <curl/curl.h>, and only .cpp files include
// it, so libcurl stays a private dependency of sandbench::http.
#pragma once

#include <memory>

#include <curl/curl.h>

namespace sandbench::backends::http::detail {

/// Runs curl_global_init once per process, whichever thread gets here first (std::call_once).
/// Throws sandbench::Error if libcurl cannot initialise (for example, no TLS library). There is
/// deliberately no curl_global_cleanup: it is not thread-safe and the process exit frees all.
void ensure_curl_initialised();

struct EasyDeleter {
    void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
struct SlistDeleter {
    void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
struct MimeDeleter {
    void operator()(curl_mime* mime) const noexcept { curl_mime_free(mime); }
};
struct UrlDeleter {
    void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};

/// Move-only owner of an easy handle. Keeping one alive keeps its connection cache, DNS cache
/// and TLS session cache, which is how a session reuses its connection.
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using MimeHandle = std::unique_ptr<curl_mime, MimeDeleter>;
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

/// A curl_slist that appends safely: curl_slist_append returns a new head, or null and leaves
/// the old list intact on failure, which a bare pointer makes easy to leak.
class HeaderList {
public:
    /// Returns false if libcurl could not allocate the entry.
    [[nodiscard]] bool append(const char* line) noexcept;
    [[nodiscard]] curl_slist* get() const noexcept { return list_.get(); }

private:
    std::unique_ptr<curl_slist, SlistDeleter> list_;
};

/// A new easy handle, libcurl initialised first. Throws sandbench::Error if libcurl cannot
/// allocate one.
[[nodiscard]] EasyHandle make_easy_handle();

}  // namespace sandbench::backends::http::detail
