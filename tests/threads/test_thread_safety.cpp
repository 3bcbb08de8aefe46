// The thread-safety contract of docs/reliability.md ("Thread safety"), tested: one model in eval mode and one
// Tokenizer shared by 8 std::threads give the single-thread results, bit for bit; the tape is per thread; the batch
// tokenizer may be called from several threads at once; the DataLoader's background batch is the synchronous collate,
// also when the loader is moved, re-epoched or destroyed while that batch is in flight. .ci/tsan.sh runs this file
// under ThreadSanitizer, which is what turns a race that happens to give the right numbers into a failure.
#include <catch2/catch.hpp>

#include <cstdint>
#include <exception>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tinybert/data/loader.hpp"
#include "tinybert/nn/bert.hpp"
#include "tinybert/tasks/classification.hpp"
#include "tinybert/tasks/ner.hpp"
#include "tinybert/tasks/qa.hpp"
#include "tinybert/tokenizer/tokenizer.hpp"

using namespace tinybert;

namespace {

constexpr std::size_t threads = 8;

// Runs f(t) for t in [0, n) on n std::threads released together; the first exception is rethrown here (Catch2's
// assertions are not thread-safe, so threads only compute and the main thread checks).
template <class F>
void on_threads(std::size_t n, F f) {
    std::latch start(static_cast<std::ptrdiff_t>(n));
    std::exception_ptr error;
    std::mutex m;
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < n; ++t)
        pool.emplace_back([&, t] {
            start.arrive_and_wait();
            try {
                f(t);
            } catch (...) {
                const std::lock_guard<std::mutex> lock(m);
                if (!error) error = std::current_exception();
            }
        });
    for (auto& th : pool) th.join();
    if (error) std::rethrow_exception(error);
}

Tokenizer tiny_tokenizer() {
    return Tokenizer::from_vocab(std::string(TINYBERT_TEST_DATA_DIR) + "/tokenizer/tiny_vocab.txt");
}

// Words of tests/fixtures/tokenizer/tiny_vocab.txt (whole, split into pieces, or unknown) for generated inputs.
const std::vector<std::string> words{"unaffable", "want",  "wanted",   "running", "don't",  "e-mail", "cafe", "café",
                                     "hello",     "world", "istanbul", "nlp",     "ab",     "x",      "y",    "z",
                                     "$500",      "€",     "☃",        "deja",    "[MASK]", "u.s.",   "我爱", "qqq"};

// Input i of thread t: a deterministic word sequence whose length varies with (t, i).
std::vector<std::string> word_list(std::size_t t, std::size_t i, std::size_t min_len = 1) {
    std::uint64_t s = 0x9E3779B97F4A7C15ull * (t * 131 + i + 1);
    const std::size_t n = min_len + (t * 7 + i * 3) % 13;
    std::vector<std::string> out;
    for (std::size_t k = 0; k < n; ++k) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        out.push_back(words[(s >> 33) % words.size()]);
    }
    return out;
}
std::string text(std::size_t t, std::size_t i, std::size_t min_len = 1) {
    std::string out;
    for (const auto& w : word_list(t, i, min_len)) out += (out.empty() ? "" : " ") + w;
    return out;
}

// A small model over the tiny vocabulary. Dropout is on in the config, so a forward that ran in training mode, or
// drew from the model's generator, would change the numbers and race on the generator.
BertConfig tiny_config(std::int64_t vocab_size, std::vector<std::string> labels) {
    BertConfig c;
    c.vocab_size = vocab_size;
    c.hidden_size = 16;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.intermediate_size = 32;
    c.max_position_embeddings = 64;
    c.hidden_dropout_prob = 0.1;
    c.attention_probs_dropout_prob = 0.1;
    c.set_labels(std::move(labels));
    return c;
}

using ClassModel = Bert<Encoder<2>, SequenceClassification>;
using TagModel = Bert<Encoder<2>, TokenClassification>;
using QaModel = Bert<Encoder<2>, QuestionAnswering>;

// Everything one work item asks of the three shared models.
struct Results {
    std::vector<ClassPrediction> classes;
    std::vector<std::vector<float>> class_logits;
    std::vector<NamedEntity> entities, word_entities;
    QaAnswer answer;
};

