// tinybert/autograd/tape.hpp: Var (a tensor value + its gradient), the Tape of backward closures, NoGradGuard.
// One tape node per BERT op: an op computes its forward, then records one closure, written right below it, that
// accumulates (+=) into the gradients of its inputs. Recording order is topological, so backward() walks the tape
// in reverse. The tape is per thread; clearing it releases every saved activation.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "tinybert/tensor/tensor.hpp"

namespace tinybert {

template <class T, class Device = Cpu>
class Var {
public:
    Var() = default;
    explicit Var(Tensor<T, Device> value, bool requires_grad = false)
        : node_(std::make_shared<Node>(Node{std::move(value), {}, requires_grad})) {}

    bool defined() const { return node_ != nullptr; }
    const Tensor<T, Device>& value() const { return node_->value; }
    Tensor<T, Device>& value() { return node_->value; }
    const Shape& shape() const { return node_->value.shape(); }
    bool requires_grad() const { return node_ && node_->requires_grad; }

    // True once some gradient has been accumulated into this variable.
    bool has_grad() const { return node_->grad.defined(); }
    // The gradient, allocated as zeros on first use. Var is a handle: const Vars share the same node.
    Tensor<T, Device>& grad() const {
        if (!node_->grad.defined()) node_->grad = Tensor<T, Device>(node_->value.shape());
        return node_->grad;
    }
    // The gradient to accumulate into, or nullptr when this variable needs none.
    Tensor<T, Device>* grad_ptr() const { return requires_grad() ? &grad() : nullptr; }
    // Set an accumulated gradient back to zero (keeps the buffer).
    void zero_grad() const {
        if (has_grad()) node_->grad.fill(T{});
    }

private:
    struct Node {
        Tensor<T, Device> value;
        Tensor<T, Device> grad;
        bool requires_grad = false;
    };
    std::shared_ptr<Node> node_;
};

class Tape {
public:
    static Tape& current() {
        thread_local Tape tape;
        return tape;
    }
    bool enabled() const { return enabled_; }
    std::size_t size() const { return nodes_.size(); }

    void record(std::function<void()> backward) { nodes_.push_back(std::move(backward)); }

    // Run every recorded closure in reverse order, then release them (and the activations they saved).
    void run_backward() {
        for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) (*it)();
        clear();
    }
    void clear() { nodes_.clear(); }

private:
    friend class NoGradGuard;
    bool enabled_ = true;
    std::vector<std::function<void()>> nodes_;
};

// While alive, ops record nothing and their outputs need no gradient (inference / evaluation).
class NoGradGuard {
public:
    NoGradGuard() : previous_(Tape::current().enabled_) { Tape::current().enabled_ = false; }
    ~NoGradGuard() { Tape::current().enabled_ = previous_; }
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool previous_;
};

// The output variable of an op: it needs a gradient iff the tape records and some input needs one.
template <class T, class Device, class... Inputs>
Var<T, Device> make_output(Tensor<T, Device> value, const Inputs&... inputs) {
    const bool needs = Tape::current().enabled() && (inputs.requires_grad() || ...);
    return Var<T, Device>(std::move(value), needs);
}

// Record `backward` for `out`; it runs only if a gradient reached `out`.
template <class T, class Device, class F>
void record_backward(Var<T, Device> out, F backward) {
    if (!out.requires_grad()) return;
    Tape::current().record([out, backward = std::move(backward)]() mutable {
        if (out.has_grad()) backward(out.grad());
    });
}

// Backpropagate from a scalar loss: d(loss)/d(loss) = 1, walk the tape, release it.
template <class T, class Device>
void backward(Var<T, Device> loss) {
    TINYBERT_CHECK(loss.value().numel() == 1, "backward: the loss must be a scalar, got shape ", loss.shape().str());
    TINYBERT_CHECK(loss.requires_grad(), "backward: the loss does not depend on any parameter (or was computed under NoGradGuard)");
    loss.grad().fill(T{1});
    Tape::current().run_backward();
}

}  // namespace tinybert
