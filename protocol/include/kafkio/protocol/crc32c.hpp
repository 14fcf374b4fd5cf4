// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka RecordBatch v2 (docs/protocol.md,
// "Layout").
//
// `crc32c()` picks the fastest implementation once, at first use: SSE4.2 `crc32` on x86-64 and the ARMv8 CRC
// extension on AArch64 when the running CPU has them, otherwise a portable slicing-by-8 table. The portable and
// hardware variants are exposed separately so tests can check one against the other.
//
// `seed` continues an earlier checksum: crc32c(b, crc32c(a)) == crc32c(a ++ b). The default 0 starts afresh.
// Check value: crc32c("123456789") == 0xE3069283.
#pragma once

#include <kafkio/protocol/wire.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace kafkio::protocol {

// The fastest implementation available on this CPU.
std::uint32_t crc32c(bytes_view data, std::uint32_t seed = 0) noexcept;

// Table-driven, any CPU.
std::uint32_t crc32c_portable(bytes_view data, std::uint32_t seed = 0) noexcept;

// CPU instructions; nullopt when this build or this CPU has none.
std::optional<std::uint32_t> crc32c_hardware(bytes_view data, std::uint32_t seed = 0) noexcept;

// Which implementation crc32c() uses: "sse4.2", "armv8-crc" or "portable".
std::string_view crc32c_implementation() noexcept;

}  // namespace kafkio::protocol
