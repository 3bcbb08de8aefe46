// tinybert/backend/input_checks.hpp: the range checks of the model's integer inputs, one text for every device.
// Token ids must index the embedding table; targets must name a class or be ignore_index. The CPU runs them on
// every call. On CUDA they cost a device->host copy and a sync, so they run only as a debug option: built with
// TINYBERT_ENABLE_ASSERT, or with the environment variable TINYBERT_CUDA_CHECK_INPUTS set to anything but "0"
// (read on every call, so a test or a run can switch it). Without it a bad id reads as a zero row and a bad target
// makes the loss NaN (the Trainer then stops and says at which batch): docs/reliability.md.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "tinybert/core/error.hpp"

namespace tinybert::detail {

// ids (N): every id in [0, vocab); throws naming the first one outside
inline void check_embedding_ids(std::span<const std::int64_t> ids, std::int64_t vocab) {
    for (std::size_t i = 0; i < ids.size(); ++i)
        TINYBERT_CHECK(ids[i] >= 0 && ids[i] < vocab, "embedding: id ", ids[i], " at position ", i,
                       " is outside the table of ", vocab, " rows");
}

// targets (N): every target in [0, classes) or ignore_index; throws naming the first one that is neither
inline void check_targets(std::span<const std::int64_t> targets, std::int64_t classes, std::int64_t ignore_index) {
    for (std::size_t i = 0; i < targets.size(); ++i)
        TINYBERT_CHECK(targets[i] == ignore_index || (targets[i] >= 0 && targets[i] < classes), "cross_entropy: target ",
                       targets[i], " at row ", i, " is outside [0, ", classes, ") and is not ignore_index ",
                       ignore_index);
}

// Whether the CUDA backend copies ids and targets to the host to run the checks above.
inline bool cuda_input_checks_enabled() {
#ifdef TINYBERT_ENABLE_ASSERT
    return true;
#else
    const char* v = std::getenv("TINYBERT_CUDA_CHECK_INPUTS");
    return v != nullptr && std::strcmp(v, "0") != 0;
#endif
}

}  // namespace tinybert::detail
