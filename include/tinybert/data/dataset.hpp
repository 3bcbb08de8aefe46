// tinybert/data/dataset.hpp: the Dataset concept (size() + operator[] returning a typed example), the in-memory
// VectorDataset every reader returns, and the label-list rules of HF run_glue.py / run_ner.py: a given list of
// names in order, else integer ids as they are, else the sorted set of string labels.
#pragma once

#include <algorithm>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/data/example.hpp"
#include "tinybert/io/limits.hpp"

namespace tinybert {

// The example type a dataset yields.
template <class D>
using example_t = std::remove_cvref_t<decltype(std::declval<const D&>()[std::size_t{0}])>;

// Anything with size() and operator[](i) yielding an example; user types plug in directly.
template <class D>
concept Dataset = requires(const D& d, std::size_t i) {
    { d.size() } -> std::convertible_to<std::size_t>;
    d[i];
};

// A Dataset whose examples are of type Example.
template <class D, class Example>
concept DatasetOf = Dataset<D> && std::same_as<example_t<D>, Example>;

// Examples held in a vector, plus the label names (class names for TextExample, tag names for TokenExample,
// empty for QaExample): label id i is label_names[i].
template <class Example>
class VectorDataset {
public:
    using example_type = Example;

    VectorDataset() = default;
    explicit VectorDataset(std::vector<Example> examples, std::vector<std::string> label_names = {})
        : examples_(std::move(examples)), label_names_(std::move(label_names)) {}

    std::size_t size() const { return examples_.size(); }
    bool empty() const { return examples_.empty(); }
    // requires: i < size()
    const Example& operator[](std::size_t i) const {
        TINYBERT_CHECK(i < examples_.size(), "dataset index ", i, " out of range (size ", examples_.size(), ")");
        return examples_[i];
    }
    auto begin() const { return examples_.begin(); }
    auto end() const { return examples_.end(); }
    void push_back(Example e) { examples_.push_back(std::move(e)); }

    const std::vector<std::string>& label_names() const { return label_names_; }
    std::size_t num_labels() const { return label_names_.size(); }

private:
    std::vector<Example> examples_;
    std::vector<std::string> label_names_;
};

static_assert(DatasetOf<VectorDataset<TextExample>, TextExample>);

// Options shared by the CSV and JSONL text-classification readers.
struct TextDatasetOptions {
    std::string text_column = "text";
    std::string text_pair_column = "text_pair";  // optional column
    std::string label_column = "label";
    std::vector<std::string> label_names;  // empty: ids as given, or the sorted set of string labels
};

namespace detail {

inline bool parse_int64(std::string_view s, std::int64_t& out) {
    if (s.empty()) return false;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && ptr == s.data() + s.size();
}

// A raw label as read from a record, with the location used in error messages ("file:line").
struct RawLabel {
    bool is_int = false;
    std::int64_t id = 0;
    std::string name;
    std::string where;
};

// Resolve raw labels to ids. With `names`: a label equal to a name takes its index; an integer must lie in
// [0, names.size()). Without: all integers -> ids as given (names "0".."max"); all strings -> sorted set.
inline std::vector<std::int64_t> resolve_labels(const std::vector<RawLabel>& raw, std::vector<std::string>& names) {
    std::vector<std::int64_t> ids;
    ids.reserve(raw.size());
    if (!names.empty()) {
        for (const RawLabel& r : raw) {
            std::int64_t id = -1;
            if (!r.is_int) {
                const auto it = std::find(names.begin(), names.end(), r.name);
                if (it != names.end())
                    id = it - names.begin();
                else if (!parse_int64(r.name, id))
                    id = -1;
            } else {
                id = r.id;
            }
            TINYBERT_CHECK(id >= 0 && static_cast<std::size_t>(id) < names.size(), r.where, ": label \"",
                           r.is_int ? std::to_string(r.id) : r.name, "\" is not in the label list (", names.size(),
                           " labels)");
            ids.push_back(id);
        }
        return ids;
    }
    const bool all_int = std::all_of(raw.begin(), raw.end(), [](const RawLabel& r) {
        std::int64_t v = 0;
        return r.is_int || parse_int64(r.name, v);
    });
    if (all_int) {
        std::int64_t max_id = -1;
        for (const RawLabel& r : raw) {
            std::int64_t id = r.id;
            if (!r.is_int) parse_int64(r.name, id);
            TINYBERT_CHECK(id >= 0, r.where, ": negative label ", id);
            TINYBERT_CHECK(id < max_labels, r.where, ": label ", id, " would make ", id, "+1 classes, above tinybert's limit of ",
                           max_labels, " labels");
            max_id = std::max(max_id, id);
            ids.push_back(id);
        }
        for (std::int64_t i = 0; i <= max_id; ++i) names.push_back(std::to_string(i));
        return ids;
    }
    for (const RawLabel& r : raw) {
        TINYBERT_CHECK(!r.is_int, r.where, ": integer label ", r.id, " mixed with string labels");
        names.push_back(r.name);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    for (const RawLabel& r : raw) ids.push_back(std::lower_bound(names.begin(), names.end(), r.name) - names.begin());
    return ids;
}

}  // namespace detail

}  // namespace tinybert
