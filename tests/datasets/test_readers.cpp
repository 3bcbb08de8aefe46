// Dataset readers on hand-written fixtures: IMDb layout, CSV, JSONL, CoNLL/PAN-X/CoNLL-2003 token files, NER JSONL,
// SQuAD v1.1/v2.0, format detection; and every bad-input error naming the file and line or record.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tinybert/data/detect.hpp"
#include "datasets/temp_dir.hpp"

namespace tb = tinybert;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

const std::string fixtures = TINYBERT_TEST_DATA_DIR "/datasets/";

using tinybert::test::TempDir;

}  // namespace

TEST_CASE("Dataset concept accepts VectorDataset and user types") {
    struct MyData {
        std::size_t size() const { return 1; }
        tb::TextExample operator[](std::size_t) const { return {"x", std::nullopt, 0}; }
    };
    STATIC_REQUIRE(tb::DatasetOf<MyData, tb::TextExample>);
    STATIC_REQUIRE(tb::DatasetOf<tb::VectorDataset<tb::QaExample>, tb::QaExample>);
    STATIC_REQUIRE(!tb::Dataset<int>);
    const tb::VectorDataset<tb::TextExample> d({{"a", std::nullopt, 1}}, {"neg", "pos"});
    CHECK(d.size() == 1);
    CHECK(d.num_labels() == 2);
    CHECK_THROWS_AS(d[1], tb::Error);
}

TEST_CASE("IMDb split: neg then pos, each sorted by file name, text byte-exact") {
    const auto d = tb::read_imdb(fixtures + "imdb/train");
    REQUIRE(d.size() == 4);  // unsup/ ignored
    CHECK(d.label_names() == std::vector<std::string>{"neg", "pos"});
    CHECK(d[0].label == 0);
    CHECK(d[0].text == "Two hours I will never get back.<br />The dialogue was wooden.");  // 0_1.txt
    CHECK(d[1].text == "Not terrible, just dull – the ending drags on forever.\n");        // 11_3.txt
    CHECK(d[2].label == 1);
    CHECK(d[2].text.starts_with("A warm, funny film.<br /><br />"));  // 10_9.txt < 2_8.txt
    CHECK(d[3].text == "Solid acting and a clever plot; worth a second viewing.");
    CHECK(tb::detect_format(fixtures + "imdb/train") == tb::DatasetFormat::imdb);
}

TEST_CASE("IMDb errors: missing folder, missing class, bad UTF-8, no reviews") {
    TempDir tmp;
    CHECK_THROWS_WITH(tb::read_imdb(tmp.path / "nope"), Contains("nope") && Contains("not a directory"));
    tmp.write("split/pos/1_9.txt", "good");
    CHECK_THROWS_WITH(tb::read_imdb(tmp.path / "split"), Contains("neg") && Contains("missing class folder"));
    fs::create_directories(tmp.path / "split/neg");
    tmp.write("split/neg/2_1.txt", "bad \xff byte");
    CHECK_THROWS_WITH(tb::read_imdb(tmp.path / "split"), Contains("2_1.txt") && Contains("invalid UTF-8 at byte 4"));
    fs::create_directories(tmp.path / "empty/pos");
    fs::create_directories(tmp.path / "empty/neg");
    CHECK_THROWS_WITH(tb::read_imdb(tmp.path / "empty"), Contains("no reviews"));
}

TEST_CASE("CSV: quoted commas, newlines, doubled quotes, CRLF, string labels sorted") {
    const auto d = tb::read_csv_dataset(fixtures + "text.csv");
    REQUIRE(d.size() == 4);
    CHECK(d.label_names() == std::vector<std::string>{"negative", "neutral", "positive"});
    CHECK(d[0].text == "Great, really great");
    CHECK(d[0].text_pair == "Was it good?");
    CHECK(d[0].label == 2);
    CHECK(d[1].text == "He said \"meh\"\nand left");
    CHECK(d[1].text_pair == "");
    CHECK(d[1].label == 0);
    CHECK(d[2].text_pair == "multi\r\nline pair");
    CHECK(d[3].text == "naïve \"café\", ok");
    CHECK(tb::detect_format(fixtures + "text.csv") == tb::DatasetFormat::csv);

    tb::TextDatasetOptions opt;
    opt.label_names = {"negative", "positive", "neutral"};
    const auto e = tb::read_csv_dataset(fixtures + "text.csv", opt);
    CHECK(e[2].label == 2);
    CHECK(e.label_names() == opt.label_names);
}

