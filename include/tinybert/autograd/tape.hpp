// tinybert/autograd/tape.hpp: Var (a tensor value + its gradient), the Tape of backward closures, NoGradGuard.
// One tape node per BERT op: an op computes its forward, then records one closure, written right below it, that
// accumulates (+=) into the gradients of its inputs. Recording order is topological, so backward() walks the tape
// in reverse. The tape is per thread; clearing it releases every saved activation. An optional TapeObserver sees which
// variables each recorded op reads and when each node's backward has run: how data parallelism knows, during
// backward, that a parameter's gradient is final (dist/grad_buckets.hpp).
// Saved tensors (PyTorch's save_for_backward discipline): a closure captures the tensors its backward reads and the
// GradRefs of the gradients it writes, never whole Vars, so an activation that no backward reads (a residual sum, a
// dropout output) is freed as soon as the forward drops it, not kept until the tape is cleared.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "tinybert/tensor/tensor.hpp"

namespace tinybert {

namespace detail {

// A variable's gradient, apart from its value: shared by the Var and the GradRefs that backward closures hold.
template <class T, class Device>
struct GradSlot {
    Shape shape;              // the value's shape: the gradient is allocated as zeros of it on first use
    Tensor<T, Device> grad;   // undefined until something is accumulated
    bool requires_grad = false;

    Tensor<T, Device>& get() {
        if (!grad.defined()) grad = Tensor<T, Device>(shape);
        return grad;
    }
};

}  // namespace detail

// The gradient of a variable without its value: what a backward closure captures for an input (it writes the
// gradient) or an output (it reads it). Holding one keeps the gradient alive, not the activation.
template <class T, class Device = Cpu>
class GradRef {
public:
    GradRef() = default;
    explicit GradRef(std::shared_ptr<detail::GradSlot<T, Device>> slot) : slot_(std::move(slot)) {}

    // The gradient to accumulate into (zeros on first use), or nullptr when the variable needs none.
    Tensor<T, Device>* ptr() const { return slot_ && slot_->requires_grad ? &slot_->get() : nullptr; }
    bool has_grad() const { return slot_ && slot_->grad.defined(); }
    Tensor<T, Device>& grad() const { return slot_->get(); }
    const Shape& shape() const { return slot_->shape; }

private:
    std::shared_ptr<detail::GradSlot<T, Device>> slot_;
};

template <class T, class Device = Cpu>
class Var {
public:
    Var() = default;
    explicit Var(Tensor<T, Device> value, bool requires_grad = false)
        : node_(std::make_shared<Node>(Node{std::move(value), {}})) {
        node_->slot = std::make_shared<detail::GradSlot<T, Device>>(
            detail::GradSlot<T, Device>{node_->value.shape(), {}, requires_grad});
    }

    bool defined() const { return node_ != nullptr; }
    const Tensor<T, Device>& value() const { return node_->value; }
    Tensor<T, Device>& value() { return node_->value; }
    const Shape& shape() const { return node_->value.shape(); }
    bool requires_grad() const { return node_ && node_->slot->requires_grad; }
    // Identity of the variable (Vars are handles: copies share it).
    const void* id() const { return node_.get(); }

    // True once some gradient has been accumulated into this variable.
    bool has_grad() const { return node_->slot->grad.defined(); }
    // The gradient, allocated as zeros on first use. Var is a handle: const Vars share the same node.
    Tensor<T, Device>& grad() const { return node_->slot->get(); }
    // The gradient to accumulate into, or nullptr when this variable needs none.
    Tensor<T, Device>* grad_ptr() const { return requires_grad() ? &grad() : nullptr; }
    // The gradient alone, for a backward closure (an undefined variable gives a GradRef whose ptr() is nullptr).
    GradRef<T, Device> grad_ref() const { return node_ ? GradRef<T, Device>(node_->slot) : GradRef<T, Device>(); }
    // Make `storage` (this variable's shape; e.g. a view into a flat buffer) hold the gradient from now on, with the
    // current gradient's values (zeros if there is none yet).
    void bind_grad(Tensor<T, Device> storage) const {
        check_same_shape(storage, node_->value, "Var::bind_grad");
        if (has_grad()) Device::copy(storage.data(), node_->slot->grad.data(), storage.numel());
        else storage.fill(T{});
        node_->slot->grad = std::move(storage);
    }
    // Set an accumulated gradient back to zero (keeps the buffer).
    void zero_grad() const {
        if (has_grad()) node_->slot->grad.fill(T{});
    }

private:
    struct Node {
        Tensor<T, Device> value;
        std::shared_ptr<detail::GradSlot<T, Device>> slot;
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

    // Run every recorded closure in reverse order, releasing each one as soon as it has run: the activations it saved
    // and the gradients that only it still refers to (an intermediate output's, once its producer has read it) are
    // freed during backward, as PyTorch frees a node's saved tensors, instead of all at the end.
    void run_backward() {
        for (std::size_t i = nodes_.size(); i-- > 0;) {
            nodes_[i]();
            nodes_[i] = nullptr;
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

// Record `backward` for `out`; it runs only if a gradient reached `out`. The closure holds out's gradient, not its
// value: `backward` captures whatever values it reads.
template <class T, class Device, class F>
void record_backward(const Var<T, Device>& out, F backward) {
    if (!out.requires_grad()) return;
    Tape::current().record([dout = out.grad_ref(), backward = std::move(backward)]() mutable {
        if (dout.has_grad()) backward(dout.grad());
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
