import pytest

from rerec.task.rows import balanced_subset


def test_balanced_subset_takes_types_round_robin_in_file_order():
    records = [{"type": t, "n": i} for i, t in enumerate("aaaabbc")]
    picked = balanced_subset(records, 5)
    assert [(r["type"], r["n"]) for r in picked] == [("a", 0), ("b", 4), ("c", 6), ("a", 1), ("b", 5)]
    assert sorted(r["n"] for r in balanced_subset(records, 100)) == list(range(7))


def test_a_run_records_its_queries_and_a_later_run_leaves_them_out(prepared, tmp_path):
    from rerec.task.prompts import PromptConfig
    from rerec.task.rows import QUERIES, TrainDataArguments, load_split, write_query_ids

    prompt = PromptConfig(max_candidates=4, max_facts=8)
    warm, _ = load_split(TrainDataArguments(prepared=str(prepared), max_queries=6), prompt, "candidates")
    write_query_ids(tmp_path / "sft", warm)
    assert (tmp_path / "sft" / QUERIES).read_text().split() == warm["id"]
    rl, _ = load_split(
        TrainDataArguments(prepared=str(prepared), max_queries=6, exclude_queries=str(tmp_path / "sft")),
        prompt,
        "candidates",
    )
    assert len(rl) == 6 and not set(rl["id"]) & set(warm["id"])
    assert sorted({row["type"] for row in rl}) == sorted({row["type"] for row in warm})  # still round-robin


def test_excluding_queries_of_a_run_that_never_started_is_a_clear_error(tmp_path):
    from rerec.task.rows import excluded_ids

    (tmp_path / "sft").mkdir()
    with pytest.raises(FileNotFoundError, match="queries.txt not found"):
        excluded_ids(tmp_path / "sft")
