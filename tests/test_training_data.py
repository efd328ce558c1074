from rerec.training.data import balanced_subset


def test_balanced_subset_takes_types_round_robin_in_file_order():
    records = [{"type": t, "n": i} for i, t in enumerate("aaaabbc")]
    picked = balanced_subset(records, 5)
    assert [(r["type"], r["n"]) for r in picked] == [("a", 0), ("b", 4), ("c", 6), ("a", 1), ("b", 5)]
    assert sorted(r["n"] for r in balanced_subset(records, 100)) == list(range(7))
