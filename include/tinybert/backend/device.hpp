// tinybert/backend/device.hpp: device types. A device is a type with one member set (Eigen's DefaultDevice shape):
//   allocate<T>(n) / deallocate(p) / copy(dst, src, n) / fill(dst, n, v) / to_host / from_host / synchronize().
// Tensor<T, Device> and every kernel overload are picked at compile time from it: no virtual calls, no run-time
// dispatch. Kernels for Cpu live in namespace tinybert::cpu, for Cuda in tinybert::cuda; ops call them unqualified
// and argument-dependent lookup finds the right namespace through the device type of the tensors.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>

namespace tinybert {

namespace cpu {

struct Device {
    static constexpr const char* name = "cpu";
    static constexpr bool is_host = true;

    template <class T>
    static T* allocate(std::size_t n) {
        if (n == 0) return nullptr;
        return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64}));
    }
    template <class T>
    static void deallocate(T* p) {
        if (p) ::operator delete(static_cast<void*>(p), std::align_val_t{64});
    }
    template <class T>
    static void copy(T* dst, const T* src, std::size_t n) {
        if (n) std::memcpy(dst, src, n * sizeof(T));
    }
    template <class T>
    static void fill(T* dst, std::size_t n, T value) {
        std::fill(dst, dst + n, value);
    }
    // Host <-> this device: on the CPU these are plain copies.
    template <class T>
    static void to_host(T* host_dst, const T* src, std::size_t n) {
        copy(host_dst, src, n);
    }
    template <class T>
    static void from_host(T* dst, const T* host_src, std::size_t n) {
        copy(dst, host_src, n);
    }
    static void synchronize() {}
};

}  // namespace cpu

namespace cuda {
struct Device;  // defined in tinybert/backend/cuda/device.cuh, only in nvcc translation units
}

using Cpu = cpu::Device;
using Cuda = cuda::Device;

}  // namespace tinybert
