// tinybert/train/schedule.hpp: get_linear_schedule_with_warmup (spec §7). Update k (0-based count of completed
// updates) uses lr·f(k): f(k) = k/max(1,W) for k < W, else max(0, (T−k)/max(1, T−W)).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "tinybert/core/error.hpp"

namespace tinybert {

class LinearSchedule {
public:
    // base_lr, total updates T, warmup updates W (≤ T).
    LinearSchedule(double base_lr, std::int64_t total_steps, std::int64_t warmup_steps)
        : base_(base_lr), total_(total_steps), warmup_(warmup_steps) {
        TINYBERT_CHECK(total_steps >= 0 && warmup_steps >= 0, "LinearSchedule: negative step count");
    }
    // Warmup from a ratio of the total, as Trainer's warmup_ratio: W = ceil(ratio · T).
    static std::int64_t warmup_from_ratio(double ratio, std::int64_t total_steps) {
        return static_cast<std::int64_t>(std::ceil(ratio * static_cast<double>(total_steps)));
    }

    double lr(std::int64_t k) const {
        if (k < warmup_) return base_ * static_cast<double>(k) / static_cast<double>(std::max<std::int64_t>(1, warmup_));
        return base_ * std::max(0.0, static_cast<double>(total_ - k) /
                                         static_cast<double>(std::max<std::int64_t>(1, total_ - warmup_)));
    }

    std::int64_t total_steps() const { return total_; }
    std::int64_t warmup_steps() const { return warmup_; }

private:
    double base_;
    std::int64_t total_, warmup_;
};

}  // namespace tinybert
