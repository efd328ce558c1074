from rerec.training.offsets import byte_level_offsets


def test_spans_follow_the_sampled_tokens_even_when_non_canonical(tokenizer):
    ids = tokenizer("Step 1: Amélie (2001) ", add_special_tokens=False)["input_ids"]
    ids += tokenizer.convert_tokens_to_ids(["esc", "ape"]) + [tokenizer.eos_token_id]  # "escape" split as sampled
    text, spans = byte_level_offsets(tokenizer, ids)
    assert text == tokenizer.decode(ids, skip_special_tokens=True) == "Step 1: Amélie (2001) escape"
    assert len(spans) == len(ids) and spans[-1][0] == spans[-1][1] == len(text)  # special token: empty span
    assert [text[a:b] for a, b in spans[-3:-1]] == ["esc", "ape"]
    assert "".join(text[a:b] for a, b in spans) == text  # the spans tile the text, multi-byte "é" included
    assert tokenizer("escape", add_special_tokens=False)["input_ids"] != ids[-3:-1]  # re-tokenising would differ


def test_other_tokenizers_fall_back():
    class NotByteLevel:
        backend_tokenizer = None

    assert byte_level_offsets(NotByteLevel(), [1, 2]) is None
