// The kernels that keep a training step on its device (issue 13, item 2), on the CPU, where each has its
// definition: the whole-model kernels of backend/cpu/multi_tensor.hpp against the one-tensor kernels they stand for
// (bitwise), the device-side loss sum, and the batch-derived inputs (attention mask, position ids, QA clamps, label
// conversion) on hand-worked values. tests/cuda/test_cuda_parity.cu checks the CUDA twins against these.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "support/grad_check.hpp"
#include "tinybert/ops/adamw.hpp"
#include "tinybert/ops/batch_inputs.hpp"
#include "tinybert/ops/reduce.hpp"
#include "tinybert/train/loss_sum.hpp"

using namespace tinybert;
using test::random_tensor;

namespace {

// Tensors of awkward sizes: empty, one element, and more than one 8192-element chunk of sum_squares
std::vector<Tensor<double>> tensors(std::uint32_t seed) {
    std::vector<Tensor<double>> out;
    for (const std::int64_t n : {0, 1, 7, 8192 * 2 + 5, 300})
        out.push_back(random_tensor({n}, seed + static_cast<std::uint32_t>(n), -3, 3));
    return out;
}

TensorList<double, Cpu> list_of(std::vector<Tensor<double>>& ts) {
    TensorList<double, Cpu> list;
    for (auto& t : ts) list.push_back(&t);
    return list;
}

}  // namespace

TEST_CASE("sum_squares and scale_inplace of a tensor list equal the per-tensor kernels", "[multi_tensor]") {
    auto ts = tensors(1);
    double want = 0;
    for (const auto& t : ts) want += sum_squares(t);
    CHECK(sum_squares(list_of(ts)) == want);
    CHECK(sum_squares(TensorList<double, Cpu>{}) == 0.0);

    auto copies = tensors(1);
    scale_inplace(list_of(ts), 0.37);
    for (auto& t : copies) scale_inplace(t, 0.37);
    for (std::size_t i = 0; i < ts.size(); ++i) CHECK(ts[i].to_vector() == copies[i].to_vector());
}

TEST_CASE("adamw_update over a parameter list equals one update per parameter, decay where flagged", "[multi_tensor]") {
    auto params = tensors(10), moments1 = tensors(20), moments2 = tensors(30);
    auto ref_params = tensors(10), ref_m = tensors(20), ref_v = tensors(30);
    for (auto* set : {&moments1, &moments2, &ref_m, &ref_v})
        for (auto& t : *set) t.fill(0.0);
    for (std::int64_t step = 1; step <= 3; ++step) {
        const auto grads = tensors(40 + static_cast<std::uint32_t>(step));
        std::vector<AdamWTensors<double, Cpu>> list;
        for (std::size_t i = 0; i < params.size(); ++i) {
            const bool decay = i % 2 == 0;
            list.push_back({&params[i], &grads[i], &moments1[i], &moments2[i], decay});
            adamw_update(ref_params[i], grads[i], ref_m[i], ref_v[i], 1e-3, 0.9, 0.999, 1e-8, decay ? 0.01 : 0.0, step);
        }
        adamw_update(list, 1e-3, 0.9, 0.999, 1e-8, 0.01, step);
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
        CHECK(params[i].to_vector() == ref_params[i].to_vector());
        CHECK(moments1[i].to_vector() == ref_m[i].to_vector());
        CHECK(moments2[i].to_vector() == ref_v[i].to_vector());
    }
    // weight decay acted only where flagged: with a zero gradient a decayed parameter shrinks by lr·wd
    auto p = Tensor<double>::full({2}, 1.0), g = Tensor<double>({2}), m = Tensor<double>({2}), v = Tensor<double>({2});
    auto q = Tensor<double>::full({2}, 1.0), mq = Tensor<double>({2}), vq = Tensor<double>({2});
    adamw_update(std::vector<AdamWTensors<double, Cpu>>{{&p, &g, &m, &v, true}, {&q, &g, &mq, &vq, false}}, 0.5, 0.9,
                 0.999, 1e-8, 0.1, 1);
    CHECK(p.to_vector() == std::vector<double>(2, 1.0 - 0.5 * 0.1));
    CHECK(q.to_vector() == std::vector<double>(2, 1.0));
}

TEST_CASE("LossSum adds weighted losses in double and reads them once per take", "[multi_tensor]") {
    LossSum<Cpu> sum;
    CHECK(sum.take() == 0.0);
    sum.add(Tensor<float>::full({1}, 0.1f), 1.0);
    sum.add(Tensor<float>::full({1}, 0.2f), 0.5);
    CHECK(sum.take() == static_cast<double>(0.1f) + 0.5 * static_cast<double>(0.2f));
    CHECK(sum.take() == 0.0);  // a new sum
    sum.add(Tensor<double>::full({1}, std::nan("")), 1.0);
    CHECK(std::isnan(sum.take()));
}

TEST_CASE("the additive mask, position ids, QA clamps and label conversion on hand-worked batches", "[batch_inputs]") {
    const auto mask = Tensor<std::int64_t>::from_vector({2, 3}, {1, 1, 0, 1, 0, 0});
    const float low = std::numeric_limits<float>::lowest();
    CHECK(additive_mask<float>(mask).to_vector() == std::vector<float>{0, 0, low, 0, low, low});
    CHECK(additive_mask<double>(mask).to_vector()[2] == std::numeric_limits<double>::lowest());

    // RoBERTa (padding id 1): padding keeps 1, other tokens count from 2; BERT: 0..S-1 whatever the padding
    const auto ids = Tensor<std::int64_t>::from_vector({2, 4}, {0, 7, 2, 1, 0, 1, 9, 1});
    CHECK(position_ids(ids, 1).to_vector() == std::vector<std::int64_t>{2, 3, 4, 1, 2, 1, 3, 1});
    CHECK(position_ids(ids, -1).to_vector() == std::vector<std::int64_t>{0, 1, 2, 3, 0, 1, 2, 3});
    CHECK_THROWS(position_ids(Tensor<std::int64_t>::from_vector({3}, {1, 2, 3}), -1));

    // answers past the window (S = 4) clamp to S, the ignored index of the loss; negatives to 0
    const auto pos = Tensor<std::int64_t>::from_vector({4}, {-2, 0, 3, 9});
    CHECK(clamped(pos, 0, 4).to_vector() == std::vector<std::int64_t>{0, 0, 3, 4});

    const auto labels = Tensor<float>::from_vector({2}, {0.25f, -1.5f});
    CHECK(converted<double>(labels).to_vector() == std::vector<double>{0.25, -1.5});
    CHECK(converted<float>(labels).data() == labels.data());  // float: the same tensor, no copy
}
