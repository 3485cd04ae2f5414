"""Things the other speaker said (single-session-assistant): the user asks for something in
passing, the assistant (or, in chit-chat, the friend) answers with specifics, and weeks later the
user asks what exactly was said. The answer turn is the evidence.

- `ListAsk`: a few ideas in a list; the question asks for one by its place.
- `SpecAsk`: a value given once (a temperature, a dose of paint, a phrase).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from memsvc.evals.synth_model import Ctx, Mention, QuestionPlan, Realised, fill, ordinal
from memsvc.evals.synth_world import OTHERS


@dataclass(frozen=True, slots=True)
class ListAsk:
    name: str
    topic: tuple[str, ...]  # the user's words for the thing
    topic_q: tuple[str, ...]  # how a later question refers to it
    thing: str  # what each item is ("name", "stop", "gift idea")
    items: tuple[str, ...]
    ask: tuple[str, ...]  # the user's request, {topic}
    others: tuple[str, ...]  # distractors, {who} and {item}


@dataclass(frozen=True, slots=True)
class SpecAsk:
    name: str
    ask: tuple[str, ...]
    reply: tuple[str, ...]  # the assistant's answer
    reply_chat: tuple[str, ...]  # a friend's answer
    asked: tuple[str, ...]
    answer: str
    others: tuple[str, ...]
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)
    variants: tuple[dict[str, str], ...] = ({},)  # slot values that only go together


_GLOSS = (
    "easy to say and hard to forget",
    "a little playful",
    "has a nice ring to it",
    "a safe, classic choice",
    "my personal favourite",
    "slightly unexpected, in a good way",
    "works well if you want something short",
)

LISTS = (
    ListAsk(
        "starter_names",
        ("my new sourdough starter", "the sourdough starter I just made"),
        ("the bread culture in my fridge", "my jar of wild yeast"),
        "name",
        ("Clint Yeastwood", "Bread Pitt", "Doughbi-Wan", "Yeast Mode", "Gluten Morgan"),
        ("can you give me a few name ideas for {topic}?", "I need a funny name for {topic}"),
        ("{who} called their sourdough starter {item}", "{who} named a pet {item}"),
    ),
    ListAsk(
        "boat_names",
        ("the little sailing dinghy we bought", "our second-hand dinghy"),
        ("our small boat", "the vessel we keep at the marina"),
        "name",
        ("Sea Biscuit", "Knot Working", "Ship Happens", "Row Tate", "Unsinkable II"),
        ("any name suggestions for {topic}?", "help me name {topic}"),
        ("{who} named their boat {item}", "{who} saw a yacht called {item} at the marina"),
    ),
    ListAsk(
        "quiz_team",
        ("our pub quiz team", "the trivia team at work"),
        ("my team for the weekly trivia night", "the quiz group I'm in"),
        "name",
        (
            "Quizteama Aguilera",
            "Les Quizerables",
            "Universally Challenged",
            "The Smarty Pints",
            "Agatha Quiztie",
        ),
        ("we need a better name for {topic}, ideas?", "can you come up with names for {topic}?"),
        ("{who}'s trivia team is called {item}", "a team called {item} won the quiz again"),
    ),
    ListAsk(
        "day_trip",
        ("one free day in Seville", "a day on my own in Bologna", "a spare day in Ghent"),
        ("my free day on that city trip", "the day I had to myself abroad"),
        "stop",
        (
            "the old cathedral",
            "the covered market",
            "the botanical garden",
            "the castle ruins",
            "the riverside promenade",
            "the modern art museum",
        ),
        ("what should I see with {topic}? give me a short plan", "plan {topic} for me?"),
        ("{who} said {item} was overrated", "{who} spent a whole day at {item}"),
    ),
    ListAsk(
        "gift_ideas",
        ("a present for my dad's 60th", "my father's sixtieth birthday gift"),
        ("my dad's big birthday", "the milestone birthday present for my father"),
        "gift idea",
        (
            "a record player",
            "a bread-making class",
            "a star map of the night he was born",
            "a weekend fishing trip",
            "a leather wallet",
        ),
        ("I'm stuck on {topic}, any ideas?", "what could I get as {topic}?"),
        ("{who} got their dad {item}", "{who} wants {item} for their birthday"),
    ),
    ListAsk(
        "reading_list",
        ("something to read about the sea", "a novel for my holiday by the coast"),
        ("books for the beach trip", "my seaside reading"),
        "book",
        ("Moby-Dick", "The Old Man and the Sea", "Jaws", "The Shipping News", "Life of Pi"),
        ("could you recommend {topic}?", "I want {topic}, what do you suggest?"),
        ("{who} is rereading {item}", "{who} gave up on {item} halfway"),
    ),
)

SPECS = (
    SpecAsk(
        "oven",
        ("what temperature and for how long should I bake {dish}?",),
        (
            "For {dish}, preheat the oven to {temp}°C and bake for about {mins} minutes.\n\n"
            "- Use the middle rack so it browns evenly.\n- Check five minutes early; ovens vary.\n"
            "- Let it cool for a bit before cutting.",
        ),
        ("I always do {dish} at {temp} degrees for like {mins} min", "{temp} degrees, {mins} min"),
        (
            "What oven setting did you recommend for {dish}?",
            "How hot did you say the oven should be for my {dish}?",
        ),
        "{temp}°C",
        ("{who} bakes {dish} at a much lower temperature", "{who} burned {dish} again"),
        slots={
            "dish": ("focaccia", "banana bread", "a sourdough loaf", "granola", "scones"),
            "temp": ("180", "190", "200", "220", "230"),
            "mins": ("20", "25", "35", "45", "55"),
        },
    ),
    SpecAsk(
        "watering",
        ("how often should I water my new {plant}?",),
        (
            "A {plant} usually does best if you water it about every {days} days, letting the top "
            "few centimetres of soil dry out in between. Water less in winter, and make sure the "
            "pot drains.",
        ),
        ("every {days} days or so, don't drown it", "I water mine every {days} days"),
        (
            "How often did you say I should give my {plant} a drink?",
            "What watering schedule did you suggest for the {plant}?",
        ),
        "every {days} days",
        ("{who} overwatered their {plant}", "{who}'s {plant} is dropping leaves"),
        slots={
            "plant": ("fiddle-leaf fig", "calathea", "peace lily", "string of pearls", "ZZ plant"),
            "days": ("5", "7", "10", "12", "14"),
        },
    ),
    SpecAsk(
        "paint",
        ("how much paint would I need for the {room}? about {area} square metres of wall",),
        (
            "For roughly {area} m² of wall with two coats, you'll need about {litres} litres of "
            "paint. Buy a little extra for touch-ups, and use a primer if the old colour is dark.",
        ),
        ("you'll need like {litres} litres for that", "{litres} litres should do it"),
        (
            "How much paint did you estimate for the room I'm redecorating?",
            "What quantity of emulsion did you tell me to buy?",
        ),
        "{litres} litres",
        ("{who} bought far too much paint for the {room}", "{who} painted their {room} grey"),
        slots={
            "room": ("spare bedroom", "home office", "hallway", "nursery"),
            "area": ("30", "38", "45", "52"),
            "litres": ("4", "5", "6", "7.5", "9"),
        },
    ),
    SpecAsk(
        "routine",
        ("can you give me a simple strength routine for the mornings?",),
        (
            "Here's a simple routine:\n\n1. {exercise}: {sets} sets of {reps} reps\n"
            "2. Plank: 3 x 40 seconds\n3. Glute bridges: 3 sets of 15\n\n"
            "Rest about a minute between sets.",
        ),
        ("do {exercise}, {sets} sets of {reps}", "{sets}x{reps} {exercise} every morning"),
        (
            "How many repetitions per set did you prescribe for the {exercise}?",
            "In the morning workout you gave me, how many reps was each set of {exercise}?",
        ),
        "{reps}",
        ("{who} does {exercise} every day", "{who} hurt their back doing {exercise}"),
        slots={
            "exercise": ("goblet squats", "Romanian deadlifts", "push-ups", "reverse lunges"),
            "sets": ("3", "4", "5"),
            "reps": ("6", "8", "10", "12", "15"),
        },
    ),
    SpecAsk(
        "phrase",
        ("how do I ask for the bill in {lang}? we're eating out a lot on the trip",),
        (
            'You can say "{phrase}". It is polite and works in any restaurant; a smile and '
            "eye contact with the waiter help too.",
        ),
        ('just say "{phrase}"', 'it\'s "{phrase}", easy'),
        (
            "What did you teach me to say to get the check at a restaurant abroad?",
            "What was the phrase you gave me for paying in restaurants on holiday?",
        ),
        "{phrase}",
        ("{who} speaks {lang} with waiters", "{who} forgot how to ask for the bill in {lang}"),
        variants=(
            {"lang": "Portuguese", "phrase": "A conta, por favor"},
            {"lang": "Italian", "phrase": "Il conto, per favore"},
            {"lang": "German", "phrase": "Die Rechnung, bitte"},
            {"lang": "Dutch", "phrase": "Mag ik de rekening, alstublieft?"},
            {"lang": "Spanish", "phrase": "La cuenta, por favor"},
        ),
    ),
)


def _list_reply(ctx: Ctx, kind: ListAsk, topic: str, items: list[str]) -> str:
    rng = ctx.rng
    if ctx.chat:
        return fill(
            rng.choice(("haha ok: {a}, {b} or {c}?", "hmm maybe {a}, {b}, or {c}!")),
            dict(zip("abc", items, strict=True)),
        )
    glosses = rng.sample(_GLOSS, len(items))
    lines = [f"{i + 1}. **{x}** - {g}" for i, (x, g) in enumerate(zip(items, glosses, strict=True))]
    intro = rng.choice(("Sure! Here are a few ideas for {t}:", "Happy to help with {t}:"))
    yours = re.sub(r"\b(my|our)\b", "your", topic)
    return "\n".join([fill(intro, {"t": yours}), "", *lines, "", "Let me know which you like!"])


def realise_list(kind: ListAsk, ctx: Ctx) -> Realised:
    rng, timeline = ctx.rng, ctx.timeline
    items = rng.sample(kind.items, 3)
    topic = rng.choice(kind.topic)
    mention = Mention(
        timeline.pick_for_request(rng),
        fill(rng.choice(kind.ask), {"topic": topic}),
        _list_reply(ctx, kind, topic, items),
    )
    place = rng.randrange(3)
    text = rng.choice(
        (
            "In our chat about {q}, which {thing} did you list {nth}?",
            "What was the {nth} {thing} you suggested for {q}?",
            "Remind me of the {nth} {thing} on the list you gave me for {q}.",
        )
    )
    values = {"q": rng.choice(kind.topic_q), "thing": kind.thing, "nth": ordinal(place)}
    question = QuestionPlan(
        "single-session-assistant",
        fill(text, values),
        items[place],
        [mention],
        timeline.ask_time(rng),
    )
    out = Realised([mention], [question])
    spare = [x for x in kind.items if x not in items] or list(kind.items)
    for who in rng.sample(OTHERS, ctx.n_negatives()):
        text = fill(rng.choice(kind.others), {"who": who, "item": rng.choice(spare)})
        out.mentions.append(Mention(timeline.pick(rng, avoid=[mention.session]), text))
    return out


def realise_spec(kind: SpecAsk, ctx: Ctx) -> Realised:
    rng, timeline = ctx.rng, ctx.timeline
    values = {k: rng.choice(v) for k, v in kind.slots.items()} | rng.choice(kind.variants)
    reply = rng.choice(kind.reply_chat if ctx.chat else kind.reply)
    mention = Mention(
        timeline.pick_for_request(rng), fill(rng.choice(kind.ask), values), fill(reply, values)
    )
    question = QuestionPlan(
        "single-session-assistant",
        fill(rng.choice(kind.asked), values),
        fill(kind.answer, values),
        [mention],
        timeline.ask_time(rng),
    )
    out = Realised([mention], [question])
    for who in rng.sample(OTHERS, ctx.n_negatives()):
        text = fill(rng.choice(kind.others), values | {"who": who})
        out.mentions.append(Mention(timeline.pick(rng, avoid=[mention.session]), text))
    return out
