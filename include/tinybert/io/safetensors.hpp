// tinybert/io/safetensors.hpp: the safetensors format (spec §8.1; huggingface/safetensors src/tensor.rs).
// SafetensorsFile maps a file read-only and validates all of it before handing out tensors; every error names the
// file and, where there is one, the tensor. write_safetensors writes what transformers' save_pretrained writes.
#pragma once

#include <algorithm>
#include <cstdint>
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
#include "tinybert/io/json.hpp"
#include "tinybert/io/files.hpp"

namespace tinybert {

using SafetensorsMetadata = std::vector<std::pair<std::string, std::string>>;  // ordered string -> string pairs

inline constexpr std::uint64_t safetensors_max_header = 100'000'000;

namespace detail {

// A non-negative JSON integer field of a tensor entry.
inline std::uint64_t header_uint(const json::Value& v, const std::string& where, const char* what) {
    TINYBERT_CHECK(v.is_int() && v.as_int() >= 0, where, ": ", what, " must be a non-negative integer, got ",
                   v.is_int() ? std::to_string(v.as_int()) : v.kind_name());
    return static_cast<std::uint64_t>(v.as_int());
}

struct HeaderEntry {
    std::string name;
    DType dtype;
    std::vector<std::int64_t> shape;
    std::uint64_t begin, end;
};

inline HeaderEntry parse_header_entry(const std::string& file, const std::string& name, const json::Value& info) {
    const std::string where = tensor_where(file, name);
    TINYBERT_CHECK(info.is_object(), where, ": header entry must be an object, got ", info.kind_name());
    const json::Value* dt = info.find("dtype");
    const json::Value* shape = info.find("shape");
    const json::Value* offsets = info.find("data_offsets");
    TINYBERT_CHECK(dt && shape && offsets, where, ": header entry needs \"dtype\", \"shape\" and \"data_offsets\"");
    TINYBERT_CHECK(dt->is_string(), where, ": dtype must be a string");
    const auto dtype = dtype_from_name(dt->as_string());
    TINYBERT_CHECK(dtype.has_value(), where, ": unknown dtype \"", dt->as_string(), "\"");
    TINYBERT_CHECK(shape->is_array(), where, ": shape must be an array");
    HeaderEntry e{name, *dtype, {}, 0, 0};
    for (const json::Value& d : shape->as_array())
        e.shape.push_back(static_cast<std::int64_t>(header_uint(d, where, "a shape dimension")));
    TINYBERT_CHECK(offsets->is_array() && offsets->as_array().size() == 2, where,
                   ": data_offsets must be an array [begin, end]");
    e.begin = header_uint(offsets->as_array()[0], where, "data_offsets[0]");
    e.end = header_uint(offsets->as_array()[1], where, "data_offsets[1]");
    TINYBERT_CHECK(e.begin <= e.end, where, ": data_offsets [", e.begin, ",", e.end, ") has begin > end");
    const std::uint64_t nbytes = checked_mul(checked_numel(e.shape, where), dtype_size(e.dtype), where);
    TINYBERT_CHECK(e.end - e.begin == nbytes, where, ": data_offsets [", e.begin, ",", e.end, ") hold ",
                   e.end - e.begin, " bytes but ", dt->as_string(), " shape ", json::Value(*shape).dump(), " needs ",
                   nbytes);
    return e;
}

inline SafetensorsMetadata parse_metadata(const std::string& file, const json::Value& meta) {
    TINYBERT_CHECK(meta.is_object(), file, ": __metadata__ must be an object of strings, got ", meta.kind_name());
    SafetensorsMetadata out;
    for (const auto& [k, v] : meta.as_object()) {
        TINYBERT_CHECK(v.is_string(), file, ": __metadata__ value \"", k, "\" must be a string, got ", v.kind_name());
        out.emplace_back(k, v.as_string());
    }
    for (const auto& [k, v] : out)
        TINYBERT_CHECK(k != "format" || v == "pt" || v == "tf" || v == "flax" || v == "mlx", file,
                       ": __metadata__ format \"", v, "\" is not one of pt, tf, flax, mlx (transformers rejects it)");
    return out;
}

}  // namespace detail

// A validated, memory-mapped safetensors file. Tensors point into the mapping and keep it alive.
class SafetensorsFile {
public:
    // Maps and validates `path` (header size, JSON, names, dtypes, byte counts, tiling of the data section).
    explicit SafetensorsFile(const std::string& path) : path_(path) {
        auto file = detail::MappedFile::open(path);
        const std::span<const std::byte> all = file->bytes();
        TINYBERT_CHECK(all.size() >= 8, path, ": truncated file: ", all.size(),
                       " bytes, a safetensors file starts with an 8-byte header length");
        const auto n = detail::load_unaligned<std::uint64_t>(all.data());
        TINYBERT_CHECK(n <= safetensors_max_header, path, ": header length ", n, " exceeds the limit of ",
                       safetensors_max_header, " bytes (not a safetensors file?)");
        TINYBERT_CHECK(n <= all.size() - 8, path, ": header length ", n, " runs past the end of the file (",
                       all.size(), " bytes): truncated file?");
        const std::string_view header(reinterpret_cast<const char*>(all.data() + 8), static_cast<std::size_t>(n));
        TINYBERT_CHECK(!header.empty() && header.front() == '{', path, ": header does not start with '{'");
        const json::Value root = json::parse(header, path + " (header)");
        TINYBERT_CHECK(root.is_object(), path, ": header must be a JSON object");

        const std::span<const std::byte> data = all.subspan(8 + static_cast<std::size_t>(n));
        std::vector<detail::HeaderEntry> entries;
        bool have_metadata = false;
        for (const auto& [key, value] : root.as_object()) {
            if (key == "__metadata__") {
                TINYBERT_CHECK(!have_metadata, path, ": duplicate __metadata__");
                have_metadata = true;
                metadata_ = detail::parse_metadata(path, value);
                continue;
            }
            TINYBERT_CHECK(!index_.contains(key), detail::tensor_where(path, key), ": duplicate tensor name");
            index_.emplace(key, entries.size());
            entries.push_back(detail::parse_header_entry(path, key, value));
            TINYBERT_CHECK(entries.back().end <= data.size(), detail::tensor_where(path, key), ": data_offsets [",
                           entries.back().begin, ",", entries.back().end, ") run past the data section (", data.size(),
                           " bytes): truncated file?");
        }
        check_tiling(entries, data.size());
        tensors_.reserve(entries.size());
        for (detail::HeaderEntry& e : entries) {
            const auto bytes = data.subspan(static_cast<std::size_t>(e.begin), static_cast<std::size_t>(e.end - e.begin));
            tensors_.emplace_back(e.name, CheckpointTensor(e.dtype, std::move(e.shape), bytes, file,
                                                          detail::tensor_where(path, e.name)));
        }
    }

