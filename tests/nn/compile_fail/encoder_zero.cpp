// expect: a BERT encoder needs at least one layer
#include <tinybert/nn/bert.hpp>
int main() {
    tinybert::Bert<tinybert::Encoder<0>, tinybert::SequenceClassification> model(tinybert::BertConfig{});
    return 0;
}
