"""Seeded synthetic chat turns and questions for `memsvc bench`: unique sentences of about
LoCoMo's length (12-40 words), so the embedder and the indexes do real work at any size."""

from __future__ import annotations

import random

NAMES = "Alice Bob Carmen Dmitri Elena Farid Grace Hiro Ines Jamal Kofi Lena Mateo Nadia Omar \
Priya Quinn Rosa Sven Tara Umar Vera Wen Xenia Yusuf Zoe".split()
PLACES = "Lisbon|Oslo|Nairobi|Kyoto|Lima|Austin|Porto|Hanoi|Quebec|Tbilisi|Dublin|Perth\
|Seville|Krakow|Busan|Accra|Tallinn|Cusco|Bergen|Hobart|the lake|the cabin|the office|the gym\
|the library|the market|the clinic|the studio|the garden|the beach".split("|")
THINGS = "a pottery class|a marathon|a job interview|a sourdough starter|a new puppy|a guitar \
lesson|a hiking trip|a book club|a yoga retreat|a painting|a vegetable garden|a chess tournament\
|a birthday party|a camping weekend|a science fair|a piano recital|a volunteer shift|a road trip\
|a photography walk|a cooking course|a charity run|a concert|a museum visit|a moving day\
|a wedding|a dentist appointment|a coding bootcamp|a family dinner|a bike repair\
|a language exchange".split("|")
FEELINGS = "excited nervous proud tired relieved curious grateful stressed happy surprised \
calm overwhelmed inspired hopeful".split()
WHEN = "yesterday|last week|on Monday|two weeks ago|this morning|last month|on the weekend\
|in spring|before lunch|after work|last Friday|earlier today".split("|")
EXTRAS = [
    "It took longer than I expected, but it was worth it.",
    "My {rel} came along and we talked for hours.",
    "I want to do it again in {n} weeks.",
    "The weather was {weather}, which made it even better.",
    "I spent about {n}0 dollars on it.",
    "Do you have any tips for next time?",
    "I still can't believe how it turned out.",
    "We met a guy named {name2} who had done it {n} times.",
]
RELS = "sister brother mom dad cousin friend neighbour partner colleague roommate".split()
WEATHER = "sunny rainy windy cold warm foggy perfect".split()


def _sentence(rng: random.Random) -> str:
    name, place, thing = rng.choice(NAMES), rng.choice(PLACES), rng.choice(THINGS)
    first = rng.choice(
        [
            f"{rng.choice(WHEN).capitalize()} I went to {thing} in {place} with {name}.",
            f"I was {rng.choice(FEELINGS)} about {thing} {rng.choice(WHEN)} in {place}.",
            f"{name} told me about {thing} at {place} {rng.choice(WHEN)}.",
            f"Guess what, I finally signed up for {thing} near {place}!",
        ]
    )
    extras = rng.sample(EXTRAS, rng.randint(1, 3))
    fill = {
        "rel": rng.choice(RELS),
        "n": rng.randint(2, 9),
        "weather": rng.choice(WEATHER),
        "name2": rng.choice(NAMES),
    }
    return " ".join([first, *(e.format(**fill) for e in extras)])


def synthetic_turns(n: int, seed: int = 0) -> list[str]:
    """`n` distinct turn texts (a counter breaks the rare collision)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        text = _sentence(rng)
        if text in seen:
            text = f"{text} (#{len(out)})"
        seen.add(text)
        out.append(text)
    return out


def synthetic_questions(n: int, seed: int = 0) -> list[str]:
    """`n` distinct questions in the style of memory queries."""
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        q = rng.choice(
            [
                f"When did I go to {rng.choice(THINGS)} with {rng.choice(NAMES)}?",
                f"What did {rng.choice(NAMES)} say about {rng.choice(PLACES)}?",
                f"How did I feel about {rng.choice(THINGS)}?",
                f"Who came along to {rng.choice(THINGS)} in {rng.choice(PLACES)}?",
            ]
        )
        if q in seen:
            q = f"{q[:-1]} ({len(out)})?"
        seen.add(q)
        out.append(q)
    return out
