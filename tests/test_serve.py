"""The assistant pipeline: whole-catalog retrieval, verified steps, premise warnings, chat refinement."""

from __future__ import annotations

import json

import pytest
from conftest import tiny_model
from serve_fixtures import ScriptedAssistant, movie_world

from rerec.data.catalog import Catalog, Item
from rerec.data.dataset import RecDataset
from rerec.data.grounding import TitleIndex
from rerec.serve.assistant import Assistant, AssistantConfig, Request, RequestError, UnknownUserError
from rerec.serve.dialogue import Dialogue
from rerec.serve.retrieval import RetrievalConfig, Retriever, SemanticIndex

WORLD = movie_world()
JAWS_STEPS = (
    "Step 1: Jaws (1975) was directed by Steven Spielberg.\n"
    "Step 2: Alien (1979) was directed by Steven Spielberg.\n"
    "Step 3: A fine choice.\n"
    "\\boxed{Close Encounters of the Third Kind (1977)}"
)


def retriever(n: int = 4, sources=("graph", "attributes", "popular")) -> Retriever:
    return Retriever(WORLD, TitleIndex(WORLD.catalog), cfg=RetrievalConfig(n, sources))


def test_mentions_find_titles_in_free_text():
    index = TitleIndex(WORLD.catalog)
    assert index.mentions("films by the director of Jaws, like Raiders of the Lost Ark (1981)") == ["1", "3"]
    assert index.mentions("a big heart, not Big") == ["7"]  # lower-case "big" is a word, capitalised "Big" a title
    assert index.mentions("Heat") == ["6"] and index.mentions("Heat 1995 please") == ["6"]
    assert index.mentions("nothing named here") == [] and index.mentions(None) == []


def test_graph_neighbours_through_the_named_relation_then_popular_filler():
    found = retriever().retrieve("films by the director of Jaws")
    assert found.linked == ["1"]
    assert found.candidates == ["2", "3", "4", "5"]  # Spielberg's other films, then the filler; Jaws itself is a hint
    assert found.sources == {"2": ["graph"], "3": ["graph"], "4": ["popular"], "5": ["popular"]}


def test_named_attributes_and_decades_are_read_from_the_query():
    r = retriever()
    assert set(r.mentioned_attributes("a 90s comedy")) == {"genre:Comedy", "decade:1990s"}
    assert set(r.mentioned_attributes("a Sci-Fi film of the 1970s")) == {"genre:Sci-Fi", "decade:1970s"}
    assert r.by_attributes("a 90s comedy") == ["8", "6", "7"]  # both conditions first, then one, catalog order


def test_a_named_person_retrieves_their_films_in_the_role_asked():
    r = retriever()
    assert r.mentioned_attributes("something by Spielberg") == ["person:spielberg"]
    assert r.by_attributes("a Speilberg film") == ["1", "2", "3"]
    assert r.by_attributes("films starring Harrison Ford") == ["3", "5"]
    assert r.by_attributes("films directed by Harrison Ford") == ["3", "5"]  # no such role: any role he has
    found = r.retrieve("a Sci-Fi film directed by Ridley Scott")
    assert found.candidates[:2] == ["4", "5"] and "attributes" in found.sources["4"]


def test_exclusions_years_and_known_users_filter_candidates():
    r = retriever(8)
    assert r.retrieve("anything", exclude=["2", "3"]).candidates == ["1", "4", "5", "6", "7", "8"]
    assert r.retrieve("anything", years=(None, 1979)).candidates == ["1", "2", "4"]
    liked_by_u0 = set(WORLD.interactions.positives("u0"))
    assert liked_by_u0 and not liked_by_u0 & set(r.retrieve("anything", user_id="u0").candidates)


def test_semantic_index_is_cached_and_ranks_by_meaning(tmp_path):
    index = SemanticIndex(WORLD, cache=tmp_path)
    (cached,) = tmp_path.glob("minilm-*.safetensors")
    again = SemanticIndex(WORLD, cache=tmp_path)
    assert (again.matrix == index.matrix).all() and list(tmp_path.glob("*")) == [cached]
    assert index.ids[int(index.scores("Men in Black, a comedy about aliens").argmax())] == "8"


def test_answer_grounds_ranks_and_verifies_each_step():
    assistant = ScriptedAssistant(WORLD, [JAWS_STEPS], num_candidates=4)
    response = assistant.answer(Request("films by the director of Jaws", k=3))
    assert [i["item_id"] for i in response.items] == ["2", "3", "4"]
    assert [i["score"] for i in response.items] == [1.0, 0.25, pytest.approx(0.1667)]
    assert response.items[0]["by"] == ["model", "graph"] and response.items[0]["year"] == 1977
    assert [s["verdict"] for s in response.steps] == ["true", "false", "unknown"]
    assert response.steps[1]["facts"] == [
        {"item": "Alien (1979)", "relation": "directed_by", "verdict": "false", "entity": "Steven Spielberg"}
    ]
    assert response.warnings == []
    prompt = assistant.prompts[0][1]["content"]
    assert "Candidates:\n1. Close Encounters of the Third Kind (1977)" in prompt
    lines = prompt.split("Facts:\n")[1].splitlines()  # the hinted film's facts reach the model, grouped by entity
    spielberg = next(line for line in lines if line.startswith("directed_by Steven Spielberg: "))
    assert "Jaws (1975)" in spielberg and "Close Encounters of the Third Kind (1977)" in spielberg


