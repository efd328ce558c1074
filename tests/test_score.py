"""Training's reward and evaluation's score of one answer: equal where they should be, apart where they mean to be."""

from rerec.task.answer import Answer
from rerec.task.score import NO_ANSWER, answer_reward, score_answer, truth_ids

ROW = {
    "ground_truth": [{"item_id": "2", "title": "Alien (1979)"}, {"item_id": "9", "title": "Aliens (1986)"}],
    "candidates": [{"item_id": "1", "title": "Jaws (1975)"}, {"item_id": "2", "title": "Alien (1979)"}],
}


def both(answer: Answer, ungrounded_as_no_answer: bool = True) -> tuple[float, float]:
    reward = answer_reward(answer, truth_ids(ROW["ground_truth"]), 1, ungrounded_as_no_answer)
    return reward, score_answer(answer, ROW, 1, graph=None)["hit@1"]


def test_a_right_or_wrong_candidate_scores_the_same_in_training_and_evaluation():
    assert both(Answer(True, ("Alien",), ("2",))) == (1.0, 1.0)
    assert both(Answer(True, ("Jaws",), ("1",))) == (0.0, 0.0)


def test_no_answer_costs_the_reward_more_than_a_wrong_one_and_scores_zero_in_evaluation():
    assert both(Answer(False, (), ())) == (NO_ANSWER, 0.0)
    made_up = Answer(True, ("Heat",), (None,))
    assert both(made_up) == (NO_ANSWER, 0.0)
    assert both(made_up, ungrounded_as_no_answer=False) == (0.0, 0.0)
    assert score_answer(made_up, ROW, 1, graph=None)["failed"] == 1.0


def test_evaluation_builds_the_ideal_list_from_the_shown_candidates_only():
    two = Answer(True, ("Alien", "Jaws"), ("2", "1"))
    scores = score_answer(two, ROW, 2, graph=None)
    assert scores["recall@2"] == 1.0  # Aliens (1986) was not shown, so it cannot be missed
    assert answer_reward(two, truth_ids(ROW["ground_truth"]), 2) < 1.0  # the reward's ideal list holds both
