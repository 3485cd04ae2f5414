"""Dated events and temporal-reasoning questions about them.

An event is told in passing with a date relative to its session ("yesterday", "on Saturday",
"three days ago", "on March 3"), so its date is the session's day minus an offset. Questions ask
for computed answers: days between two events, which came first, how many days ago (from the
question date), what happened N days before another event, the order of three, the weekday.
Every event of a persona falls on its own day, so each answer is unique.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from memsvc.evals.synth_model import Ctx, Mention, QuestionPlan, Realised, fill
from memsvc.evals.synth_world import OTHERS


@dataclass(frozen=True, slots=True)
class Event:
    said: tuple[str, ...]  # past-tense verb phrases after "I"
    noun: tuple[str, ...]  # how a question names it; the first is the canonical answer
    others: tuple[str, ...]  # distractors, {who}


# One event per paragraph: what the user says they did; how a question names it (the first
# is the canonical answer); distractors. Alternatives are separated by " | ".
_TABLE = """
ran my first half marathon | finished my first half marathon
my first half marathon | the 21-kilometre race
{who} is training for a half marathon | {who} ran a race and could not walk after

adopted a kitten from the shelter | brought home a rescue kitten
adopting the kitten | the day the rescue cat came home
{who} adopted two cats | {who} wants a kitten but their landlord says no

had my wisdom teeth out | got my wisdom teeth removed
my wisdom tooth surgery | the dental operation
{who} needs dental surgery | {who} had a tooth pulled and was fine the next day

passed my driving test | got my driver's licence
passing my driving test | getting my licence
{who} failed their driving test again | {who} is taking driving lessons

went to my cousin's wedding | danced all night at my cousin's wedding
my cousin's wedding | the family wedding
{who} got married in a barn | {who} is planning a wedding for next year

bought a second-hand kayak | picked up a used kayak
buying the kayak | getting my little boat
{who} sold their kayak | {who} took a kayaking lesson

went to the Van Gogh exhibition | saw the Van Gogh show at the museum
the Van Gogh exhibition | the art museum visit
{who} wants to see the Van Gogh exhibition | {who} works at the art museum

started a pottery class | threw my first pot at a ceramics class
my first pottery class | starting ceramics
{who} sells pottery at the market | {who} signed up for a ceramics course

got a tattoo | finally got the tattoo I'd been planning
getting my tattoo | the tattoo appointment
{who} is getting a tattoo removed | {who} designs tattoos

gave a talk at a local meetup | presented at the tech meetup downtown
my meetup talk | the presentation I gave
{who} gave a presentation at work | {who} organises a meetup

went camping by the lake | spent a night in a tent by the lake
the camping trip | the night by the lake
{who} goes camping every summer | {who} lent me a tent

planted tomatoes on the balcony | set up my balcony vegetable garden
planting the balcony garden | starting my tomatoes
{who} grows tomatoes in a greenhouse | {who} gave me seedlings

had a job interview at a design studio | interviewed at a design agency
the job interview | my interview at the agency
{who} has a job interview on Monday | {who} interviews people at a design studio

sprained my ankle playing five-a-side | rolled my ankle at football
spraining my ankle | the football injury
{who} broke their ankle skiing | {who} plays five-a-side on Tuesdays

hosted a board game night | had friends over for board games
the board game night | hosting game night
{who} invited me to a board game night | {who} collects board games

flew home to see my parents | took a flight to visit my folks
the trip to see my parents | visiting my parents
{who} is visiting their parents | {who} flew home for a funeral

got my flu shot | went for my flu jab
the flu vaccination | getting the flu jab
{who} skipped the flu shot and got sick | {who} works at the vaccination clinic

repainted the bedroom | painted our bedroom dark green
repainting the bedroom | the bedroom makeover
{who} painted their kitchen yellow | {who} wants to repaint the living room

went on a whale-watching tour | saw humpbacks from a boat tour
the whale-watching trip | the boat tour
{who} went whale watching and saw nothing | {who} runs boat tours

donated blood for the first time | gave blood at the Red Cross drive
donating blood | the blood drive
{who} donates blood every three months | {who} fainted at a blood drive

bought a new mattress | finally replaced our mattress
buying the mattress | getting a new bed
{who} sleeps on a futon | {who} returned a mattress after a month

took a dumpling-making class | learned to fold dumplings at a cooking class
the dumpling class | my cooking workshop
{who} teaches a cooking class | {who} makes dumplings every Sunday

went to a stand-up comedy show | saw a comedy night downtown
the comedy show | the stand-up night
{who} does open-mic comedy | {who} hated the comedy show

finished a 1000-piece jigsaw | completed that enormous jigsaw
finishing the jigsaw | the 1000-piece puzzle
{who} does a jigsaw every weekend | {who} lost a puzzle piece under the sofa

signed the lease on a small art studio | got the keys to my studio space
getting my studio | signing the studio lease
{who} rents a studio by the river | {who} is looking for studio space

