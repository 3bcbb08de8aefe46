// tinybert/metrics/multilabel_regression.hpp: the metrics of the multi_label_classification and regression problem
// types, as scikit-learn and scipy compute them (GLUE STS-B reports Pearson and Spearman r):
//   multi-label, on 0/1 indicator matrices (rows = examples, C columns = labels), prediction = σ(logit) > threshold:
//     micro F1   = 2·Σtp / (2·Σtp + Σfp + Σfn) over every cell       (f1_score(average="micro"), 0 when 0/0)
//     macro F1   = mean over the C labels of 2tp / (2tp + fp + fn)     (f1_score(average="macro"), a label that is
//                  never true nor predicted counts 0, zero_division=0)
//     subset accuracy = fraction of rows whose whole predicted set equals the true set (accuracy_score)
//   regression, on predictions p and targets y:
//     mse = mean (p − y)², mae = mean |p − y| (mean_squared_error, mean_absolute_error)
//     pearson = cov(p, y) / (σ_p σ_y) (scipy.stats.pearsonr); spearman = pearson of the ranks, ties given their
//     average rank (scipy.stats.spearmanr); NaN when either side is constant (scipy gives NaN too).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include "tinybert/core/error.hpp"

namespace tinybert::metrics {

struct MultiLabelScores {
    double micro_f1 = 0, macro_f1 = 0, subset_accuracy = 0;
};

// preds, labels: row-major (N, C) 0/1 indicator matrices. requires: equal sizes, a multiple of C, N > 0.
inline MultiLabelScores multilabel_scores(std::span<const std::uint8_t> preds, std::span<const std::uint8_t> labels,
                                          std::size_t num_labels) {
    TINYBERT_CHECK(num_labels > 0 && preds.size() == labels.size() && labels.size() % num_labels == 0 &&
                       !labels.empty(),
                   "multilabel_scores: ", preds.size(), " predictions and ", labels.size(), " labels for ", num_labels,
                   " classes");
    const std::size_t n = labels.size() / num_labels;
    std::vector<std::size_t> tp(num_labels), fp(num_labels), fn(num_labels);
    std::size_t exact = 0;
    for (std::size_t r = 0; r < n; ++r) {
        bool same = true;
        for (std::size_t c = 0; c < num_labels; ++c) {
            const bool p = preds[r * num_labels + c] != 0, y = labels[r * num_labels + c] != 0;
            tp[c] += p && y ? 1u : 0u;
            fp[c] += p && !y ? 1u : 0u;
            fn[c] += !p && y ? 1u : 0u;
            same = same && p == y;
        }
        exact += same ? 1u : 0u;
    }
    const auto f1 = [](double t, double f_p, double f_n) { return t == 0 ? 0.0 : 2 * t / (2 * t + f_p + f_n); };
    MultiLabelScores s;
    double all_tp = 0, all_fp = 0, all_fn = 0;
    for (std::size_t c = 0; c < num_labels; ++c) {
        const auto t = static_cast<double>(tp[c]), f_p = static_cast<double>(fp[c]), f_n = static_cast<double>(fn[c]);
        s.macro_f1 += f1(t, f_p, f_n);
        all_tp += t;
        all_fp += f_p;
        all_fn += f_n;
    }
    s.macro_f1 /= static_cast<double>(num_labels);
    s.micro_f1 = f1(all_tp, all_fp, all_fn);
    s.subset_accuracy = static_cast<double>(exact) / static_cast<double>(n);
    return s;
}

struct RegressionScores {
    double mse = 0, mae = 0, pearson = 0, spearman = 0;
};

namespace detail {

// Pearson r of x and y (equal sizes ≥ 2); NaN when either is constant
inline double pearson(const std::vector<double>& x, const std::vector<double>& y) {
    const auto n = static_cast<double>(x.size());
    const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n, my = std::accumulate(y.begin(), y.end(), 0.0) / n;
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    if (sxx == 0 || syy == 0) return std::numeric_limits<double>::quiet_NaN();
    return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

// 1-based ranks, ties sharing their average rank (scipy.stats.rankdata method="average")
inline std::vector<double> average_ranks(const std::vector<double>& v) {
    std::vector<std::size_t> order(v.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    std::vector<double> rank(v.size());
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
        const double r = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
        for (std::size_t k = i; k <= j; ++k) rank[order[k]] = r;
        i = j + 1;
    }
    return rank;
}

}  // namespace detail

// preds, targets: one value per example. requires: equal sizes ≥ 1 (Pearson and Spearman are NaN below 2)
inline RegressionScores regression_scores(std::span<const double> preds, std::span<const double> targets) {
    TINYBERT_CHECK(preds.size() == targets.size() && !targets.empty(), "regression_scores: ", preds.size(),
                   " predictions and ", targets.size(), " targets");
    RegressionScores s;
    for (std::size_t i = 0; i < preds.size(); ++i) {
        const double d = preds[i] - targets[i];
        s.mse += d * d;
        s.mae += std::abs(d);
    }
    s.mse /= static_cast<double>(preds.size());
    s.mae /= static_cast<double>(preds.size());
    const std::vector<double> p(preds.begin(), preds.end()), y(targets.begin(), targets.end());
    if (p.size() < 2) {
        s.pearson = s.spearman = std::numeric_limits<double>::quiet_NaN();
        return s;
    }
    s.pearson = detail::pearson(p, y);
    s.spearman = detail::pearson(detail::average_ranks(p), detail::average_ranks(y));
    return s;
}

}  // namespace tinybert::metrics
