// tinybert/train/loss_scaler.hpp: dynamic loss scaling for fp16 training, torch.amp.GradScaler's state machine with
// its defaults. backward() is seeded with scale() instead of 1, so small gradients survive the fp16 rounding of GEMM
// inputs (core/precision.hpp); the trainer divides the gradients by scale() before clipping, and an update whose
// gradients hold an inf or NaN is skipped (no AdamW step, no scheduler step). Then update(found_inf):
//   found_inf: scale ← scale·backoff_factor, and the run of clean updates restarts from 0;
//   otherwise: one more clean update; after growth_interval of them in a row, scale ← scale·growth_factor (kept only
//              if finite) and the count restarts.
// Disabled (every precision but fp16) it is the identity: scale() = 1 and nothing is ever skipped.
#pragma once

#include <cmath>
#include <cstdint>

#include "tinybert/core/error.hpp"

namespace tinybert {

struct LossScalerOptions {
    double init_scale = 65536.0;  // 2^16
    double growth_factor = 2.0;
    double backoff_factor = 0.5;
    std::int64_t growth_interval = 2000;
};

class LossScaler {
public:
    explicit LossScaler(bool enabled, LossScalerOptions opts = {})
        : enabled_(enabled), opts_(opts), scale_(enabled ? opts.init_scale : 1.0) {
        TINYBERT_CHECK(opts.init_scale > 0 && opts.growth_factor > 1 && opts.backoff_factor > 0 &&
                           opts.backoff_factor < 1 && opts.growth_interval > 0,
                       "LossScaler: needs init_scale > 0, growth_factor > 1, 0 < backoff_factor < 1 and "
                       "growth_interval > 0");
    }

    bool enabled() const { return enabled_; }
    double scale() const { return scale_; }
    std::int64_t growth_tracker() const { return growth_tracker_; }  // clean updates since the last change

    // After each update's gradients were checked.
    void update(bool found_inf) {
        if (!enabled_) return;
        if (found_inf) {
            scale_ *= opts_.backoff_factor;
            growth_tracker_ = 0;
            return;
        }
        if (++growth_tracker_ == opts_.growth_interval) {
            const double grown = scale_ * opts_.growth_factor;
            if (std::isfinite(grown)) scale_ = grown;
            growth_tracker_ = 0;
        }
    }

    // The state of a checkpoint (a disabled scaler keeps scale 1).
    void restore(double scale, std::int64_t growth_tracker) {
        if (!enabled_) return;
        TINYBERT_CHECK(scale > 0 && std::isfinite(scale) && growth_tracker >= 0, "LossScaler: bad saved state (scale ",
                       scale, ", growth tracker ", growth_tracker, ")");
        scale_ = scale;
        growth_tracker_ = growth_tracker;
    }

private:
    bool enabled_;
    LossScalerOptions opts_;
    double scale_;
    std::int64_t growth_tracker_ = 0;
};

}  // namespace tinybert