    const std::string& path() const { return path_; }
    std::size_t size() const { return tensors_.size(); }
    // Tensors in header order.
    const std::vector<NamedTensor>& tensors() const { return tensors_; }
    const SafetensorsMetadata& metadata() const { return metadata_; }

    bool contains(std::string_view name) const { return index_.find(name) != index_.end(); }

    const CheckpointTensor& tensor(std::string_view name) const {
        const auto it = index_.find(name);
        TINYBERT_CHECK(it != index_.end(), detail::tensor_where(path_, name), ": no such tensor in the file");
        return tensors_[it->second].second;
    }

    // The tensor converted to T (see CheckpointTensor::to): read<float>("bert.pooler.dense.bias").
    template <class T>
    std::vector<T> read(std::string_view name) const {
        return tensor(name).to<T>();
    }

private:
    // Sorted by begin, the ranges must tile [0, data_size): no gap, no overlap, nothing left over.
    void check_tiling(const std::vector<detail::HeaderEntry>& entries, std::uint64_t data_size) const {
        std::vector<const detail::HeaderEntry*> order;
        for (const auto& e : entries) order.push_back(&e);
        std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
            return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
        });
        std::uint64_t expected = 0;
        const detail::HeaderEntry* prev = nullptr;
        for (const auto* e : order) {
            TINYBERT_CHECK(e->begin >= expected, detail::tensor_where(path_, e->name), ": data_offsets [", e->begin,
                           ",", e->end, ") overlap tensor '", prev ? prev->name : "", "' (which ends at ", expected, ")");
            TINYBERT_CHECK(e->begin == expected, detail::tensor_where(path_, e->name), ": data_offsets [", e->begin,
                           ",", e->end, ") leave a gap of ", e->begin - expected, " bytes after offset ", expected);
            expected = e->end;
            prev = e;
        }
        TINYBERT_CHECK(expected == data_size, path_, ": ", data_size - expected,
                       " bytes at the end of the data section belong to no tensor",
                       prev ? detail::concat(" (last tensor '", prev->name, "' ends at ", expected, ")") : "");
    }

    std::string path_;
    std::vector<NamedTensor> tensors_;
    std::map<std::string, std::size_t, std::less<>> index_;
    SafetensorsMetadata metadata_;
};