struct Models {
    Tokenizer tok = tiny_tokenizer();
    std::int64_t vocab = static_cast<std::int64_t>(tok.vocab_size());
    ClassModel classifier{tiny_config(vocab, {"neg", "pos", "mixed"}), 1};
    TagModel tagger{tiny_config(vocab, {"O", "B-PER", "I-PER", "B-LOC", "I-LOC"}), 2};
    QaModel reader{tiny_config(vocab, {"start", "end"}), 3};

    Models() {
        classifier.eval();
        tagger.eval();
        reader.eval();
    }

    // Work item i of thread t: batched classification (batches of 2, so padding differs between batches), NER on a
    // text and on pre-split words, and QA over a context long enough for several windows.
    Results run(std::size_t t, std::size_t i) {
        Results r;
        std::vector<std::string> texts;
        for (std::size_t k = 0; k < 5; ++k) texts.push_back(text(t, i * 5 + k));
        r.classes = classify(classifier, tok, texts, 32, 2);
        VectorDataset<TextExample> data;
        for (const auto& s : texts) data.push_back({s, std::nullopt, 0});
        r.class_logits = classification_logits(classifier, classification_features(data, tok, 32), tok.pad_id(), 2);
        r.entities = find_entities(tagger, tok, text(t, i), 48);
        r.word_entities = find_entities(tagger, tok, word_list(t, i + 100), 48);
        r.answer = answer_question(reader, tok, text(t, i + 200), text(t, i + 300, 20),
                                   {.max_length = 24, .doc_stride = 8, .max_query_length = 8});
        return r;
    }
};

void check_same(const std::vector<NamedEntity>& a, const std::vector<NamedEntity>& b) {
    REQUIRE(a.size() == b.size());
    for (std::size_t k = 0; k < a.size(); ++k) {
        CHECK(a[k].type == b[k].type);
        CHECK(a[k].text == b[k].text);
        CHECK(a[k].start == b[k].start);
        CHECK(a[k].end == b[k].end);
        CHECK(a[k].score == b[k].score);
    }
}

void check_same(const Results& a, const Results& b) {
    REQUIRE(a.classes.size() == b.classes.size());
    for (std::size_t k = 0; k < a.classes.size(); ++k) {
        CHECK(a.classes[k].label == b.classes[k].label);
        CHECK(a.classes[k].label_name == b.classes[k].label_name);
        CHECK(a.classes[k].score == b.classes[k].score);
    }
    CHECK(a.class_logits == b.class_logits);
    check_same(a.entities, b.entities);
    check_same(a.word_entities, b.word_entities);
    CHECK(a.answer.text == b.answer.text);
    CHECK(a.answer.start == b.answer.start);
    CHECK(a.answer.end == b.answer.end);
    CHECK(a.answer.score == b.answer.score);
}

}  // namespace

// Bit-identical, not approximately equal: every thread runs the same shapes as the reference, and the inference
// kernels' summation order depends only on the shapes and the thread-count settings, not on which thread calls them.
TEST_CASE("classify, find_entities and answer_question from 8 threads on shared models give the single-thread results",
          "[threads]") {
    Models m;
    constexpr std::size_t items = 3;
    std::vector<std::vector<Results>> expected(threads), got(threads);
    for (std::size_t t = 0; t < threads; ++t)
        for (std::size_t i = 0; i < items; ++i) expected[t].push_back(m.run(t, i));
    // The inputs really differ between threads and produce entities and answers, so the comparison is not vacuous.
    CHECK(expected[0][0].class_logits != expected[1][0].class_logits);
    std::size_t entities = 0, answers = 0;
    for (const auto& per_thread : expected)
        for (const auto& r : per_thread) {
            entities += r.entities.size() + r.word_entities.size();
            answers += r.answer.end > r.answer.start;  // a span, not the "empty" placeholder
        }
    CHECK(entities > 0);
    CHECK(answers > 0);

    on_threads(threads, [&](std::size_t t) {
        for (std::size_t i = 0; i < items; ++i) got[t].push_back(m.run(t, i));
    });
    for (std::size_t t = 0; t < threads; ++t)
        for (std::size_t i = 0; i < items; ++i) check_same(got[t][i], expected[t][i]);
    CHECK_FALSE(m.classifier.training());
    CHECK(m.classifier.generator().offset() == 0);  // no dropout mask was drawn
}

TEST_CASE("the inference helpers evaluate a model in training mode in eval mode and give training mode back",
          "[threads]") {
    Models m;
    const Results eval = m.run(0, 0);
    m.classifier.train();
    m.tagger.train();
    m.reader.train();
    check_same(m.run(0, 0), eval);
    CHECK(m.classifier.training());
    CHECK(m.tagger.training());
    CHECK(m.reader.training());
    CHECK(m.classifier.generator().offset() == 0);
}

