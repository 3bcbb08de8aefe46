// tinybert's side of tools/lockstep/qa_lockstep.py: replays the batches it wrote, from the same initial weights, with
// the same update (AdamW, linear schedule over total_steps, clip 1.0), and records each update's loss and gradient
// norm.   qa_lockstep DIR [THREADS]   (reads DIR/init, DIR/batches.safetensors, DIR/hf.json; writes DIR/tinybert.json
// and the trained model with its tokenizer to DIR/tinybert-final, for `tinybert evaluate`)
//   qa_lockstep --order N SEED   prints the order (JSON list) in which tinybert's Trainer feeds N features in its
//                                first epoch under SEED, for qa_lockstep.py --order
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <tinybert/tinybert.hpp>

namespace tb = tinybert;

namespace {

int print_order(std::size_t n, std::uint64_t seed) {
    std::vector<tb::Feature> features(n);
    tb::DataLoader loader(features, 0, {.batch_size = 1, .shuffle = true, .seed = seed});  // Trainer's settings
    tb::json::Array order;
    for (std::size_t b = 0; b < loader.num_batches(); ++b)
        order.emplace_back(static_cast<std::int64_t>(loader.rows(b)[0]));
    std::printf("%s\n", tb::json::Value(std::move(order)).dump().c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) try {
    TINYBERT_CHECK(argc >= 2, "usage: qa_lockstep DIR [THREADS] | qa_lockstep --order N SEED");
    if (std::string(argv[1]) == "--order") {
        TINYBERT_CHECK(argc == 4, "usage: qa_lockstep --order N SEED");
        return print_order(std::stoul(argv[2]), std::stoull(argv[3]));
    }
    const std::filesystem::path dir = argv[1];
    if (argc > 2) tb::set_num_threads(std::stoi(argv[2]));
    const tb::json::Value ref = tb::json::parse_file((dir / "hf.json").string());
    const auto batch_size = ref.at("batch_size").as_int();
    const auto total = ref.at("total_steps").as_int();
    const auto steps = static_cast<std::int64_t>(ref.at("losses").as_array().size());

    using Model = tb::Bert<tb::Encoder<tb::dynamic>, tb::QuestionAnswering>;
    Model model = Model::from_pretrained((dir / "init").string());
    // Every batch tensor read once: (N·B, L) token tensors and (N·B) positions, N·B rows in all.
    const tb::SafetensorsFile file((dir / "batches.safetensors").string());
    std::map<std::string, std::pair<std::vector<std::int64_t>, std::int64_t>> columns;  // values, row width
    for (const char* name : {"input_ids", "attention_mask", "token_type_ids", "start_positions", "end_positions"}) {
        const auto& t = file.tensor(name);
        columns[name] = {t.to<std::int64_t>(), t.shape().size() == 2 ? t.shape()[1] : 1};
    }
    const std::int64_t total_rows = file.tensor("input_ids").shape()[0];
    // Rows [s·B, min((s+1)·B, N·B)) of one column: update s's slice (the last may be partial).
    const auto rows = [&](const std::string& name, std::int64_t s) {
        const auto& [all, width] = columns.at(name);
        const std::int64_t rows_here = std::min(batch_size, total_rows - s * batch_size);
        const auto first = all.begin() + s * batch_size * width;
        std::vector<std::int64_t> v(first, first + rows_here * width);
        return width == 1 ? tb::Tensor<std::int64_t>::from_vector({rows_here}, v)
                          : tb::Tensor<std::int64_t>::from_vector({rows_here, width}, v);
    };

    const double lr = ref.at("lrs").as_array().front().as_double();
    tb::AdamW<float, tb::Cpu> opt(model, {.lr = lr, .weight_decay = 0.0});
    const tb::LinearSchedule schedule(lr, total, 0);
    model.train();
    std::vector<double> losses, norms;
    for (std::int64_t s = 0; s < steps; ++s) {
        tb::Batch<tb::Cpu> b{rows("input_ids", s), rows("attention_mask", s), rows("token_type_ids", s), {},
                             rows("start_positions", s), rows("end_positions", s)};
        const auto out = model.forward(b);
        losses.push_back(static_cast<double>(out.loss.value().to_vector()[0]));
        tb::backward(out.loss);
        norms.push_back(tb::clip_grad_norm(model, 1.0));
        opt.step(schedule.lr(s));
        model.zero_grad();
        if ((s + 1) % 10 == 0)
            std::fprintf(stderr, "step %lld: loss %.4f grad norm %.4f\n", static_cast<long long>(s + 1), losses.back(),
                         norms.back());
    }
    model.save_pretrained((dir / "tinybert-final").string());
    tb::Tokenizer::from_pretrained((dir / "init").string()).save_pretrained((dir / "tinybert-final").string());
    tb::json::Array l, n;
    for (const double x : losses) l.emplace_back(x);
    for (const double x : norms) n.emplace_back(x);
    const tb::json::Object result{{"losses", tb::json::Value(std::move(l))},
                                  {"grad_norms", tb::json::Value(std::move(n))}};
    std::ofstream((dir / "tinybert.json").string()) << tb::json::Value(result).dump() << "\n";
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
}
