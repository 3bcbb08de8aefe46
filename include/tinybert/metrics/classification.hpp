// tinybert/metrics/classification.hpp: accuracy, binary and macro precision/recall/F1, argmax over logits.
// Mirrors scikit-learn (accuracy_score, precision_recall_fscore_support with average="binary"/"macro",
// zero_division=0) and run_glue.py's `preds = argmax(logits)`. Ties in argmax go to the lowest index (numpy).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tinybert/core/error.hpp"

namespace tinybert::metrics {

struct PrecisionRecallF1 {
    double precision = 0.0;
    double recall = 0.0;
    double f1 = 0.0;
};

// Index of the largest value; the first one on ties. NaN counts as the largest (numpy.argmax).
// requires: !values.empty()
template <class T>
std::size_t argmax(std::span<const T> values) {
    TINYBERT_CHECK(!values.empty(), "argmax: empty input");
    std::size_t best = 0;
    for (std::size_t i = 1; i < values.size(); ++i) {
        if (std::isnan(static_cast<double>(values[best]))) break;
        if (std::isnan(static_cast<double>(values[i])) || values[i] > values[best]) best = i;
    }
    return best;
}

// Row-wise argmax of a row-major (rows, num_classes) matrix; returns one class id per row.
template <class T>
std::vector<std::int64_t> argmax_rows(std::span<const T> logits, std::size_t num_classes) {
    TINYBERT_CHECK(num_classes > 0 && logits.size() % num_classes == 0, "argmax_rows: ", logits.size(),
                   " values do not split into rows of ", num_classes);
    std::vector<std::int64_t> out;
    out.reserve(logits.size() / num_classes);
    for (std::size_t r = 0; r < logits.size(); r += num_classes)
        out.push_back(static_cast<std::int64_t>(argmax(logits.subspan(r, num_classes))));
    return out;
}

namespace detail {

inline void check_same_size(std::span<const std::int64_t> preds, std::span<const std::int64_t> labels,
                            const char* metric) {
    TINYBERT_CHECK(preds.size() == labels.size(), metric, ": ", preds.size(), " predictions but ", labels.size(),
                   " labels");
    TINYBERT_CHECK(!labels.empty(), metric, ": no examples");
}

inline double safe_div(double num, double den) {
    return den == 0.0 ? 0.0 : num / den;
}

// Precision/recall/F1 of one class from confusion counts (sklearn: F1 = 2tp / (true + pred), 0 on 0/0).
inline PrecisionRecallF1 prf_from_counts(std::size_t tp, std::size_t pred_pos, std::size_t true_pos) {
    const auto d = [](std::size_t n) { return static_cast<double>(n); };
    return {safe_div(d(tp), d(pred_pos)), safe_div(d(tp), d(true_pos)), safe_div(2.0 * d(tp), d(true_pos + pred_pos))};
}

}  // namespace detail

// Fraction of positions where preds[i] == labels[i].
inline double accuracy(std::span<const std::int64_t> preds, std::span<const std::int64_t> labels) {
    detail::check_same_size(preds, labels, "accuracy");
    std::size_t correct = 0;
    for (std::size_t i = 0; i < preds.size(); ++i) correct += preds[i] == labels[i] ? 1u : 0u;
    return static_cast<double>(correct) / static_cast<double>(preds.size());
}

// Binary precision/recall/F1 of class 1 (sklearn average="binary", pos_label=1, zero_division=0).
// requires: every label and prediction is 0 or 1.
inline PrecisionRecallF1 binary_precision_recall_f1(std::span<const std::int64_t> preds,
                                                    std::span<const std::int64_t> labels) {
    detail::check_same_size(preds, labels, "binary_precision_recall_f1");
    std::size_t tp = 0, pred_pos = 0, true_pos = 0;
    for (std::size_t i = 0; i < preds.size(); ++i) {
        TINYBERT_CHECK((preds[i] == 0 || preds[i] == 1) && (labels[i] == 0 || labels[i] == 1),
                       "binary_precision_recall_f1: position ", i, " has label ", labels[i], " and prediction ",
                       preds[i], "; binary metrics need labels in {0, 1} (use macro_precision_recall_f1)");
        pred_pos += preds[i] == 1 ? 1u : 0u;
        true_pos += labels[i] == 1 ? 1u : 0u;
        tp += preds[i] == 1 && labels[i] == 1 ? 1u : 0u;
    }
    return detail::prf_from_counts(tp, pred_pos, true_pos);
}

// Unweighted mean of per-class precision/recall/F1 over the sorted union of classes seen in labels or preds.
inline PrecisionRecallF1 macro_precision_recall_f1(std::span<const std::int64_t> preds,
                                                   std::span<const std::int64_t> labels) {
    detail::check_same_size(preds, labels, "macro_precision_recall_f1");
    std::vector<std::int64_t> classes(labels.begin(), labels.end());
    classes.insert(classes.end(), preds.begin(), preds.end());
    std::sort(classes.begin(), classes.end());
    classes.erase(std::unique(classes.begin(), classes.end()), classes.end());

    PrecisionRecallF1 sum;
    for (const std::int64_t c : classes) {
        std::size_t tp = 0, pred_pos = 0, true_pos = 0;
        for (std::size_t i = 0; i < preds.size(); ++i) {
            pred_pos += preds[i] == c ? 1u : 0u;
            true_pos += labels[i] == c ? 1u : 0u;
            tp += preds[i] == c && labels[i] == c ? 1u : 0u;
        }
        const PrecisionRecallF1 one = detail::prf_from_counts(tp, pred_pos, true_pos);
        sum.precision += one.precision;
        sum.recall += one.recall;
        sum.f1 += one.f1;
    }
    const auto n = static_cast<double>(classes.size());
    return {sum.precision / n, sum.recall / n, sum.f1 / n};
}

}  // namespace tinybert::metrics