// Training is per model and per thread: two threads each train their own model (same seed) at once, with dropout,
// and get the gradients of the same step run alone; each thread's tape is empty afterwards.
TEST_CASE("the tape is per thread: two models trained on two threads at once get the single-thread gradients",
          "[threads]") {
    const Tokenizer tok = tiny_tokenizer();
    const auto grads = [&](std::size_t t) {
        ClassModel model(tiny_config(static_cast<std::int64_t>(tok.vocab_size()), {"neg", "pos"}), 5);
        model.train();
        VectorDataset<TextExample> data;
        for (std::size_t k = 0; k < 4; ++k)
            data.push_back({text(t, k), std::nullopt, static_cast<std::int64_t>(k % 2)});
        const auto features = classification_features(data, tok, 32);
        Batch<Cpu> batch = collate(features, {0, 1, 2, 3}, tok.pad_id());
        backward(model.forward(batch).loss);
        std::vector<std::vector<float>> g;
        model.visit_parameters([&](const std::string&, Var<float>& p) { g.push_back(p.grad().to_vector()); });
        g.push_back({static_cast<float>(Tape::current().size())});
        return g;
    };
    const auto expected = grads(0);
    REQUIRE(expected.back() == std::vector<float>{0});
    std::vector<std::vector<std::vector<float>>> got(2);
    on_threads(2, [&](std::size_t t) { got[t] = grads(0); });
    CHECK(got[0] == expected);
    CHECK(got[1] == expected);
}

namespace {

void check_same(const std::vector<Encoding>& a, const std::vector<Encoding>& b) {
    REQUIRE(a.size() == b.size());
    for (std::size_t k = 0; k < a.size(); ++k) {
        CHECK(a[k].input_ids == b[k].input_ids);
        CHECK(a[k].token_type_ids == b[k].token_type_ids);
        CHECK(a[k].attention_mask == b[k].attention_mask);
        CHECK(a[k].special_tokens_mask == b[k].special_tokens_mask);
        CHECK(a[k].offsets == b[k].offsets);
        CHECK(a[k].byte_offsets == b[k].byte_offsets);
        CHECK(a[k].word_ids == b[k].word_ids);
        CHECK(a[k].sequence_ids == b[k].sequence_ids);
        CHECK(a[k].overflow_to_sample == b[k].overflow_to_sample);
        CHECK(a[k].invalid_utf8 == b[k].invalid_utf8);
    }
}

}  // namespace

TEST_CASE("the batch tokenizer called from several threads at once gives the single-thread results", "[threads]") {
    const Tokenizer tok = tiny_tokenizer();
    constexpr std::size_t callers = 4;
    // Per caller: texts, pairs and pre-split words; options with padding, truncation and overflow windows.
    const auto encode_all = [&](std::size_t t) {
        std::vector<std::string> texts;
        std::vector<std::pair<std::string, std::string>> pairs;
        std::vector<std::vector<std::string>> split;
        for (std::size_t i = 0; i < 40; ++i) {
            texts.push_back(text(t, i) + (i % 7 == 0 ? " \xff\xfe" : ""));  // some ill-formed UTF-8 too
            const auto question = word_list(t, i + 50);
            pairs.emplace_back(question[0] + " " + question.back(), text(t, i + 90, 10));
            split.push_back(word_list(t, i + 130));
        }
        std::vector<std::vector<Encoding>> out;
        out.push_back(tok.encode_batch(texts, {.padding = Padding::longest}));
        out.push_back(tok.encode_batch(
            texts,
            {.max_length = 8, .truncation = Truncation::longest_first, .stride = 2, .return_overflowing = true}));
        out.push_back(tok.encode_pair_batch(pairs, {.max_length = 20,
                                                    .truncation = Truncation::only_second,
                                                    .padding = Padding::max_length,
                                                    .stride = 3,
                                                    .return_overflowing = true}));
        out.push_back(tok.encode_words_batch(split, {.max_length = 12, .truncation = Truncation::longest_first}));
        return out;
    };
    std::vector<std::vector<std::vector<Encoding>>> expected, got(callers);
    for (std::size_t t = 0; t < callers; ++t) expected.push_back(encode_all(t));
    on_threads(callers, [&](std::size_t t) { got[t] = encode_all(t); });
    for (std::size_t t = 0; t < callers; ++t) {
        REQUIRE(got[t].size() == expected[t].size());
        for (std::size_t c = 0; c < got[t].size(); ++c) check_same(got[t][c], expected[t][c]);
    }
}