TEST_CASE("CSV parser: records, line numbers, no trailing newline") {
    const auto r = tb::parse_csv("a,b\n\"x\ny\",\"\"\"\"\nlast,");
    REQUIRE(r.size() == 3);
    CHECK(r[1].fields == std::vector<std::string>{"x\ny", "\""});
    CHECK(r[2].line == 4);
    CHECK(r[2].fields == std::vector<std::string>{"last", ""});
}

TEST_CASE("CSV errors name the file and line") {
    TempDir tmp;
    CHECK_THROWS_WITH(tb::read_csv_dataset((tmp.path / "missing.csv").string()),
                      Contains("missing.csv") && Contains("cannot open"));
    const auto unterminated = tmp.write("u.csv", "text,label\n\"open,1\n");
    CHECK_THROWS_WITH(tb::read_csv_dataset(unterminated), Contains("u.csv:2") && Contains("unterminated"));
    const auto fields = tmp.write("f.csv", "text,label\nok,1\ntoo,many,fields\n");
    CHECK_THROWS_WITH(tb::read_csv_dataset(fields), Contains("f.csv:3") && Contains("3 fields"));
    const auto header = tmp.write("h.csv", "sentence,label\nok,1\n");
    CHECK_THROWS_WITH(tb::read_csv_dataset(header), Contains("h.csv:1") && Contains("\"text\""));
    const auto label = tmp.write("l.csv", "text,label\nok,pos\nbad,maybe\n");
    tb::TextDatasetOptions opt;
    opt.label_names = {"neg", "pos"};
    CHECK_THROWS_WITH(tb::read_csv_dataset(label, opt),
                      Contains("l.csv:3") && Contains("\"maybe\" is not in the label list"));
    const auto range = tmp.write("r.csv", "text,label\nok,2\n");
    CHECK_THROWS_WITH(tb::read_csv_dataset(range, opt), Contains("r.csv:2") && Contains("\"2\""));
    const auto empty = tmp.write("e.csv", "text,label\n");
    CHECK_THROWS_WITH(tb::read_csv_dataset(empty), Contains("e.csv") && Contains("no records"));
}

TEST_CASE("JSONL splits on LF only: U+2028, U+2029, U+0085 and CR in strings are content") {
    const auto d = tb::read_jsonl_dataset(fixtures + "text.jsonl");
    REQUIRE(d.size() == 3);
    CHECK(d[0].text == "line\u2028sep and para\u2029sep");
    CHECK(d[1].text == "next\u0085line and a \r in it");
    CHECK(d[1].text_pair == "pair");
    CHECK(!d[2].text_pair);
    CHECK(d[2].label == 2);
    CHECK(d.label_names() == std::vector<std::string>{"0", "1", "2"});
    CHECK(tb::detect_format(fixtures + "text.jsonl") == tb::DatasetFormat::text_jsonl);
}

TEST_CASE("JSONL errors name the file and line") {
    TempDir tmp;
    const auto broken = tmp.write("b.jsonl", "{\"text\":\"a\",\"label\":0}\n{\"text\":\"b\",\"label\":\n");
    CHECK_THROWS_WITH(tb::read_jsonl_dataset(broken), Contains("b.jsonl:2"));
    const auto no_text = tmp.write("t.jsonl", "{\"text\":\"a\",\"label\":0}\n\n{\"label\":1}\n");
    CHECK_THROWS_WITH(tb::read_jsonl_dataset(no_text), Contains("t.jsonl:3") && Contains("\"text\""));
    const auto mixed = tmp.write("m.jsonl", "{\"text\":\"a\",\"label\":0}\n{\"text\":\"b\",\"label\":\"pos\"}\n");
    CHECK_THROWS_WITH(tb::read_jsonl_dataset(mixed), Contains("m.jsonl:1") && Contains("mixed"));
    tb::TextDatasetOptions opt;
    opt.label_names = {"neg", "pos"};
    const auto outside = tmp.write("o.jsonl", "{\"text\":\"a\",\"label\":\"pos\"}\n{\"text\":\"b\",\"label\":5}\n");
    CHECK_THROWS_WITH(tb::read_jsonl_dataset(outside, opt),
                      Contains("o.jsonl:2") && Contains("\"5\" is not in the label list"));
    const auto empty = tmp.write("e.jsonl", "\n\n");
    CHECK_THROWS_WITH(tb::read_jsonl_dataset(empty), Contains("e.jsonl") && Contains("no records"));
}

