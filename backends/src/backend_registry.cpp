// SPDX-License-Identifier: Apache-2.0
#include "sandbench/backends/backend_registry.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sandbench/common/check.hpp"
#include "sandbench/common/error.hpp"

namespace sandbench::backends {

void BackendRegistry::add(BackendType type) {
    const bool duplicate = std::any_of(types_.begin(), types_.end(),
                                       [&](const auto& known) { return known.type == type.type; });
    SANDBENCH_CHECK(!duplicate, "a backend type is registered twice");
    types_.push_back(std::move(type));
}

std::unique_ptr<Backend> BackendRegistry::create(const BackendSpec& spec) const {
    const auto it = std::find_if(types_.begin(), types_.end(),
                                 [&](const auto& known) { return known.type == spec.type; });
    if (it == types_.end()) {
        std::vector<std::string> names;
        for (const auto& known : types_) {
            names.push_back(known.type);
        }
        throw UsageError(fmt::format("backend '{}' has unknown type '{}' (known types: {})",
                                     spec.name, spec.type, fmt::join(names, ", ")));
    }
    return it->factory(spec);
}

}  // namespace sandbench::backends
