// expect: E must be Encoder<N>
#include <tinybert/nn/bert.hpp>
int main() {
    tinybert::Bert<tinybert::SequenceClassification, tinybert::Encoder<6>> model(tinybert::BertConfig{});
    return 0;
}
