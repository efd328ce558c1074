"""Natural-language phrasing of conditions, profiles and whole queries.

Several templates per type so that queries do not all read alike; the choice is drawn from the generator's
seeded RNG. Relations without an entry here fall back to a generic phrase, so a user's own graph works too.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

# relation -> (verb phrase before a name or a hint, role noun used in hints)
RELATION_PHRASES: dict[str, tuple[str, str]] = {
    "directed_by": ("directed by", "director"),
    "starring": ("starring", "actor"),
    "written_by": ("written by", "writer"),
    "produced_by": ("produced by", "producer"),
    "cinematography": ("shot by", "cinematographer"),
    "production_company": ("made by", "studio"),
    "author": ("written by", "author"),
    "publisher": ("published by", "publisher"),
    "language": ("in", "language"),
    "country": ("made in", "country"),
}
# Last words of country names that take "the".
DEFINITE_COUNTRIES = ("States", "Kingdom", "Union", "Republic", "Netherlands", "Philippines", "Emirates")
CONSUME_VERB = {"movie": "watch", "book": "read"}

CONDITION_TEMPLATES = (
    "Can you recommend some {noun}s {clauses}?",
    "I'm looking for a {noun} {clauses}. Any suggestions?",
    "Please suggest {noun}s {clauses}.",
    "What are some good {noun}s {clauses}?",
    "I'd like to find a {noun} {clauses} - what would you recommend?",
)
MISINFORMED_ASIDES = (
    " (the same {role} as in {false}, if I remember right)",
    " (who, I believe, was also the {role} of {false})",
    " (I think that's the {role} of {false} too)",
)
MISINFORMED_NAME_ASIDES = (
    ", {false}, if I remember right",
    " (that's {false}, I believe)",
    " (I think the {role} was {false})",
)
INTEREST_TEMPLATES = (
    "I recently enjoyed {titles}. What should I {verb} next?",
    "Based on my love of {titles}, can you recommend another {noun}?",
    "{titles} are some of my recent favourites. Which {noun} would I like next?",
    "I've been into {titles} lately. Any {noun} you think I'd enjoy?",
)
DEMOGRAPHIC_TEMPLATES = (
    "I'm {profile}. What {noun}s would you recommend?",
    "As {profile}, which {noun}s might I enjoy?",
    "Recommend some {noun}s for me: I'm {profile}.",
)
GENDER_NOUN = {"M": "man", "F": "woman", "Male": "man", "Female": "woman"}


def join_and(parts: Sequence[str]) -> str:
    """`["a"] -> "a"`, `["a", "b", "c"] -> "a, b and c"`."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _verb_role(relation: str) -> tuple[str, str]:
    label = relation.replace("_", " ")
    return RELATION_PHRASES.get(relation, (f"with the {label}", label))


def role_noun(relation: str) -> str:
    """ "directed_by" -> "director": how a hint names the entity's role."""
    return _verb_role(relation)[1]


def explicit_clause(relation: str, names: Sequence[str]) -> str:
    """Stated conditions of one relation: "in the Crime and Drama genres", "from the 1990s", "written by X"."""
    joined = join_and(list(names))
    if relation == "genre":
        return f"in the {joined} genre" + ("s" if len(names) > 1 else "")
    if relation == "decade":
        return f"from the {joined}"
    if relation == "country":  # "made in the United Kingdom", "made in France"
        return "made in " + join_and([f"the {n}" if n.split()[-1] in DEFINITE_COUNTRIES else n for n in names])
    verb, _role = _verb_role(relation)
    return f"{verb} {joined}"


def hop_clause(relation: str, via_titles: Sequence[str]) -> str:
    """A condition reached through other items: "directed by the director of Jaws (1975)"."""
    verb, role = _verb_role(relation)
    via = via_titles[0] if len(via_titles) == 1 else "both " + join_and(list(via_titles))
    return f"{verb} the {role} of {via}"


def misinformed_aside(relation: str, false_titles: Sequence[str], rng: random.Random) -> str:
    """The false hint attached to a hop clause; the hop clause stays the true condition."""
    _verb, role = _verb_role(relation)
    return rng.choice(MISINFORMED_ASIDES).format(role=role, false=join_and(list(false_titles)))


def misinformed_name(relation: str, false_name: str, rng: random.Random) -> str:
    """A false hint that names the wrong entity itself: "the director of Jaws (1975), James Cameron"."""
    _verb, role = _verb_role(relation)
    return rng.choice(MISINFORMED_NAME_ASIDES).format(role=role, false=false_name)


def condition_query(noun: str, clauses: Sequence[str], rng: random.Random) -> str:
    return rng.choice(CONDITION_TEMPLATES).format(noun=noun, clauses=join_and(list(clauses)))


def interest_query(noun: str, titles: Sequence[str], rng: random.Random) -> str:
    verb = CONSUME_VERB.get(noun, "try")
    return rng.choice(INTEREST_TEMPLATES).format(noun=noun, verb=verb, titles=join_and(list(titles)))


def profile_phrase(age_group: str | None, gender: str | None, occupation: str | None) -> str:
    """ "a woman aged 25-34 who works as a programmer"."""
    phrase = "a " + GENDER_NOUN.get(gender or "", "person")
    if age_group:
        age = {"Under 18": "under 18", "56+": "56 or over"}.get(age_group, age_group)
        phrase += f" aged {age}"
    if occupation:
        article = "an" if occupation[:1].lower() in "aeiou" else "a"
        phrase += f" who works as {article} {occupation}"
    return phrase


def demographic_query(noun: str, profile: str, rng: random.Random) -> str:
    return rng.choice(DEMOGRAPHIC_TEMPLATES).format(noun=noun, profile=profile)