TEST_CASE("CoNLL tab file: blank lines, CRLF, missing final newline, derived sorted tags") {
    const auto d = tb::read_conll(fixtures + "ner.tsv");
    REQUIRE(d.size() == 2);
    CHECK(d[0].words == std::vector<std::string>{"Paris", "is", "nice"});
    CHECK(d[0].tags == std::vector<std::string>{"B-LOC", "O", "O"});
    CHECK(d[1].words.back() == "Corp");
    CHECK(d[1].words[1] == "Müller");
    CHECK(d.label_names() == std::vector<std::string>{"B-LOC", "B-ORG", "B-PER", "I-ORG", "I-PER", "O"});
    const auto w = tb::read_conll(fixtures + "ner.tsv", tb::wikiann_label_names());
    CHECK(w.label_names() == tb::wikiann_label_names());
    CHECK(tb::detect_format(fixtures + "ner.tsv") == tb::DatasetFormat::conll);
}

TEST_CASE("PAN-X lang: prefix is stripped, CoNLL-2003 columns take the last as tag") {
    const auto p = tb::read_conll(fixtures + "ner_panx.tsv", tb::wikiann_label_names());
    REQUIRE(p.size() == 2);
    CHECK(p[0].words == std::vector<std::string>{"Paris", ":", "en:x"});
    CHECK(p[1].words == std::vector<std::string>{"Anna"});
    const auto c = tb::read_conll(fixtures + "ner_conll2003.txt");
    REQUIRE(c.size() == 2);  // -DOCSTART- dropped
    CHECK(c[0].words == std::vector<std::string>{"EU", "rejects", "German"});
    CHECK(c[0].tags == std::vector<std::string>{"B-ORG", "O", "B-MISC"});
    CHECK(c[1].tags == std::vector<std::string>{"B-PER", "I-PER"});
    // Tokens that merely look prefixed in some lines are kept as they are.
    TempDir tmp;
    const auto mixed = tmp.write("m.tsv", "re:x\tO\nplain\tO\n");
    CHECK(tb::read_conll(mixed)[0].words[0] == "re:x");
}

TEST_CASE("CoNLL errors name the file and line") {
    TempDir tmp;
    const auto tag = tmp.write("t.tsv", "Paris\tB-LOC\n\nBob\tB-PERSON\n");
    CHECK_THROWS_WITH(tb::read_conll(tag, tb::wikiann_label_names()), Contains("t.tsv:3") && Contains("B-PERSON"));
    const auto cols = tmp.write("c.tsv", "Paris\tB-LOC\nlonely\n");
    CHECK_THROWS_WITH(tb::read_conll(cols), Contains("c.tsv:2"));
    const auto empty = tmp.write("e.tsv", "\n\n");
    CHECK_THROWS_WITH(tb::read_conll(empty), Contains("e.tsv") && Contains("no sentences"));
    CHECK_THROWS_WITH(tb::read_conll((tmp.path / "none.tsv").string()),
                      Contains("none.tsv") && Contains("cannot open"));
}

TEST_CASE("NER JSONL: tag ids index the label list, names are checked") {
    const auto d = tb::read_token_jsonl(fixtures + "ner.jsonl", tb::wikiann_label_names());
    REQUIRE(d.size() == 2);
    CHECK(d[0].tags == std::vector<std::string>{"B-LOC", "O", "O"});
    CHECK(d[1].tags == std::vector<std::string>{"B-PER", "I-PER"});
    CHECK(tb::detect_format(fixtures + "ner.jsonl") == tb::DatasetFormat::token_jsonl);
    CHECK_THROWS_WITH(tb::read_token_jsonl(fixtures + "ner.jsonl"),
                      Contains("ner.jsonl:1") && Contains("need a label list"));
    TempDir tmp;
    const auto big =
        tmp.write("b.jsonl", "{\"tokens\":[\"a\"],\"ner_tags\":[0]}\n{\"tokens\":[\"a\"],\"ner_tags\":[7]}\n");
    CHECK_THROWS_WITH(tb::read_token_jsonl(big, tb::wikiann_label_names()),
                      Contains("b.jsonl:2") && Contains("outside the label list"));
    const auto len = tmp.write("l.jsonl", "{\"tokens\":[\"a\",\"b\"],\"ner_tags\":[\"O\"]}\n");
    CHECK_THROWS_WITH(tb::read_token_jsonl(len), Contains("l.jsonl:1"));
    const auto unknown = tmp.write("u.jsonl", "{\"tokens\":[\"a\"],\"ner_tags\":[\"B-DATE\"]}\n");
    CHECK_THROWS_WITH(tb::read_token_jsonl(unknown, tb::wikiann_label_names()),
                      Contains("u.jsonl:1") && Contains("B-DATE"));
}