namespace {

// n features of varying lengths (up to `max_len`), with labels, token labels on every third.
std::vector<Feature> loader_features(std::size_t n, std::size_t max_len) {
    std::vector<Feature> fs(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t len = 2 + (i * 37) % (max_len - 1);
        for (std::size_t k = 0; k < len; ++k) {
            fs[i].input_ids.push_back(static_cast<std::int64_t>(1 + (i + k) % 50));
            fs[i].token_type_ids.push_back(k < len / 2 ? 0 : 1);
            fs[i].attention_mask.push_back(1);
            if (i % 3 == 0) fs[i].token_labels.push_back(static_cast<std::int64_t>(k % 5));
        }
        fs[i].label = static_cast<std::int64_t>(i % 4);
        fs[i].start_position = static_cast<std::int64_t>(i % len);
        fs[i].end_position = static_cast<std::int64_t>(len - 1);
    }
    return fs;
}

void check_same(const Batch<Cpu>& a, const Batch<Cpu>& b) {
    const auto same = [](const Tensor<std::int64_t>& x, const Tensor<std::int64_t>& y) {
        CHECK(x.defined() == y.defined());
        if (!x.defined() || !y.defined()) return;
        CHECK(x.shape() == y.shape());
        CHECK(x.to_vector() == y.to_vector());
    };
    same(a.input_ids, b.input_ids);
    same(a.attention_mask, b.attention_mask);
    same(a.token_type_ids, b.token_type_ids);
    same(a.labels, b.labels);
    same(a.start_positions, b.start_positions);
    same(a.end_positions, b.end_positions);
}

}  // namespace

TEST_CASE("DataLoader batches collated in the background equal a synchronous collate", "[threads][loader]") {
    const auto fs = loader_features(203, 40);
    const std::vector<LoaderOptions> options{
        {.batch_size = 8},
        {.batch_size = 7, .shuffle = true, .seed = 3},
        {.batch_size = 4, .shuffle = true, .seed = 9, .group_by_length = true, .pad_to_multiple_of = 8}};
    for (const LoaderOptions& o : options) {
        DataLoader loader(fs, 0, o);
        for (std::size_t epoch = 0; epoch < 2; ++epoch) {
            loader.set_epoch(epoch);
            for (std::size_t b = 0; b < loader.num_batches(); ++b)
                check_same(loader.batch(b), collate(fs, loader.rows(b), 0, o.pad_to_multiple_of));
        }
        // Out of order: the batch in flight (b+1) is not the one asked for next.
        loader.set_epoch(2);
        for (const std::size_t b : {std::size_t{5}, std::size_t{2}, std::size_t{3}, std::size_t{0}, std::size_t{6}})
            check_same(loader.batch(b), collate(fs, loader.rows(b), 0, o.pad_to_multiple_of));
        // A new epoch while batch 1 of the old order is in flight: batch 1 comes from the new order.
        loader.batch(0);
        loader.set_epoch(3);
        check_same(loader.batch(1), collate(fs, loader.rows(1), 0, o.pad_to_multiple_of));
    }
}

TEST_CASE("a DataLoader moved or destroyed while a background batch is in flight", "[threads][loader]") {
    // Long features, so that the background collate is still running when the loader goes away. Batch 1 of 32 reads
    // the loader's order at bytes 256-511: TSan checks a free against earlier reads of only a block's first 1 KiB.
    const auto fs = loader_features(256, 512);
    const LoaderOptions o{.batch_size = 32, .shuffle = true, .seed = 1};
    std::vector<Batch<Cpu>> kept;  // released only at the end: freeing a tensor takes the allocator's lock, and that
    kept.reserve(16);              // would order the loader's destruction after the background thread's reads for TSan
    for (int round = 0; round < 16; ++round) {
        DataLoader loader(fs, 0, o);
        kept.push_back(loader.batch(0));  // batch 1 now collates in the background
    }
    DataLoader reference(fs, 0, o);
    DataLoader a(fs, 0, o);
    a.batch(0);
    DataLoader b(std::move(a));  // batch 1 still in flight, now owned by b
    check_same(b.batch(1), collate(fs, reference.rows(1), 0));
    check_same(b.batch(2), collate(fs, reference.rows(2), 0));
}