// Writes `tensors` as a safetensors file the way the Rust library does: tensors ordered by element size (largest
// first, so every tensor is naturally aligned) then by name, header padded with spaces to a multiple of 8, and
// `__metadata__` = `metadata` plus {"format": "pt"}. The bytes go to `path + ".tmp"`, which is then renamed, so an
// existing `path` is never left half-written.
// requires: unique, non-empty names other than "__metadata__"; metadata "format", if given, is "pt".
inline void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                              const SafetensorsMetadata& metadata = {}) {
    std::vector<const NamedTensor*> order;
    for (const auto& t : tensors) {
        TINYBERT_CHECK(!t.first.empty() && t.first != "__metadata__", path, ": invalid tensor name '", t.first, "'");
        order.push_back(&t);
    }
    std::sort(order.begin(), order.end(), [](const NamedTensor* a, const NamedTensor* b) {
        const auto sa = dtype_size(a->second.dtype()), sb = dtype_size(b->second.dtype());
        return sa != sb ? sa > sb : a->first < b->first;
    });
    for (std::size_t i = 1; i < order.size(); ++i)
        TINYBERT_CHECK(order[i]->first != order[i - 1]->first, detail::tensor_where(path, order[i]->first),
                       ": duplicate tensor name");

    json::Object meta{{"format", "pt"}};
    for (const auto& [k, v] : metadata) {
        if (k == "format") {
            TINYBERT_CHECK(v == "pt", path, ": metadata format must be \"pt\", got \"", v, "\"");
            continue;
        }
        meta.emplace_back(k, v);
    }
    json::Object header{{"__metadata__", json::Value(std::move(meta))}};
    std::uint64_t offset = 0;
    for (const NamedTensor* t : order) {
        json::Array shape;
        for (const std::int64_t d : t->second.shape()) shape.emplace_back(d);
        const std::uint64_t end = offset + t->second.bytes().size();
        header.emplace_back(t->first, json::Object{{"dtype", std::string(dtype_name(t->second.dtype()))},
                                                   {"shape", std::move(shape)},
                                                   {"data_offsets", json::Array{static_cast<std::int64_t>(offset),
                                                                                static_cast<std::int64_t>(end)}}});
        offset = end;
    }
    std::string text = json::Value(std::move(header)).dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    const std::uint64_t n = text.size();

    detail::AtomicWriter out(path);
    out.write(&n, 8);
    out.write(text.data(), text.size());
    for (const NamedTensor* t : order) out.write(t->second.bytes().data(), t->second.bytes().size());
    out.commit();
}

}  // namespace tinybert
