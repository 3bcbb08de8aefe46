// tinybert/autograd/tape.hpp: Var (a tensor value + its gradient), the Tape of backward closures, NoGradGuard.
// One tape node per BERT op: an op computes its forward, then records one closure, written right below it, that
// accumulates (+=) into the gradients of its inputs. Recording order is topological, so backward() walks the tape
// in reverse. The tape is per thread; clearing it releases every saved activation. An optional TapeObserver sees which
// variables each recorded op reads and when each node's backward has run: how data parallelism knows, during
// backward, that a parameter's gradient is final (dist/grad_buckets.hpp).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <type_traits>
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
    // Identity of the variable (Vars are handles: copies share it).
    const void* id() const { return node_.get(); }

    // True once some gradient has been accumulated into this variable.
    bool has_grad() const { return node_->grad.defined(); }
    // The gradient, allocated as zeros on first use. Var is a handle: const Vars share the same node.
    Tensor<T, Device>& grad() const {
        if (!node_->grad.defined()) node_->grad = Tensor<T, Device>(node_->value.shape());
        return node_->grad;
    }
    // The gradient to accumulate into, or nullptr when this variable needs none.
    Tensor<T, Device>* grad_ptr() const { return requires_grad() ? &grad() : nullptr; }
    // Make `storage` (this variable's shape; e.g. a view into a flat buffer) hold the gradient from now on, with the
    // current gradient's values (zeros if there is none yet).
    void bind_grad(Tensor<T, Device> storage) const {
        check_same_shape(storage, node_->value, "Var::bind_grad");
        if (has_grad()) Device::copy(storage.data(), node_->grad.data(), storage.numel());
        else storage.fill(T{});
        node_->grad = std::move(storage);
    }
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

// Told, while it is set on a tape, that the node recorded next reads variable `id` (uses), and that node `index` has run
// its backward (backward_done; nodes run from the last recorded down to index 0).
class TapeObserver {
public:
    virtual void used(const void* id, std::size_t node_index) = 0;
    virtual void backward_done(std::size_t node_index) = 0;

protected:
    ~TapeObserver() = default;
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
        for (std::size_t i = nodes_.size(); i-- > 0;) {
            nodes_[i]();
            if (observer_) observer_->backward_done(i);
        }
        clear();
    }
    void clear() { nodes_.clear(); }

    // nullptr: none. The observer must outlive its time on the tape.
    void set_observer(TapeObserver* observer) { observer_ = observer; }
    TapeObserver* observer() const { return observer_; }

private:
    friend class NoGradGuard;
    bool enabled_ = true;
    TapeObserver* observer_ = nullptr;
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
    Tape& tape = Tape::current();
    const bool needs = tape.enabled() && (inputs.requires_grad() || ...);
    if (needs && tape.observer()) (tape.observer()->used(inputs.id(), tape.size()), ...);
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

// Backpropagate from a scalar loss: d(loss)/d(loss) = 1 (or `scale`: the gradients of scale × loss), walk the tape,
// release it.
template <class T, class Device>
void backward(Var<T, Device> loss, std::type_identity_t<T> scale = T{1}) {
    TINYBERT_CHECK(loss.value().numel() == 1, "backward: the loss must be a scalar, got shape ", loss.shape().str());
    TINYBERT_CHECK(loss.requires_grad(), "backward: the loss does not depend on any parameter (or was computed under NoGradGuard)");
    loss.grad().fill(scale);
    Tape::current().run_backward();
}

}  // namespace tinybert
