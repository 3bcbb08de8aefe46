// tinybert/data/dataset.hpp: the Dataset concept (size() + operator[] returning a typed example), the in-memory
// VectorDataset every reader returns, and the label-list rules of HF run_glue.py / run_ner.py: a given list of
// names in order, else integer ids as they are, else the sorted set of string labels.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/core/problem_type.hpp"
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
// empty for QaExample): label id i is label_names[i]; and, for TextExample, the problem type its targets are for
// (regression datasets name one output, "LABEL_0" unless a list was given).
template <class Example>
class VectorDataset {
public:
    using example_type = Example;

    VectorDataset() = default;
    explicit VectorDataset(std::vector<Example> examples, std::vector<std::string> label_names = {},
                           ProblemType problem_type = ProblemType::single_label_classification)
        : examples_(std::move(examples)), label_names_(std::move(label_names)), problem_type_(problem_type) {}

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
    ProblemType problem_type() const { return problem_type_; }

private:
    std::vector<Example> examples_;
    std::vector<std::string> label_names_;
    ProblemType problem_type_ = ProblemType::single_label_classification;
};

static_assert(DatasetOf<VectorDataset<TextExample>, TextExample>);

// Options shared by the CSV and JSONL text-classification readers. The problem type, when not given, is read from
// the file: label lists (a JSON array, or a CSV `labels` column) ⇒ multi_label_classification; numbers of which at
// least one is not an integer (3.7, 2.0 in JSON; "3.7", "2e1" in CSV) ⇒ regression; else single_label_classification.
struct TextDatasetOptions {
    std::string text_column = "text";
    std::string text_pair_column = "text_pair";  // optional column
    std::string label_column = "label";
    std::vector<std::string> label_names{};  // empty: ids as given, or the sorted set of string labels
    std::optional<ProblemType> problem_type{};  // empty: from the file, as above
    std::string labels_column = "labels";     // multi-label: a list per record (JSONL array, CSV field split below)
    char label_separator = '|';               // CSV multi-label: "sports|politics"; an empty field is no label
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

// The target of one text record as read, before the problem type is settled.
struct RecordTarget {
    std::vector<RawLabel> items;  // one label, or each label of a list
    bool is_list = false;         // a JSON array or a CSV multi-label field
    bool is_number = false;       // a JSON number, or a CSV field that parses whole as a number
    bool fractional = false;      // a number written with a fraction or an exponent (not an integer token)
    double number = 0;
    std::string where;            // "file:line"
};

inline bool parse_double(std::string_view s, double& out) {
    if (s.empty()) return false;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(out);
}

// The problem type of a file's targets: the given one, else as TextDatasetOptions says. Mixed kinds are an error
// naming the first record that does not fit.
inline ProblemType text_problem_type(const std::vector<RecordTarget>& targets, const std::optional<ProblemType>& given) {
    if (given) return *given;
    const auto list = std::find_if(targets.begin(), targets.end(), [](const RecordTarget& t) { return t.is_list; });
    if (list != targets.end()) {
        for (const RecordTarget& t : targets)
            TINYBERT_CHECK(t.is_list, t.where, ": a single label in a multi-label file (", list->where,
                           " has a list); give every record a list");
        return ProblemType::multi_label_classification;
    }
    const auto frac = std::find_if(targets.begin(), targets.end(), [](const RecordTarget& t) { return t.fractional; });
    if (frac != targets.end()) {
        for (const RecordTarget& t : targets)
            TINYBERT_CHECK(t.is_number, t.where, ": label \"", t.items.empty() ? std::string() : t.items[0].name,
                           "\" is not a number, but ", frac->where, " has the regression target ", frac->number);
        return ProblemType::regression;
    }
    return ProblemType::single_label_classification;
}

// Fills the targets of `examples` (one per record, same order) for the problem type and returns the dataset:
// single-label and multi-label labels resolve as resolve_labels does (a multi-label list may be empty); regression
// targets are the numbers, and the one output is named opt.label_names[0] or "LABEL_0".
inline VectorDataset<TextExample> finish_text_dataset(std::vector<TextExample> examples,
                                                      const std::vector<RecordTarget>& targets, TextDatasetOptions opt) {
    const ProblemType problem = text_problem_type(targets, opt.problem_type);
    if (problem == ProblemType::regression) {
        for (std::size_t i = 0; i < examples.size(); ++i) {
            const RecordTarget& t = targets[i];
            TINYBERT_CHECK(t.is_number && !t.is_list, t.where, ": a regression target must be a number, got ",
                           t.is_list ? std::string("a list") : "\"" + (t.items.empty() ? std::string() : t.items[0].name) + "\"");
            examples[i].value = t.number;
        }
        if (opt.label_names.empty()) opt.label_names = {"LABEL_0"};
        TINYBERT_CHECK(opt.label_names.size() == 1, "regression: one output, but ", opt.label_names.size(),
                       " label names were given");
        return VectorDataset<TextExample>(std::move(examples), std::move(opt.label_names), problem);
    }
    std::vector<RawLabel> raw;
    for (const RecordTarget& t : targets) {
        if (problem == ProblemType::single_label_classification)
            TINYBERT_CHECK(!t.is_list && t.items.size() == 1, t.where, ": single-label classification needs one label, "
                           "got a list");
        raw.insert(raw.end(), t.items.begin(), t.items.end());
    }
    const std::vector<std::int64_t> ids = resolve_labels(raw, opt.label_names);
    std::size_t at = 0;
    for (std::size_t i = 0; i < examples.size(); ++i) {
        if (problem == ProblemType::single_label_classification) {
            examples[i].label = ids[at++];
        } else {
            auto& l = examples[i].label_ids;
            for (std::size_t k = 0; k < targets[i].items.size(); ++k) l.push_back(ids[at++]);
            std::sort(l.begin(), l.end());
            l.erase(std::unique(l.begin(), l.end()), l.end());
        }
    }
    if (problem == ProblemType::multi_label_classification)
        TINYBERT_CHECK(!opt.label_names.empty(), targets.front().where, ": every label list is empty, so the file "
                       "names no class (give the label list)");
    return VectorDataset<TextExample>(std::move(examples), std::move(opt.label_names), problem);
}

}  // namespace detail

}  // namespace tinybert
