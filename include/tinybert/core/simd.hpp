// tinybert/core/simd.hpp: the x86 intrinsics headers, included before Eigen and simdjson include them.
// GCC 12 reports -W(maybe-)uninitialized inside its own avx512fintrin.h wherever an AVX-512 intrinsic that starts from
// _mm512_undefined_*() is inlined (GCC bug 105593, fixed in GCC 13): a false positive that -Werror turns into a
// failed build of every Eigen kernel under -march=native on an AVX-512 CPU. GCC decides by the location of the
// diagnostic, which is in that header, so including it here with the warning off silences exactly those reports and
// keeps the warning everywhere else. Every tinybert header that pulls in Eigen or simdjson includes this first.
#pragma once

#if (defined(__x86_64__) || defined(__i386__)) && !defined(__CUDACC__)  // nvcc: as Eigen includes them
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif
#endif
