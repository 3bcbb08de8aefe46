// tinybert/nn/bert.hpp: Bert<Encoder<N>, Head, Device, T>, a whole Hugging Face BERT model as one type (the
// EncoderModel of BertFamily, nn/model.hpp): embeddings, N encoder layers, the pooler when the head uses it, and the
// head. Parameter names are the checkpoint's (`bert.` prefix for head models, none for the bare BertModel).
//   using Model = tinybert::Bert<tinybert::Encoder<6>, tinybert::SequenceClassification>;
//   auto model = Model::from_pretrained("all-MiniLM-L6-v2", {.labels = {"neg", "pos"}});
#pragma once

#include "tinybert/nn/families/bert.hpp"
#include "tinybert/nn/model.hpp"

namespace tinybert {

template <class E, class Head = NoHead, class Device = Cpu, class T = float>
using Bert = EncoderModel<BertFamily, E, Head, Device, T>;

}  // namespace tinybert