TEST_CASE("SQuAD v1.1: flattened in file order, code-point answer_start") {
    const auto d = tb::read_squad(fixtures + "squad_v1.json");
    REQUIRE(d.size() == 4);
    CHECK(d[0].id == "q1");
    CHECK(d[0].title == "Frédéric_Chopin");
    CHECK(d[0].answer_texts == std::vector<std::string>{"Żelazowa Wola", "Żelazowa Wola in 1810"});
    CHECK(d[0].answer_starts == std::vector<std::size_t>{28, 28});  // byte offset would be 30
    CHECK(d[1].question == " When did he move to Paris?");          // kept as is; features lstrip it
    CHECK(d[1].answer_starts == std::vector<std::size_t>{72});
    CHECK(d[2].answer_starts == std::vector<std::size_t>{0});
    CHECK(d[3].context == d[2].context);
    CHECK(tb::detect_format(fixtures + "squad_v1.json") == tb::DatasetFormat::squad);
    CHECK(tb::load_qa_dataset(fixtures + "squad_v1.json").size() == 4);
}

TEST_CASE("SQuAD v2.0: is_impossible questions have no answers") {
    const auto d = tb::read_squad(fixtures + "squad_v2.json");
    REQUIRE(d.size() == 2);
    CHECK(d[0].answer_texts == std::vector<std::string>{"東京"});
    CHECK(d[1].answer_texts.empty());
    CHECK(d[1].answer_starts.empty());
    CHECK(tb::detect_format(fixtures + "squad_v2.json") == tb::DatasetFormat::squad);  // multi-line document
}

TEST_CASE("SQuAD errors name the file and question") {
    TempDir tmp;
    const std::string ctx = "Żelazowa Wola";
    // "Wola" starts at code point 9 but at byte 10: a byte offset must be rejected.
    const auto shifted =
        tmp.write("s.json", R"({"data":[{"title":"t","paragraphs":[{"context":"Żelazowa Wola","qas":[)"
                            R"({"id":"ok","question":"?","answers":[{"text":"Wola","answer_start":9}]},)"
                            R"({"id":"bad1","question":"?","answers":[{"text":"Wola","answer_start":10}]}]}]}]})");
    CHECK_THROWS_WITH(tb::read_squad(shifted),
                      Contains("s.json") && Contains("question bad1") && Contains("answer_start 10"));
    const auto past = tmp.write(
        "p.json",
        R"({"data":[{"paragraphs":[{"context":"abc","qas":[{"id":"x","question":"?",)"
        R"("answers":[{"text":"bcd","answer_start":1}]}]}]}]})");
    CHECK_THROWS_WITH(tb::read_squad(past), Contains("question x"));
    const auto missing =
        tmp.write("m.json", R"({"data":[{"paragraphs":[{"context":"abc","qas":[{"id":"y","answers":[]}]}]}]})");
    CHECK_THROWS_WITH(tb::read_squad(missing),
                      Contains("m.json") && Contains("question y") && Contains("\"question\""));
    const auto empty = tmp.write("e.json", R"({"data":[]})");
    CHECK_THROWS_WITH(tb::read_squad(empty), Contains("e.json") && Contains("no questions"));
    const auto not_squad = tmp.write("n.json", R"({"rows":[]})");
    CHECK_THROWS_WITH(tb::read_squad(not_squad), Contains("n.json") && Contains("\"data\""));
}

TEST_CASE("format detection and task loaders reject mismatches") {
    TempDir tmp;
    CHECK_THROWS_WITH(tb::detect_format(tmp.path / "nothing.csv"), Contains("nothing.csv") && Contains("no such file"));
    const auto odd = tmp.write("data.parquet", "PAR1");
    CHECK_THROWS_WITH(tb::detect_format(odd), Contains("data.parquet") && Contains(".parquet"));
    CHECK_THROWS_WITH(tb::detect_format(tmp.path), Contains("pos/ and neg/"));
    CHECK_THROWS_WITH(tb::load_text_dataset(fixtures + "ner.tsv"), Contains("not a text-classification"));
    CHECK_THROWS_WITH(tb::load_token_dataset(fixtures + "squad_v1.json"), Contains("not a token-classification"));
    CHECK_THROWS_WITH(tb::load_qa_dataset(fixtures + "text.csv"), Contains("not a SQuAD"));
    CHECK(tb::load_text_dataset(fixtures + "imdb/train").size() == 4);
    CHECK(tb::load_token_dataset(fixtures + "ner.jsonl", tb::wikiann_label_names()).size() == 2);
}
