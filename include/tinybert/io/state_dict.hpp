// tinybert/io/state_dict.hpp: StateDict, the name -> tensor map of a checkpoint whatever its file format, and
// load_state_dict, which finds the weights in a model directory the way transformers does: model.safetensors,
// model.safetensors.index.json (sharded), pytorch_model.bin, pytorch_model.bin.index.json.
#pragma once

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/io/checkpoint_tensor.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/io/safetensors.hpp"
#include "tinybert/io/torch_bin.hpp"

namespace tinybert {

class StateDict {
public:
    StateDict() = default;
    // `source` (a file or directory) names the checkpoint in errors.
    explicit StateDict(std::string source) : source_(std::move(source)) {}

    const std::string& source() const { return source_; }
    std::size_t size() const { return tensors_.size(); }
    bool empty() const { return tensors_.empty(); }
    // Tensors in file order (shards in index order).
    const std::vector<NamedTensor>& tensors() const { return tensors_; }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& t : tensors_) out.push_back(t.first);
        return out;
    }

    // requires: `name` not present yet.
    void insert(std::string name, CheckpointTensor tensor) {
        TINYBERT_CHECK(!contains(name), source_, ": duplicate tensor '", name, "'");
        index_.emplace(name, tensors_.size());
        tensors_.emplace_back(std::move(name), std::move(tensor));
    }

    bool contains(std::string_view name) const { return index_.find(name) != index_.end(); }

    const CheckpointTensor& at(std::string_view name) const {
        const auto it = index_.find(name);
        TINYBERT_CHECK(it != index_.end(), source_, ": no tensor '", name, "'");
        return tensors_[it->second].second;
    }

    template <class T>
    std::vector<T> read(std::string_view name) const {
        return at(name).to<T>();
    }

private:
    std::string source_;
    std::vector<NamedTensor> tensors_;
    std::map<std::string, std::size_t, std::less<>> index_;
};

inline StateDict load_safetensors(const std::string& path) {
    const SafetensorsFile file(path);
    StateDict sd(path);
    for (const auto& [name, t] : file.tensors()) sd.insert(name, t);
    return sd;
}

inline StateDict load_torch_bin_state_dict(const std::string& path) {
    StateDict sd(path);
    for (auto& [name, t] : load_torch_bin(path)) sd.insert(std::move(name), std::move(t));
    return sd;
}

// A sharded checkpoint: {"metadata": {...}, "weight_map": {name: shard file}} next to its shards (safetensors or
// pytorch_model-*.bin). Every mapped name must be in its shard; a name in two shards is an error.
inline StateDict load_sharded(const std::string& index_path) {
    const json::Value root = json::parse_file(index_path);
    const json::Value* map = root.find("weight_map");
    TINYBERT_CHECK(map != nullptr && map->is_object(), index_path, ": missing \"weight_map\" object");
    const std::filesystem::path dir = std::filesystem::path(index_path).parent_path();
    std::vector<std::string> shards;
    for (const auto& [name, shard] : map->as_object()) {
        TINYBERT_CHECK(shard.is_string(), index_path, ": weight_map entry '", name, "' must be a file name");
        const std::filesystem::path p(shard.as_string());
        bool plain = !p.empty() && p.is_relative();
        for (const auto& part : p) plain = plain && part != "..";
        TINYBERT_CHECK(plain, index_path, ": tensor '", name, "': shard '", shard.as_string(),
                       "' must be a relative path inside the checkpoint directory");
        if (std::find(shards.begin(), shards.end(), shard.as_string()) == shards.end()) shards.push_back(shard.as_string());
    }
    StateDict sd(index_path);
    for (const std::string& shard : shards) {
        const std::string path = (dir / shard).string();
        StateDict part = std::string_view(shard).ends_with(".safetensors") ? load_safetensors(path)
                                                                           : load_torch_bin_state_dict(path);
        for (const auto& [name, t] : part.tensors()) {
            TINYBERT_CHECK(!sd.contains(name), index_path, ": tensor '", name, "' is stored in more than one shard (",
                           path, ")");
            sd.insert(name, t);
        }
        for (const auto& [name, s] : map->as_object())
            TINYBERT_CHECK(s.as_string() != shard || part.contains(name), index_path, ": tensor '", name,
                           "' is mapped to shard '", shard, "', which does not contain it");
    }
    return sd;
}

// Loads a checkpoint file (.safetensors, *.index.json, anything else as pytorch_model.bin) or, for a directory, the
// first of model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json.
inline StateDict load_state_dict(const std::string& dir_or_file) {
    namespace fs = std::filesystem;
    std::string path = dir_or_file;
    if (fs::is_directory(path)) {
        path.clear();
        for (const char* name : {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                                 "pytorch_model.bin.index.json"}) {
            if (fs::is_regular_file(fs::path(dir_or_file) / name)) {
                path = (fs::path(dir_or_file) / name).string();
                break;
            }
        }
        TINYBERT_CHECK(!path.empty(), dir_or_file, ": no model.safetensors, model.safetensors.index.json, ",
                       "pytorch_model.bin or pytorch_model.bin.index.json in this directory");
    }
    const std::string_view p = path;
    if (p.ends_with(".index.json")) return load_sharded(path);
    if (p.ends_with(".safetensors")) return load_safetensors(path);
    return load_torch_bin_state_dict(path);
}

}  // namespace tinybert
