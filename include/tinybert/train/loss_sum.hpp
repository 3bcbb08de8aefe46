// tinybert/train/loss_sum.hpp: the training loss summed where it is computed. add() after each micro-batch queues
// one device-side addition (no copy to the host, so on a GPU the host never waits for a forward to finish); take()
// returns the sum since the last take with one read-back and starts a new sum. The Trainer takes it at logging
// steps, before evaluations and checkpoints, and at the end of training.
#pragma once

#include "tinybert/ops/reduce.hpp"
#include "tinybert/tensor/tensor.hpp"

namespace tinybert {

template <class Device>
class LossSum {
public:
    // sum += weight · loss[0]   (loss: a one-element tensor of any float type)
    template <class T>
    void add(const Tensor<T, Device>& loss, double weight) {
        accumulate_scalar(sum_, loss, weight);
        pending_ = true;
    }
    // The sum since the last take (0 when nothing was added: no read-back then).
    double take() {
        if (!pending_) return 0.0;
        double sum = 0;
        Device::to_host(&sum, sum_.data(), 1);
        sum_.fill(0.0);
        pending_ = false;
        return sum;
    }

private:
    Tensor<double, Device> sum_{Shape{1}};
    bool pending_ = false;
};

}  // namespace tinybert
