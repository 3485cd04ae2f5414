"""The rules extractor on hand-written conversations: facts, entities, relations, dates,
procedures, and silence where nothing is stated."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from memsvc.operations.extract.rules import RulesExtractor
from memsvc.operations.extract.speech import third_person
from memsvc.operations.extract.types import (
    ExtractionContext,
    ExtractionResult,
    Extractor,
    KnownEntity,
)

from memsvc.domain import Granularity, MemoryUnit, Scope

SCOPE = Scope("tenant", "user-1", None, "session-1")
MONDAY = datetime(2023, 5, 8, 14, 0, tzinfo=UTC)


def turn(
    position: int,
    content: str,
    role: str = "user",
    speaker: str | None = None,
    when: datetime | None = MONDAY,
    metadata: dict[str, Any] | None = None,
) -> MemoryUnit:
    attributes: dict[str, Any] = {"role": role, "speaker": speaker, "position": position}
    if metadata:
        attributes["metadata"] = metadata
    return MemoryUnit(
        id=f"turn-{position}",
        scope=SCOPE,
        granularity=Granularity.TURN,
        content=content,
        attributes=attributes,
        occurred_at=when,
    )


def extract(*turns: MemoryUnit, **context: Any) -> ExtractionResult:
    return RulesExtractor().extract(list(turns), ExtractionContext(scope=SCOPE, **context))


def triples(result: ExtractionResult) -> set[tuple[str, str | None, str | None]]:
    return {(f.subject, f.predicate, f.object) for f in result.facts}


def texts(result: ExtractionResult) -> list[str]:
    return [f.text for f in result.facts]


def test_a_pet_becomes_a_standalone_fact_an_entity_and_a_relation() -> None:
    result = extract(turn(0, "I have a dog named Rex."))

    [fact] = result.facts
    assert fact.text == "The user has a dog named Rex."
    assert (fact.subject, fact.predicate, fact.object, fact.kind) == (
        "the user",
        "has_pet",
        "Rex",
        "fact",
    )
    assert fact.source_turn_ids == ["turn-0"]
    assert fact.producer == "rules/3"
    assert 0.5 < fact.confidence <= 1.0
    assert [(e.name, e.type) for e in result.entities] == [("Rex", "pet")]
    [relation] = result.relations
    assert (relation.source, relation.label, relation.target) == ("the user", "has_pet", "Rex")
    assert relation.valid_from == MONDAY
    assert relation.source_turn_ids == ["turn-0"]


def test_a_named_speakers_statements_are_facts_about_that_speaker() -> None:
    result = extract(
        turn(0, "I went to a LGBTQ support group yesterday and it was so powerful.", speaker="Ana"),
        turn(1, "That's amazing! My dog's name is Bolt, by the way.", speaker="Ben"),
    )

    assert texts(result) == [
        "Ana went to a LGBTQ support group on 7 May 2023.",
        "Ben's dog is named Bolt.",
    ]
    assert triples(result) == {
        ("Ana", "attended", "LGBTQ support group"),
        ("Ben", "has_pet", "Bolt"),
    }
    assert result.facts[0].occurred_at == datetime(2023, 5, 7, tzinfo=UTC)
    assert {(e.name, e.type) for e in result.entities} == {
        ("Ana", "person"),
        ("Ben", "person"),
        ("Bolt", "pet"),
    }


@pytest.mark.parametrize(
    ("message", "sentence", "occurred"),
    [
        (
            "I bought a new bike yesterday.",
            "The user bought a new bike on 7 May 2023.",
            "2023-05-07",
        ),
        (
            "Last week, I joined a book club.",
            "The user joined a book club in the week of 1 May 2023.",
            "2023-05-01",
        ),
        (
            "I'm flying to Berlin next Friday.",
            "The user is flying to Berlin on 19 May 2023.",
            "2023-05-19",
        ),
        (
            "I started learning Spanish two weeks ago.",
            "The user started learning Spanish in the week of 24 April 2023.",
            "2023-04-24",
        ),
        (
            "We moved to Austin last year.",
            "The user and others moved to Austin in 2022.",
            "2022-01-01",
        ),
    ],
)
def test_relative_dates_become_absolute(message: str, sentence: str, occurred: str) -> None:
    [fact] = extract(turn(0, message)).facts

    assert fact.text == sentence
    assert fact.occurred_at is not None
    assert fact.occurred_at.date().isoformat() == occurred


def test_a_state_since_a_date_is_valid_from_that_date() -> None:
    [fact] = extract(turn(0, "I've lived in Denver since 2015.")).facts

    assert (fact.predicate, fact.object) == ("lives_in", "Denver")
    assert fact.text == "The user has lived in Denver since 2015."
    assert fact.valid_from == datetime(2015, 1, 1, tzinfo=UTC)


def test_a_turn_without_a_time_keeps_relative_phrases_and_no_dates() -> None:
    [fact] = extract(turn(0, "I visited Lisbon last week.", when=None)).facts

    assert fact.text == "The user visited Lisbon last week."
    assert fact.occurred_at is None and fact.valid_from is None


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("I live in Portland with my partner.", {("lives_in", "Portland")}),
        ("I work at Stripe as a data analyst.", {("works_at", "Stripe")}),
        ("I'm a nurse, so my shifts are long.", {("is", "nurse")}),
        ("I'm allergic to peanuts.", {("allergic_to", "peanuts")}),
        ("I'm 34 years old.", {("age", "34")}),
        ("My favorite band is Radiohead.", {("favorite_band", "Radiohead")}),
        (
            "I love hiking, camping and swimming.",
            {("likes", "hiking"), ("likes", "camping"), ("likes", "swimming")},
        ),
        ("Honestly I can't stand cilantro.", {("dislikes", "cilantro")}),
        ("I don't like crowded beaches.", {("dislikes", "crowded beaches")}),
        ("I prefer tea over coffee.", {("prefers", "tea")}),
        ("I'm planning to visit Japan next spring.", {("plans_to", "visit Japan")}),
        ("I want to learn how to play the guitar.", {("wants_to", "learn how to play the guitar")}),
        ("I've been playing the piano for twelve years.", {("practices", "playing the piano")}),
        ("My sister Maria lives in Madrid.", {("has_sister", "Maria")}),
        (
            "I graduated from the University of Michigan in 2018.",
            {("graduated_from", "University of Michigan")},
        ),
    ],
)
def test_first_person_patterns(message: str, expected: set[tuple[str, str]]) -> None:
    result = extract(turn(0, message))

    assert {(f.predicate, f.object) for f in result.facts} == expected
    assert all(f.subject == "the user" for f in result.facts)


def test_reactions_to_a_definite_thing_are_weak_preferences() -> None:
    [reaction] = extract(turn(0, "Wow, I love the colours in the sky.")).facts
    [general] = extract(turn(0, "I love sunsets.")).facts

    assert (reaction.predicate, reaction.object) == ("likes", "colours in the sky")
    assert reaction.confidence < 0.6 < general.confidence


def test_verbs_agree_with_the_named_speaker() -> None:
    result = extract(
        turn(0, "I really enjoy baking bread. I'm into jazz. I have two kids.", speaker="Sam")
    )

    assert texts(result) == [
        "Sam really enjoys baking bread.",
        "Sam is into jazz.",
        "Sam has two kids.",
    ]
    assert third_person("watch") == "watches" and third_person("try") == "tries"
    assert third_person("went") == "went" and third_person("can't") == "can't"


@pytest.mark.parametrize(
    "message",
    [
        "That sounds like a wonderful trip! I hope you have a great time in Japan.",
        "I love that idea! Let me know if you need any help planning it.",
        "I'm an AI assistant, so I don't have personal experiences, but I can help.",
        "I'll remember that you prefer vegetarian recipes.",
        "I have a few suggestions for your trip to Lisbon.",
    ],
)
def test_assistant_small_talk_yields_nothing(message: str) -> None:
    result = extract(turn(0, message, role="assistant"))

    assert (result.facts, result.entities, result.relations) == ([], [], [])


@pytest.mark.parametrize(
    "message",
    [
        "Do you know any good restaurants in Boston?",
        "Should I move to Seattle or stay in Austin?",
        "Is it weird that I love pineapple on pizza?",
        "If I get the promotion, I'll buy a house.",
        "I would love to live in Italy someday.",
        "I wish I had a dog.",
        "Maybe I'll learn to surf next summer.",
        "I might adopt a cat next year.",
        "I don't have any pets.",
        "I've never been to Europe.",
        "I'm not planning to move anytime soon.",
        "I used to live in Boston.",
        "Thanks, I'll check it out!",
        "I'll definitely keep that in mind.",
        "I love it!",
        "I've been thinking about trying yoga for weeks.",
    ],
)
def test_questions_wishes_negations_and_chatter_state_no_fact(message: str) -> None:
    result = extract(turn(0, message))

    assert result.facts == []
    assert result.relations == []


def test_questions_name_no_entities_but_statements_do() -> None:
    asked = extract(turn(0, "Have you ever been to Iceland?"))
    told = extract(turn(0, "I've never been to Europe."))

    assert asked.entities == []
    assert [(e.name, e.type) for e in told.entities] == [("Europe", "place")]


def test_entities_are_typed_by_lists_suffixes_and_context() -> None:
    result = extract(
        turn(0, "I moved to Vancouver in 2021."),
        turn(1, "My best friend Anna Smith works at a bakery on Elm Street."),
        turn(2, "I graduated from Oberlin College and now I work at Initech."),
        turn(3, "Last weekend we went to the Harvest Festival with Anna."),
    )

    found = {e.name: e.type for e in result.entities}
    assert found == {
        "Vancouver": "place",
        "Anna Smith": "person",
        "Elm Street": "place",
        "Oberlin College": "organisation",
        "Initech": "organisation",
        "Harvest Festival": "event",
    }
    anna = next(e for e in result.entities if e.name == "Anna Smith")
    assert anna.aliases == ["Anna"]  # the first name, used alone later in the batch
    assert anna.source_turn_ids == ["turn-1", "turn-3"]


def test_sentence_initial_capitals_are_not_entities() -> None:
    result = extract(turn(0, "Painting is my new hobby. Yesterday was fun. Honestly I loved it."))

    assert result.entities == []


def test_the_gazetteer_recognises_known_entities_and_their_aliases() -> None:
    known = (KnownEntity("Acme Robotics", "organisation", ("Acme",)), KnownEntity("Mochi", "pet"))
    result = extract(
        turn(0, "I had lunch with the Acme folks and then walked Mochi."), known_entities=known
    )

    assert {(e.name, e.type, tuple(e.aliases)) for e in result.entities} == {
        ("Acme Robotics", "organisation", ("Acme",)),
        ("Mochi", "pet", ()),
    }


def test_aliases_are_linked_only_on_evidence() -> None:
    explicit = extract(turn(0, "My cousin Melanie (Mel) is visiting."))
    unlinked = extract(turn(0, "My cousin Melanie is visiting."), turn(1, "Mel called me."))

    assert [(e.name, e.aliases) for e in explicit.entities] == [("Melanie", ["Mel"])]
    assert all(e.aliases == [] for e in unlinked.entities)


def test_relations_join_the_speaker_to_entities_in_fact_objects() -> None:
    later = datetime(2023, 6, 1, 9, 0, tzinfo=UTC)
    result = extract(
        turn(0, "I work at Initech.", speaker="Dana"),
        turn(1, "I'm planning to visit Japan next spring.", speaker="Dana", when=later),
        turn(2, "My brother Felix is visiting from Toronto next week.", speaker="Dana"),
    )

    edges = {(r.source, r.label, r.target): r for r in result.relations}
    assert set(edges) == {
        ("Dana", "works_at", "Initech"),
        ("Dana", "plans_to", "Japan"),
        ("Dana", "has_brother", "Felix"),
    }
    assert edges[("Dana", "plans_to", "Japan")].valid_from == later
    assert edges[("Dana", "works_at", "Initech")].source_turn_ids == ["turn-0"]


def test_assistant_statements_count_only_when_the_assistant_is_a_person() -> None:
    message = turn(0, "I live in Lyon.", role="assistant", speaker="Luc")

    assert extract(message).facts == []
    assert triples(extract(message, person_roles=frozenset({"user", "assistant"}))) == {
        ("Luc", "lives_in", "Lyon")
    }


def test_the_same_statement_twice_is_one_fact_with_both_sources() -> None:
    result = extract(turn(0, "I live in Portland."), turn(1, "Like I said, I live in Portland."))

    [fact] = result.facts
    assert fact.source_turn_ids == ["turn-0", "turn-1"]


def test_a_task_trace_becomes_a_procedure_with_ordered_steps_and_outcome() -> None:
    task = "deploy app"
    result = extract(
        turn(0, "Please deploy the app to staging."),
        turn(1, "Building the image.", "assistant", metadata={"task": task, "step": "build image"}),
        turn(2, "Running migrations.", "assistant", metadata={"task": task, "step": "migrate db"}),
        turn(3, "Small talk in between.", "assistant"),
        turn(
            4,
            "Deployed.",
            "assistant",
            metadata={"task": task, "step": "roll out", "outcome": "success"},
        ),
    )

    [procedure] = result.procedures
    assert procedure.goal == "deploy app"
    assert [s.text for s in procedure.steps] == ["build image", "migrate db", "roll out"]
    assert procedure.outcome == "success"
    assert procedure.source_turn_ids == ["turn-1", "turn-2", "turn-4"]


def test_untagged_tool_calls_become_a_procedure_for_the_users_request() -> None:
    call = {"function": {"name": "search_flights", "arguments": '{"to": "LIS"}'}}
    result = extract(
        turn(0, "Find me a flight to Lisbon. Cheap, please."),
        turn(1, "", "assistant", metadata={"tool_calls": [call]}),
        turn(2, "", "assistant", metadata={"tool_calls": [{"name": "book", "args": {"id": 7}}]}),
        turn(3, "Booking failed.", "assistant", metadata={"outcome": "failed"}),
    )

    [procedure] = result.procedures
    assert procedure.goal == "find me a flight to Lisbon"
    # Arguments are kept as patterns: a number one run had is a placeholder.
    assert [s.text for s in procedure.steps] == ['search_flights(to="LIS")', 'book(id="<number>")']
    assert [s.tool for s in procedure.steps] == ["search_flights", "book"]
    assert procedure.outcome == "failure"
    assert procedure.source_turn_ids == ["turn-0", "turn-1", "turn-2", "turn-3"]
    assert procedure.confidence < 0.9  # inferred, not tagged


def test_extraction_is_deterministic_and_independent_of_input_order() -> None:
    turns = [
        turn(0, "I have a dog named Rex and I love hiking.", speaker="Kim"),
        turn(1, "Yesterday I visited my parents in Ohio.", speaker="Lee"),
        turn(2, "My best friend Anna Smith moved to London last year.", speaker="Kim"),
    ]
    extractor: Extractor = RulesExtractor()
    context = ExtractionContext(scope=SCOPE)

    first = extractor.extract(turns, context)
    again = extractor.extract(list(reversed(turns)), context)

    assert first == again
    assert first.facts and first.entities and first.relations
    assert (first.extractor, first.version, first.producer) == ("rules", "3", "rules/3")


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("We relocated to Vienna last month, the flat is tiny.", ("lives_in", "Vienna")),
        ("Sorry, busy week: we moved into a new apartment in Lyon.", ("lives_in", "Lyon")),
        ("My girlfriend and I moved in together in Leeds.", ("lives_in", "Leeds")),
        ("We've been living in Quito for a year now.", ("lives_in", "Quito")),
        ("Finally moved to Oslo, still unpacking!", ("lives_in", "Oslo")),
        ("Big news: I got hired at Canva, starting soon!", ("works_at", "Canva")),
        (
            "I'm now working remotely for a fintech startup called Ledgerly.",
            ("works_at", "Ledgerly"),
        ),
        ("I've been at a small agency called Brightside since May.", ("works_at", "Brightside")),
        (
            "It rained all week, and on top of that I started a job at a bakery.",
            ("works_at", "bakery"),
        ),
        ("I quit in June and now I work at a museum.", ("works_at", "museum")),
        ("Also I should mention I'm vegetarian.", ("is", "vegetarian")),
        ("I've gotten really into chess lately.", ("likes", "chess")),
        ("I picked up knitting over the winter.", ("started", "knitting")),
        ("Me and my brother joined a rowing club.", ("joined", "rowing club")),
        ("We got a puppy last week, her name is Nala.", ("has_pet", "Nala")),
        ("We adopted a beagle called Toby.", ("adopted", "Toby")),
        ("Our cat Miso knocked my coffee over again.", ("has_pet", "Miso")),
        ("Just got back from Lima, what a trip!", ("visited", "Lima")),
    ],
)
def test_facts_said_in_passing_are_read(text: str, fact: tuple[str, str]) -> None:
    assert ("the user", *fact) in triples(extract(turn(0, text)))


@pytest.mark.parametrize(
    "text",
    [
        "My parents moved to Florida and love it.",
        "My roommate just got hired at Canva.",
        "We might move to Oslo next year.",
        "We didn't move to Oslo after all.",
        "Should we move to Oslo?",
        "If we moved to Oslo, I'd learn Norwegian.",
        "I picked up my sister from school.",
        "I've been at the beach all day.",
        "I got back from work late.",
    ],
)
def test_moves_and_jobs_that_are_not_the_speakers_yield_no_fact(text: str) -> None:
    facts = [f for f in extract(turn(0, text)).facts if f.kind != "statement"]
    assert facts == []


def test_a_move_said_by_an_assistant_is_no_fact() -> None:
    result = extract(turn(0, "We moved your meeting and I started a draft.", role="assistant"))
    assert result.facts == []


@pytest.mark.parametrize(
    ("text", "goal", "steps"),
    [
        (
            "When I cut a release I run the tests, tag the commit, then push the tag.",
            "cut a release",
            ["run the tests", "tag the commit", "push the tag"],
        ),
        (
            "For backups we dump the database, gzip it, and then copy it to S3.",
            "backups",
            ["dump the database", "gzip it", "copy it to S3"],
        ),
        (
            "My usual way to make pancakes: whisk the batter, rest it, then fry it.",
            "make pancakes",
            ["whisk the batter", "rest it", "fry it"],
        ),
    ],
)
def test_a_procedure_said_in_one_sentence_of_steps(text: str, goal: str, steps: list[str]) -> None:
    [procedure] = extract(turn(0, text)).procedures
    assert procedure.goal == goal and [s.text for s in procedure.steps] == steps


@pytest.mark.parametrize(
    "text",
    [
        "Then I made dinner, then we watched a movie, then bed.",
        "When I got home I fed the cat, then went to bed.",
    ],
)
def test_a_narrative_chained_by_then_is_no_procedure(text: str) -> None:
    assert extract(turn(0, text)).procedures == []
