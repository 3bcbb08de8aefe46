// expect: T must be float or double
#include <tinybert/nn/bert.hpp>
int main() {
    tinybert::Bert<tinybert::Encoder<6>, tinybert::TokenClassification, tinybert::Cpu, int> model(tinybert::BertConfig{});
    return 0;
}
