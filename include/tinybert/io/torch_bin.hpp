// tinybert/io/torch_bin.hpp: read-only pytorch_model.bin support (spec §8.4; torch/serialization.py _load): a ZIP of
// <p>/data.pkl (the state dict, read by the restricted unpickler) and <p>/data/<key> storages. Views into shared
// storages (offsets, strides) are gathered into contiguous row-major tensors. The pre-1.6 format is rejected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tinybert/core/dtype.hpp"
#include "tinybert/core/error.hpp"
#include "tinybert/io/checkpoint_tensor.hpp"
#include "tinybert/io/files.hpp"
#include "tinybert/io/pickle.hpp"
#include "tinybert/io/zip.hpp"

namespace tinybert {

namespace detail {

// The tensor `t` (size/stride/offset in elements over `storage`) as contiguous row-major bytes: a view into the file
// when the layout already is contiguous, otherwise a gathered copy.
inline CheckpointTensor gather_tensor(const pickle::Tensor& t, std::span<const std::byte> storage,
                                      const std::shared_ptr<const MappedFile>& file, const std::string& where) {
    const std::uint64_t archive_bytes = file->bytes().size();
    const std::uint64_t es = dtype_size(t.storage.dtype);
    TINYBERT_CHECK(t.offset >= 0, where, ": negative storage offset ", t.offset);
    std::uint64_t numel = 1, last = static_cast<std::uint64_t>(t.offset);
    bool contiguous = true;
    std::uint64_t expected_stride = 1;
    for (std::size_t d = t.size.size(); d-- > 0;) {
        TINYBERT_CHECK(t.size[d] >= 0 && t.stride[d] >= 0, where, ": negative size or stride in dimension ", d);
        const auto n = static_cast<std::uint64_t>(t.size[d]), s = static_cast<std::uint64_t>(t.stride[d]);
        numel = checked_mul(numel, n, where);
        if (n > 1 && s != expected_stride) contiguous = false;
        expected_stride = checked_mul(expected_stride, n, where);
        const std::uint64_t reach = n > 0 ? checked_mul(n - 1, s, where) : 0;
        TINYBERT_CHECK(reach < (std::uint64_t{1} << 62) && last < (std::uint64_t{1} << 62), where,
                       ": size/stride/offset overflow");
        last += reach;  // both < 2^62: cannot wrap
    }
    // A view may repeat elements (a zero stride, as expand() makes), so its gathered copy can be larger than its
    // storage; but not larger than the whole archive, which no real checkpoint's tensor is: otherwise a few bytes of
    // pickle could ask for any amount of memory.
    TINYBERT_CHECK(static_cast<double>(numel) * static_cast<double>(es) <= static_cast<double>(archive_bytes), where,
                   ": view of ", numel, " elements (", static_cast<double>(numel) * static_cast<double>(es),
                   " bytes once gathered) is larger than the whole archive (", archive_bytes, " bytes)");
    TINYBERT_CHECK(numel == 0 || last < static_cast<std::uint64_t>(t.storage.numel), where, ": view (offset ",
                   t.offset, ", last element ", last, ") reaches past its storage of ", t.storage.numel, " elements");
    if (numel == 0) return CheckpointTensor(t.storage.dtype, t.size, {}, {}, where);
    if (contiguous)
        return CheckpointTensor(t.storage.dtype, t.size,
                                storage.subspan(static_cast<std::size_t>(static_cast<std::uint64_t>(t.offset) * es),
                                                static_cast<std::size_t>(numel * es)),
                                file, where);
    auto out = std::make_shared<std::vector<std::byte>>(static_cast<std::size_t>(numel * es));
    std::vector<std::int64_t> idx(t.size.size(), 0);
    for (std::uint64_t i = 0; i < numel; ++i) {
        std::uint64_t src = static_cast<std::uint64_t>(t.offset);
        for (std::size_t d = 0; d < idx.size(); ++d)
            src += static_cast<std::uint64_t>(idx[d]) * static_cast<std::uint64_t>(t.stride[d]);
        std::memcpy(out->data() + i * es, storage.data() + src * es, static_cast<std::size_t>(es));
        for (std::size_t d = idx.size(); d-- > 0;) {  // odometer: advance the last dimension first
            if (++idx[d] < t.size[d]) break;
            idx[d] = 0;
        }
    }
    const std::span<const std::byte> bytes(*out);
    return CheckpointTensor(t.storage.dtype, t.size, bytes, std::move(out), where);
}

}  // namespace detail

// Reads a torch.save zip checkpoint (pytorch_model.bin) into (name, tensor) pairs in the pickled dict's order.
inline std::vector<NamedTensor> load_torch_bin(const std::string& path) {
    const auto file = detail::MappedFile::open(path);
    const auto all = file->bytes();
    const bool zip = all.size() >= 4 && all[0] == std::byte{'P'} && all[1] == std::byte{'K'} &&
                     all[2] == std::byte{3} && all[3] == std::byte{4};
    TINYBERT_CHECK(zip || all.empty() || all[0] != std::byte{0x80}, path,
                   ": legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with torch >= 1.6 or "
                   "convert it to safetensors");
    TINYBERT_CHECK(zip, path, ": not a PyTorch checkpoint (a ZIP archive starting with PK\\x03\\x04)");
    const auto entries = detail::read_zip_directory(all, path);

    const detail::ZipEntry* pkl = nullptr;
    for (const auto& e : entries) {
        const std::size_t slash = e.name.find('/');
        if (slash != std::string::npos && e.name.substr(slash + 1) == "data.pkl") {
            TINYBERT_CHECK(pkl == nullptr, path, ": more than one data.pkl in the archive");
            pkl = &e;
        }
    }
    TINYBERT_CHECK(pkl != nullptr, path, ": no <folder>/data.pkl entry; not a torch.save archive");
    const std::string prefix = pkl->name.substr(0, pkl->name.size() - 8);
    // Entries by name (the first of duplicates, as the linear scan this replaces found): one lookup per tensor, so a
    // hostile archive with many entries and many tensors cannot make loading quadratic.
    std::map<std::string_view, const detail::ZipEntry*> by_name;
    for (const auto& e : entries) by_name.emplace(e.name, &e);
    auto entry = [&](std::string_view name) -> const detail::ZipEntry* {
        const auto it = by_name.find(prefix + std::string(name));
        return it == by_name.end() ? nullptr : it->second;
    };
    auto bytes_of = [&](const detail::ZipEntry& e) {
        return all.subspan(static_cast<std::size_t>(e.offset), static_cast<std::size_t>(e.size));
    };
    if (const auto* bo = entry("byteorder")) {
        const auto b = bytes_of(*bo);
        TINYBERT_CHECK(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()) == "little", path,
                       ": byteorder is not \"little\"");
    }

    std::vector<NamedTensor> out;
    for (const auto& [name, t] : detail::pickle::load_state_dict(bytes_of(*pkl), path + " (" + pkl->name + ")")) {
        const std::string where = detail::tensor_where(path, name);
        const auto* data = entry("data/" + std::string(t.storage.key));
        TINYBERT_CHECK(data != nullptr, where, ": storage '", t.storage.key, "' missing from the archive");
        const std::uint64_t need = detail::checked_mul(static_cast<std::uint64_t>(t.storage.numel),
                                                       dtype_size(t.storage.dtype), where);
        TINYBERT_CHECK(data->size == need, where, ": storage '", t.storage.key, "' has ", data->size, " bytes, expected ",
                       need, " (", t.storage.numel, " x ", dtype_name(t.storage.dtype), ")");
        out.emplace_back(name, detail::gather_tensor(t, bytes_of(*data), file, where));
    }
    return out;
}

}  // namespace tinybert
