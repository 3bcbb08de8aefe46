// tinybert/core/parallel.hpp: parallel_for over [0, n) on all cores (OpenMP) that carries exceptions out of the
// parallel region (an exception escaping an OpenMP region would terminate the program): the first one is rethrown.
// Built without OpenMP (TINYBERT_OPENMP=OFF) it is a serial loop with the same exception behaviour.
#pragma once

#include <cstddef>
#include <exception>
#include <mutex>

namespace tinybert {

template <class F>
void parallel_for(std::size_t n, F&& f) {
    std::exception_ptr error;
    std::mutex m;
#pragma omp parallel for schedule(dynamic, 8)
    for (std::size_t i = 0; i < n; ++i) {
        try {
            f(i);
        } catch (...) {
            const std::lock_guard<std::mutex> lock(m);
            if (!error) error = std::current_exception();
        }
    }
    if (error) std::rethrow_exception(error);
}

}  // namespace tinybert