went to a friend's baby shower | helped throw a baby shower
the baby shower | the party for the baby
{who} is expecting a baby | {who} threw a baby shower
"""

EVENTS = tuple(
    Event(*(tuple(x.strip() for x in line.split(" | ")) for line in block.splitlines()))
    for block in _TABLE.strip().split("\n\n")
)


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SMALL = ("", "", "two", "three", "four", "five", "six")


def when_phrase(offset: int, day: date, pick: int) -> str:
    """How a user says the day `offset` days before `day` (`pick` chooses among synonyms)."""
    if offset == 0:
        return ("today", "earlier today", "this morning")[pick % 3]
    if offset == 1:
        return ("yesterday", "yesterday afternoon")[pick % 2]
    if offset < 7:
        weekday = WEEKDAYS[(day - timedelta(days=offset)).weekday()]
        return (f"{_SMALL[offset]} days ago", f"on {weekday}", f"this past {weekday}")[pick % 3]
    if offset == 7:
        return ("a week ago", "exactly a week ago")[pick % 2]
    then = day - timedelta(days=offset)
    return f"on {then.strftime('%B')} {then.day}"


@dataclass(slots=True)
class Placed:
    event: Event
    day: date
    mention: Mention

    @property
    def name(self) -> str:
        return self.event.noun[0]


def _place(ctx: Ctx, event: Event, session: int, taken: set[date]) -> Placed:
    rng, timeline = ctx.rng, ctx.timeline
    offsets = [
        o
        for o in (0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 16)
        if timeline.day(session) - timedelta(days=o) not in taken
    ]
    offset = rng.choice(offsets or [0])
    day = timeline.day(session) - timedelta(days=offset)
    taken.add(day)
    when = when_phrase(offset, timeline.day(session), rng.randrange(6))
    said = rng.choice(event.said)
    finally_ = "" if said.startswith("finally") else "finally "
    text = rng.choice((f"I {said} {when}", f"{when}, I {said}", f"I {finally_}{said} {when}"))
    return Placed(event, day, Mention(session, text))


def _events(ctx: Ctx, n: int, taken: set[date]) -> list[Placed]:
    """`n` fresh events in distinct sessions at least a week apart, earliest first."""
    rng, timeline = ctx.rng, ctx.timeline
    pool = [e for e in EVENTS if e.noun[0] not in ctx.used]
    events = rng.sample(pool, n)
    ctx.used.update(e.noun[0] for e in events)
    sessions: list[int] = []
    for _ in range(n):
        far = [
            i
            for i in range(len(timeline.starts))
            if all(abs((timeline.day(i) - timeline.day(j)).days) >= 8 for j in sessions)
        ]
        sessions.append(
            timeline.pick(rng, avoid=[i for i in range(len(timeline.starts)) if i not in far])
        )
    placed = [_place(ctx, e, s, taken) for e, s in zip(events, sessions, strict=True)]
    return sorted(placed, key=lambda p: p.day)


TEMPLATES = {
    "between": (
        "How many days passed between {a} and {b}?",
        "How many days were there between {a} and {b}?",
        "How long was it, in days, from {a} to {b}?",
    ),
    "first": (
        "Which came first, {a} or {b}?",
        "Which happened earlier: {a} or {b}?",
        "What did I do first, {a} or {b}?",
    ),
    "before": (
        "What did I do {n} days before {last}?",
        "Which event of mine happened {n} days before {last}?",
    ),
    "ago": ("How many days ago was {a}?", "How many days have passed since {a}?"),
    "weekday": ("Which day of the week did {a} fall on?", "What weekday was {a} on?"),
    "order": (
        "In what order did these happen: {a}, {b} and {c}?",
        "Put these in order, earliest first: {a}, {b}, {c}.",
    ),
}
FORMS = {"between": 2, "first": 2, "before": 2, "ago": 1, "weekday": 1, "order": 3}


def _question(ctx: Ctx, form: str, events: list[Placed], asked_at: datetime) -> tuple[str, str]:
    """(question, answer) of one form; `events` are sorted earliest first and named in the
    answer as the question names them."""
    rng = ctx.rng
    called = [rng.choice(e.event.noun) for e in events]
    first, last = events[0], events[-1]
    gap = (last.day - first.day).days
    shuffled = rng.sample(called, len(called))  # the question names them in any order
    values = dict(zip("abc", shuffled)) | {"n": gap, "last": called[-1]}
    answers = {
        "between": f"{gap} days",
        "first": called[0],
        "before": first.name,  # the question names only the later event
        "ago": f"{(asked_at.date() - first.day).days} days",
        "weekday": WEEKDAYS[first.day.weekday()],
        "order": ", then ".join(called),
    }
    return fill(rng.choice(TEMPLATES[form]), values), answers[form]


def realise_temporal(ctx: Ctx, form: str, taken: set[date]) -> Realised:
    """One temporal-reasoning question of `form` (a key of `FORMS`) over fresh events;
    `taken` holds the days this persona's events already fall on."""
    rng, timeline = ctx.rng, ctx.timeline
    events = _events(ctx, FORMS[form], taken)
    asked_at = timeline.ask_time(rng)
    question, answer = _question(ctx, form, events, asked_at)
    evidence = [e.mention for e in events]
    plan = QuestionPlan("temporal-reasoning", question, answer, evidence, asked_at)
    out = Realised(list(evidence), [plan])
    gold = [e.mention.session for e in events]
    for event in events:
        for who in rng.sample(OTHERS, min(ctx.n_negatives(), 2)):
            text = fill(rng.choice(event.event.others), {"who": who})
            out.mentions.append(Mention(timeline.pick(rng, avoid=gold), text))
    return out
