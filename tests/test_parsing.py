from rerec.task.parsing import box_span, boxed_answer, clean_item, completion_text, parse_items, segments, step_text


def test_first_box_with_nested_braces():
    text = "Step 1: x\n\\boxed{A {weird} title; B} and later \\boxed{C}"
    assert boxed_answer(text) == "A {weird} title; B"
    assert parse_items(text) == ["A {weird} title", "B"]


def test_no_box_unclosed_box_and_empty_box():
    assert parse_items("I recommend Jaws") is None
    assert parse_items("\\boxed{Jaws") is None
    assert parse_items("\\boxed{}") == []
    assert parse_items("\\boxed{ ; ;}") == []


def test_lists_markdown_quotes_years_and_duplicates():
    text = '\\boxed{1. **"Jaws (1975)"**\n2) `Alien (1979)`; - Alien (1979); \\text{Heat (1995)}}'
    assert parse_items(text) == ["Jaws (1975)", "Alien (1979)", "Heat (1995)"]
    assert clean_item("  #1: ‘Amélie’.  ") == "Amélie"


def test_think_tags():
    assert parse_items("<think>maybe \\boxed{Wrong}</think> so \\boxed{Right}") == ["Right"]
    assert parse_items("<think>only here \\boxed{Inside}</think> done") == ["Inside"]


def test_conversational_completions():
    assert completion_text([{"role": "assistant", "content": "\\boxed{X}"}]) == "\\boxed{X}"
    assert completion_text([{"role": "user", "content": "q"}]) == ""
    assert completion_text(None) == ""  # type: ignore[arg-type]


def test_segments_carry_offsets_and_stop_at_the_box():
    text = "Step 1: Jaws is a thriller.\n\n  Step 2: Alien is sci-fi.\nSo:\n\\boxed{Jaws}"
    segs = segments(text)
    assert [s.text for s in segs] == ["Step 1: Jaws is a thriller.", "Step 2: Alien is sci-fi.", "So:"]
    assert all(text[s.start : s.end] == s.text for s in segs)
    assert step_text(segs[1]) == "Alien is sci-fi."
    assert box_span(text)[0] > segs[-1].end


def test_unicode_and_huge_input():
    assert parse_items("\\boxed{Amélie (2001); 千と千尋の神隠し}") == ["Amélie (2001)", "千と千尋の神隠し"]
    junk = "{" * 50_000 + "\\boxed{" + "}" * 10
    assert parse_items(junk) == []
