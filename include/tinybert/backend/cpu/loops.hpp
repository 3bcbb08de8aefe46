// tinybert/backend/cpu/loops.hpp: the two parallel loop shapes the CPU kernels share (OpenMP threads; a serial loop
// when built without OpenMP).
//   for_chunks(n, body):         body(begin, len) over [0, n) in cache-sized chunks, for pointwise work;
//   for_column_blocks(h, body):  body(c0, nc) over blocks of a row-major (N,H) matrix's columns, for sums over the rows
//                                (bias and LayerNorm gradients, embedding scatter-adds). Each column is summed over the
//                                rows in the same order as a serial loop, whatever the thread count, and no two
//                                threads write the same element.
#pragma once

#include <algorithm>
#include <cstdint>

namespace tinybert::cpu::detail {

template <class F>
void for_chunks(std::int64_t n, F&& body) {
    constexpr std::int64_t chunk = 8192;
#pragma omp parallel for schedule(static)
    for (std::int64_t begin = 0; begin < n; begin += chunk) body(begin, std::min(chunk, n - begin));
}

template <class F>
void for_column_blocks(std::int64_t h, F&& body) {
    constexpr std::int64_t block = 64;  // four cache lines of floats: every thread reads whole lines
#pragma omp parallel for schedule(static)
    for (std::int64_t c0 = 0; c0 < h; c0 += block) body(c0, std::min(block, h - c0));
}

}  // namespace tinybert::cpu::detail
