// SPDX-License-Identifier: Apache-2.0
#include "http/curl_handles.hpp"

#include <mutex>
#include <string>

#include "sandbench/common/error.hpp"

namespace sandbench::backends::http::detail {

void ensure_curl_initialised() {
    // libcurl 7.84+ makes curl_global_init itself thread-safe on most builds, but only "most":
    // call_once makes it so on every build. If init throws, call_once lets the next caller retry.
    static std::once_flag once;
    std::call_once(once, [] {
        const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
        if (code != CURLE_OK) {
            throw Error(std::string("libcurl could not initialise: ") + curl_easy_strerror(code));
        }
    });
}

bool HeaderList::append(const char* line) noexcept {
    curl_slist* head = curl_slist_append(list_.get(), line);
    if (head == nullptr) {
        return false;
    }
    // The head only changes from null to the first node; afterwards curl appends in place and
    // returns the same head.
    if (!list_) {
        list_.reset(head);
    }
    return true;
}

EasyHandle make_easy_handle() {
    ensure_curl_initialised();
    EasyHandle handle(curl_easy_init());
    if (!handle) {
        throw Error("libcurl could not create a transfer handle (out of memory?)");
    }
    return handle;
}

}  // namespace sandbench::backends::http::detail
