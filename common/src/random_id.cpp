// SPDX-License-Identifier: Apache-2.0
#include "sandbench/common/random_id.hpp"

#include <array>
#include <random>

#include <fmt/format.h>

#include "sandbench/common/check.hpp"

namespace sandbench {
namespace {

std::mt19937_64& generator() {
    thread_local std::mt19937_64 random{std::random_device{}()};
    return random;
}

}  // namespace

std::uint64_t random_u64() { return generator()(); }

std::string random_uuid() {
    const std::uint64_t high = random_u64();
    const std::uint64_t low = random_u64();
    // Version 4 in the high nibble of the seventh byte, the RFC 4122 variant in the top two bits
    // of the ninth.
    const std::uint64_t versioned = (high & ~std::uint64_t{0xF000}) | std::uint64_t{0x4000};
    const std::uint64_t variant =
        (low & ~(std::uint64_t{0x3} << 62U)) | (std::uint64_t{0x2} << 62U);
    return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", versioned >> 32U,
                       (versioned >> 16U) & 0xFFFFU, versioned & 0xFFFFU, variant >> 48U,
                       variant & 0xFFFF'FFFF'FFFFU);
}

std::string random_hex(std::size_t length) {
    std::string out;
    out.reserve(length + 16);
    while (out.size() < length) {
        out += fmt::format("{:016x}", random_u64());
    }
    out.resize(length);
    return out;
}

std::string random_string(std::size_t length, std::string_view alphabet) {
    SANDBENCH_CHECK(!alphabet.empty(), "random_string needs an alphabet");
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::string out(length, '\0');
    for (char& c : out) {
        c = alphabet[pick(generator())];
    }
    return out;
}

}  // namespace sandbench
