// SPDX-License-Identifier: Apache-2.0
#include "http/line_splitter.hpp"

#include <utility>

namespace sandbench::backends::http {

LineSplitter::LineSplitter(LineCallback on_line) : on_line_(std::move(on_line)) {}

bool LineSplitter::deliver(std::string_view line) {
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    if (!line.empty() && !on_line_(line)) {
        stopped_ = true;
    }
    return !stopped_;
}

bool LineSplitter::feed(std::string_view chunk) {
    while (!stopped_) {
        const auto newline = chunk.find('\n');
        if (newline == std::string_view::npos) {
            partial_.append(chunk);
            break;
        }
        // Lines wholly inside the chunk are passed without a copy.
        if (partial_.empty()) {
            deliver(chunk.substr(0, newline));
        } else {
            partial_.append(chunk.substr(0, newline));
            const std::string line = std::exchange(partial_, std::string());
            deliver(line);
        }
        chunk.remove_prefix(newline + 1);
    }
    return !stopped_;
}

bool LineSplitter::finish() {
    if (stopped_ || partial_.empty()) {
        return !stopped_;
    }
    const std::string line = std::exchange(partial_, std::string());
    return deliver(line);
}

}  // namespace sandbench::backends::http
