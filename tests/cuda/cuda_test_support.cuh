// What the GPU tests share: TINYBERT_REQUIRE_CUDA_DEVICE(), the first line of every case (without a CUDA device —
// CI, a laptop — the case passes with a warning), TINYBERT_REQUIRE_FLASH_DEVICE() for the flash-attention cases, and
// the tiny BERT they build.
#pragma once

#include <catch2/catch.hpp>

#include <cstddef>

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/io/hf_config.hpp"

#define TINYBERT_REQUIRE_CUDA_DEVICE()             \
    do {                                           \
        if (!tinybert::cuda::device_available()) { \
            WARN("no CUDA device: skipped");       \
            return;                                \
        }                                          \
    } while (0)

// The first lines of a flash-attention case: it needs compute capability 8.0 (bf16 WMMA); on an older device the
// case passes with a warning.
#define TINYBERT_REQUIRE_FLASH_DEVICE()                                                                          \
    do {                                                                                                         \
        TINYBERT_REQUIRE_CUDA_DEVICE();                                                                          \
        int device_ = 0, major_ = 0;                                                                             \
        TINYBERT_CUDA_CHECK(cudaGetDevice(&device_));                                                            \
        TINYBERT_CUDA_CHECK(cudaDeviceGetAttribute(&major_, cudaDevAttrComputeCapabilityMajor, device_));        \
        if (major_ < 8) {                                                                                        \
            WARN("flash attention needs compute capability 8.0; this device has " << major_ << ".x: skipped");  \
            return;                                                                                              \
        }                                                                                                        \
    } while (0)

namespace tinybert::test {

// 2 layers, hidden 32, 4 heads, vocab 50, 16 positions, dropout 0.1, `labels` classes.
inline BertConfig tiny_cuda_config(std::size_t labels) {
    BertConfig c;
    c.vocab_size = 50;
    c.hidden_size = 32;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.intermediate_size = 64;
    c.max_position_embeddings = 16;
    c.hidden_dropout_prob = 0.1;
    c.attention_probs_dropout_prob = 0.1;
    c.set_num_labels(labels);
    return c;
}

}  // namespace tinybert::test