def test_unboxed_or_ungrounded_answers_fall_back_to_retrieval_order_with_a_warning():
    for text, warning in (("I cannot say.", "no \\boxed{}"), ("\\boxed{Titanic (1997)}", "names no candidate")):
        response = ScriptedAssistant(WORLD, [text], num_candidates=4).answer(Request("films by the director of Jaws"))
        assert [i["item_id"] for i in response.items] == ["2", "3", "4", "5"]
        assert [i["score"] for i in response.items] == [0.5, 0.25, pytest.approx(0.1667), 0.125]
        assert any(warning in w for w in response.warnings)


WRONG_FIRST = (
    "Step 1: Heat (1995) is a Sci-Fi film from the 1970s.\n"  # both claims false: Heat is 1990s crime
    "Step 2: Alien (1979) is a Sci-Fi film from the 1970s.\n"
    "Step 3: Alien (1979) has the same director as Alien (1979).\n"  # a tautology: no evidence
    "\\boxed{Heat (1995); Alien (1979)}"
)


def test_a_pick_its_own_steps_refute_is_moved_down_and_the_answer_says_why():
    assistant = ScriptedAssistant(WORLD, [WRONG_FIRST], num_candidates=8)  # the whole catalog: Heat is a candidate
    response = assistant.answer(Request("a sci-fi film from the 1970s", k=8))
    titles = [i["title"] for i in response.items]
    assert titles[0] == "Alien (1979)" and titles[-1] == "Heat (1995)"
    assert response.items[-1]["refuted"] and not any(i["refuted"] for i in response.items[:-1])
    assert response.items[-1]["by"][0] == "model"
    assert response.warnings == [
        "moved Heat (1995) down: the knowledge graph contradicts what the answer says of it "
        "(genre: Sci-Fi; decade: 1970s)"
    ]
    assert [s["verdict"] for s in response.steps] == ["false", "true", "unknown"]  # the tautology proves nothing
    kept = ScriptedAssistant(WORLD, [WRONG_FIRST], num_candidates=8, demote_refuted=False)
    assert kept.answer(Request("a sci-fi film from the 1970s", k=8)).items[0]["title"] == "Heat (1995)"


def test_a_refuted_answer_leads_with_the_one_candidate_the_graph_confirms():
    text = "Step 1: Blade Runner (1982) is a Horror film.\n\\boxed{Blade Runner (1982); Heat (1995)}"
    request = Request("a Horror film directed by Ridley Scott", k=8)
    response = ScriptedAssistant(WORLD, [text], num_candidates=8).answer(request)
    assert response.items[0]["title"] == "Alien (1979)" and "graph" in response.items[0]["by"]
    assert response.items[-1]["title"] == "Blade Runner (1982)"  # refuted, so still moved down
    assert response.warnings[0] == (
        "put Alien (1979) first: a step of the answer is refuted by the knowledge graph, and it is the only "
        "candidate the graph confirms for everything the request names (Horror; Ridley Scott)"
    )
    unchecked = ScriptedAssistant(WORLD, [text], num_candidates=8, graph_check=False).answer(request)
    assert unchecked.items[0]["title"] == "Heat (1995)"
    # the confirmed candidate is itself a refuted pick: it is not put first (a refuted pick never is)
    claimed = "Step 1: Alien (1979) is a Comedy title.\n\\boxed{Heat (1995); Alien (1979)}"
    response = ScriptedAssistant(WORLD, [claimed], num_candidates=8).answer(request)
    assert response.items[0]["title"] != "Alien (1979)" and response.items[-1]["title"] == "Alien (1979)"
    assert not any(w.startswith("put ") for w in response.warnings)


def test_asking_for_more_items_than_were_retrieved_is_said():
    response = ScriptedAssistant(WORLD, [JAWS_STEPS], num_candidates=4).answer(Request("a film like Jaws", k=9))
    assert len(response.items) < 9
    assert any("of the 9 items asked for: only 4 candidates" in w for w in response.warnings)


def test_a_false_premise_in_the_query_is_reported():
    assistant = ScriptedAssistant(WORLD, [JAWS_STEPS])
    wrong = assistant.answer(Request("films by the director of Jaws (the same director as Alien, I think)", k=3))
    assert wrong.warnings == [
        "the knowledge graph has no director shared by Jaws (1975) and Alien (1979): one of those hints is wrong"
    ]
    right = assistant.answer(Request("films by the director of both Jaws and Raiders of the Lost Ark", k=3))
    assert right.warnings == []
    no_claim = assistant.answer(Request("a film directed like Jaws or Alien", k=3))  # no sharing cue: no premise
    assert no_claim.warnings == []


