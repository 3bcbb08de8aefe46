// tinybert embed --model DIR [--pooling mean|cls|max] [--normalize|--no-normalize] [--max-length N] [--batch-size B]
//                [--threads T] [--out FILE.npy] < in.jsonl
// Sentence embeddings of JSONL {"text": ...} lines (blank lines are skipped), as sentence-transformers computes them.
// Defaults come from the model folder (EmbedOptions::from_pretrained: modules.json, 1_Pooling/config.json,
// sentence_bert_config.json); flags override them. Without --out, one {"embedding": [...]} line per input, in order;
// with --out, a float32 .npy of shape (N,H) written atomically (xtensor's npy writer). Errors name stdin:<line>.
#pragma once

#include <charconv>
#include <iostream>
#include <istream>
#include <ostream>
#include <string>
#include <vector>
#include <xtensor/xadapt.hpp>
#include <xtensor/xnpy.hpp>

#include "args.hpp"
#include "tasks.hpp"
#include "tinybert/io/files.hpp"
#include "tinybert/io/limits.hpp"
#include "tinybert/tasks/embed.hpp"

namespace tinybert::cli {

namespace detail {

inline const char* embed_usage =
    "tinybert embed --model DIR [--pooling mean|cls|max] [--normalize|--no-normalize] [--max-length N]\n"
    "                      [--batch-size B] [--threads T] [--out FILE.npy] < in.jsonl\n"
    "Each input line is {\"text\": ...}. Defaults follow the folder's sentence-transformers files (modules.json,\n"
    "1_Pooling/config.json, sentence_bert_config.json); a plain Hugging Face folder: mean pooling, no normalization.\n"
    "Without --out: one {\"embedding\": [...]} line per input; with --out: a float32 (N,H) .npy file.\n";

// {"embedding":[...]} with each float in its shortest round-trip form.
inline void write_embedding_json(std::string& out, std::span<const float> e) {
    out += "{\"embedding\":[";
    char buf[32];
    for (std::size_t i = 0; i < e.size(); ++i) {
        if (i) out += ',';
        const auto r = std::to_chars(buf, buf + sizeof buf, e[i]);
        out.append(buf, r.ptr);
    }
    out += "]}\n";
}

// Writes rows (N,H) row-major as a float32 .npy file, atomically: the file appears whole or not at all.
inline void write_npy(const std::string& path, const std::vector<float>& rows, std::size_t n, std::size_t h) {
    const std::vector<std::size_t> shape{n, h};
    const auto m = xt::adapt(rows.data(), rows.size(), xt::no_ownership(), shape);
    const std::string bytes = xt::dump_npy(m);
    tinybert::detail::AtomicWriter w(path);
    w.write(bytes.data(), bytes.size());
    w.commit();
}

}  // namespace detail

// Reads {"text"} lines from `in` and embeds them chunk by chunk; each chunk's rows go to on_rows(embeddings).
// Returns the number of texts. Errors (bad JSON, no "text" string) name stdin:<line>.
template <class Model, class F>
std::size_t embed_jsonl(Model& model, const Tokenizer& tok, std::istream& in, const EmbedOptions& o, F&& on_rows) {
    const std::size_t chunk = std::max<std::size_t>(o.batch_size * 16, 256);  // texts sorted by length per chunk
    std::vector<std::string> texts;
    std::size_t count = 0, offset = 0;
    std::string line;
    const auto flush = [&] {
        if (texts.empty()) return;
        on_rows(encode(model, tok, texts, o));
        count += texts.size();
        texts.clear();
    };
    for (std::size_t n = 1; tinybert::detail::read_line_bounded(in, line, "stdin", n, offset); ++n) {
        offset += line.size() + 1;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const json::Value rec = json::parse(line, "stdin:" + std::to_string(n));
        TINYBERT_CHECK(rec.is_object(), "stdin:", n, ": each line must be a JSON object {\"text\": ...}, got ",
                       rec.kind_name());
        const json::Value* text = rec.find("text");
        TINYBERT_CHECK(text && text->is_string(), "stdin:", n, ": expected a string field \"text\"");
        texts.push_back(text->as_string());
        if (texts.size() >= chunk) flush();
    }
    flush();
    TINYBERT_CHECK(count > 0, "stdin: no input (expected one JSON object {\"text\": ...} per line)");
    return count;
}

inline int run_embed(int argc, char** argv) {
    Args args(argc, argv, detail::embed_usage);
    if (args.flag("--help")) {
        std::cout << "usage: " << detail::embed_usage;
        return 0;
    }
    const std::string model_dir = args.required("--model");
    EmbedOptions o = EmbedOptions::from_pretrained(model_dir);
    const std::string pooling = args.value("--pooling", "");
    if (!pooling.empty()) o.pooling = parse_pooling(pooling);
    const bool norm = args.flag("--normalize"), no_norm = args.flag("--no-normalize");
    TINYBERT_CHECK(!(norm && no_norm), "give at most one of --normalize and --no-normalize");
    if (norm) o.normalize = true;
    if (no_norm) o.normalize = false;
    o.max_length = args.count("--max-length", o.max_length);
    TINYBERT_CHECK(o.max_length >= 2, "--max-length must be at least 2 ([CLS] and [SEP])");
    o.batch_size = args.count("--batch-size", o.batch_size);
    TINYBERT_CHECK(o.batch_size > 0, "--batch-size must be positive");
    const std::string out_path = args.value("--out", "");
    apply_threads(args);
    args.finish();

    // any family (config.json's model_type) as its bare base model
    return with_model<NoHead>(model_dir, [&]<class Model>(std::type_identity<Model>) {
        const Tokenizer tok = Tokenizer::from_pretrained(model_dir);
        Model model = Model::from_pretrained(model_dir);
        model.eval();
        std::cerr << "tinybert embed: pooling " << pooling_name(o.pooling) << ", normalize "
                  << (o.normalize ? "on" : "off") << ", max length " << o.max_length << "\n";
        if (out_path.empty()) {
            std::string buf;
            embed_jsonl(model, tok, std::cin, o, [&](const EmbeddingMatrix& e) {
                for (std::size_t i = 0; i < e.rows; ++i) detail::write_embedding_json(buf, e.row(i));
                std::cout << buf;
                buf.clear();
            });
            std::cout.flush();
            return std::cout.good() ? 0 : 1;
        }
        std::vector<float> rows;
        std::size_t h = 0;
        const std::size_t n = embed_jsonl(model, tok, std::cin, o, [&](const EmbeddingMatrix& e) {
            h = e.cols;
            rows.insert(rows.end(), e.data.begin(), e.data.end());
        });
        detail::write_npy(out_path, rows, n, h);
        std::cerr << "tinybert embed: wrote " << out_path << " (" << n << ", " << h << ") float32\n";
        return 0;
    });
}

}  // namespace tinybert::cli