@pytest.mark.parametrize(
    ("request_", "error", "message"),
    [
        (Request(""), RequestError, "empty"),
        (Request("   "), RequestError, "empty"),
        (Request("x" * 2001), RequestError, "limit is 2000"),
        (Request("a comedy", k=0), RequestError, "1 to 50"),
        (Request("a comedy", k=51), RequestError, "1 to 50"),
        (Request("a comedy", user_id="nobody"), UnknownUserError, "unknown user 'nobody'"),
        (Request("a comedy", liked=["Alien", "Solaris"]), RequestError, "not in the catalog: Solaris"),
    ],
)
def test_bad_requests_get_clear_errors_before_any_generation(request_, error, message):
    assistant = ScriptedAssistant(WORLD, ["\\boxed{Big}"])
    with pytest.raises(error, match=message):
        assistant.answer(request_)
    assert assistant.prompts == []


def test_liked_titles_steer_retrieval_and_reach_the_prompt():
    assistant = ScriptedAssistant(WORLD, ["\\boxed{Blade Runner}"], num_candidates=3)
    response = assistant.answer(Request("something good", liked=["Alien"]))
    assert response.candidates[0] == "5" and "4" not in response.candidates  # Ridley Scott; Alien itself is out
    assert "I liked Alien (1979)." in assistant.prompts[0][1]["content"]


def test_dialogue_follow_ups_refine_the_previous_request():
    assistant = ScriptedAssistant(WORLD, [JAWS_STEPS], num_candidates=4)
    chat = Dialogue(k=4)
    first = chat.next_request("films by the director of Jaws")
    chat.record("films by the director of Jaws", assistant.answer(first))
    second = chat.next_request("not that one")
    assert second.exclude == ["2"] and second.query == "films by the director of Jaws"
    assert second.history[0] == {"role": "user", "content": "films by the director of Jaws"}
    assert second.history[1]["content"] == JAWS_STEPS
    chat.record("not that one", assistant.answer(second))
    third = chat.next_request("something older, not Blade Runner", TitleIndex(WORLD.catalog).ground)
    assert third.years == (None, 1980) and "5" in third.exclude  # older than Raiders (1981), the new top pick
    assert third.query == "films by the director of Jaws"
    fourth = chat.next_request("none of these, but with a Sci-Fi twist")
    assert fourth.query.endswith("none of these, but with a Sci-Fi twist")


def test_real_generation_with_a_tiny_model(tokenizer):
    cfg = AssistantConfig(sources=["graph", "popular"], num_candidates=3, max_new_tokens=6)
    assistant = Assistant(WORLD, tiny_model(tokenizer), tokenizer, cfg)
    responses = assistant.answer_batch([Request("films by the director of Jaws"), Request("a comedy", k=2)])
    assert [len(r.items) for r in responses] == [3, 2]
    assert all(r.timings["tokens"] <= 6 and r.timings["generation_s"] > 0 for r in responses)
    json.dumps([r.as_dict() for r in responses])  # the API returns it as is


def test_recommend_command_loads_a_saved_model(prepared, tokenizer, tmp_path, capsys):
    from rerec.cli import main

    folder = tmp_path / "tiny"
    tiny_model(tokenizer).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    argv = ["recommend", "films by the director of Jaws (1975)", "--model", str(folder), "--prepared", str(prepared),
            "--sources", "graph", "popular", "--max_new_tokens", "4", "-k", "3", "--json"]  # fmt: skip
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["items"]) == 3 and set(out) >= {"steps", "warnings", "timings"}
    assert main([*argv[:-1], "--user", "no-such-user"]) == 2


def test_chat_command_refines_across_turns(monkeypatch, capsys):
    from rich.console import Console

    from rerec.serve import console

    scripted = ScriptedAssistant(WORLD, [JAWS_STEPS], num_candidates=4)
    lines = iter(["films by the director of Jaws", "not that one", ""])
    monkeypatch.setattr(console.Assistant, "load", classmethod(lambda cls, cfg: scripted))
    monkeypatch.setattr(Console, "input", lambda self, prompt="": next(lines))
    assert console.chat(AssistantConfig(), None, 3) == 0
    out = capsys.readouterr().out
    assert out.count("Close Encounters of the Third Kind (1977)") >= 1 and "✗" in out and "✓" in out
    second_prompt = scripted.prompts[1]
    assert [m["role"] for m in second_prompt] == ["system", "user", "assistant", "user"]
    assert "Close Encounters" not in second_prompt[-1]["content"].split("Candidates:")[1].split("Facts:")[0]


def test_copies_of_an_item_under_two_ids_count_as_one():
    catalog = Catalog([*WORLD.catalog, Item("9", "Jaws", 1975, {"genre": ("Thriller",)})], noun="movie")
    twin = RecDataset("twin", catalog, WORLD.graph, WORLD.interactions, WORLD.users, WORLD.hop_relations)
    r = Retriever(twin, TitleIndex(catalog), cfg=RetrievalConfig(8, ("graph", "popular")))
    found = r.retrieve("films by the director of Jaws (1975)")
    assert found.linked == ["1"] and "9" not in found.candidates  # the hint's copy is a hint too
    assert r.retrieve("anything", exclude=["9"]).candidates == ["2", "3", "4", "5", "6", "7", "8"]
