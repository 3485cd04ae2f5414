"""Values that change over the months (knowledge-update): the answer is the latest value.
Same conventions as `synth_said`: clause mentions, questions in other words, distractors that
share the question's words about someone else."""

from __future__ import annotations

from memsvc.evals.synth_facts import ChangingKind
from memsvc.evals.synth_world import (
    BOOKS,
    CARS,
    CITIES,
    COUNTRIES,
    EMPLOYERS,
    JOB_TITLES,
    PET_NAMES,
    PHONES,
)

UPDATES = (
    ChangingKind(
        "city",
        tuple(CITIES),
        (
            "we've been renting in {v} for a couple of years now",
            "our flat in {v} is tiny but I love the neighbourhood",
            "the rent in {v} went up again, which is annoying",
        ),
        (
            "we finally moved to {v} last month, so I'm still unpacking",
            "now that we've relocated to {v} I need a new dentist",
            "the move to {v} is done and the boxes are mostly gone",
        ),
        (
            "Which city am I living in these days?",
            "Where is home for me right now?",
            "What city do I currently live in?",
        ),
        (
            "{who} is living in {v} now and loves the city",
            "{who} just moved to {v} for a new job",
            "our {mine_v} office is hiring again",
            "{who} can't decide which city to live in",
        ),
        ("Which city does {who} live in now?",),
    ),
    ChangingKind(
        "employer",
        tuple(EMPLOYERS),
        (
            "things at {v} have been hectic with the reorg",
            "I've been at {v} for almost three years",
        ),
        (
            "I started at {v} two weeks ago and I'm still learning everyone's names",
            "I accepted the offer from {v}, so my last day at {old} is Friday",
            "my first month at {v} has been intense",
        ),
        (
            "Which company do I work for now?",
            "Who is my current employer?",
            "Where am I employed at the moment?",
        ),
        (
            "{who} works at {v} and loves it",
            "{who} got an interview at {v}",
            "{who} says the company they work for now is a mess",
        ),
        ("Where does {who} work now?",),
    ),
    ChangingKind(
        "title",
        tuple(JOB_TITLES),
        (
            "in my job as {v} my days are mostly meetings",
            "being the {v} on the team means I get every urgent email",
        ),
        (
            "I got promoted, so I'm officially a {v} now",
            "since switching roles to {v} I have way more autonomy",
            "the new {v} role comes with a lot more travel",
        ),
        ("What's my job title now?", "What position do I hold at the moment?"),
        (
            "{who} is a {v} at a startup",
            "{who} applied for a {v} position",
            "{who} got a new position at work with a fancy title",
        ),
        ("What is {who}'s job title?",),
    ),
    ChangingKind(
        "car",
        tuple(CARS),
        (
            "my {v} is making a weird noise again",
            "I drove the {v} up to the lake on Saturday",
        ),
        (
            "we traded in the old {old} for a {v}",
            "I just picked up a {v}, goodbye old {old}",
            "the {v} we bought last week is so much quieter",
        ),
        ("What vehicle do I drive these days?", "What car do I currently own?"),
        (
            "{who} just bought a {v}",
            "{who}'s {v} broke down on the highway",
            "{who} is thinking about what car to drive these days",
        ),
        ("What car does {who} drive?",),
    ),
    ChangingKind(
        "five_k",
        ("22:48", "23:30", "24:05", "24:52", "25:37", "26:14", "27:02", "27:45", "28:30"),
        (
            "my best 5k is {v} so far",
            "I ran a {v} parkrun a while back, which is my best yet",
        ),
        (
            "I knocked my 5k record down to {v} on Saturday",
            "new personal best: {v} for five kilometres",
            "I finally got my 5k down to {v}",
        ),
        (
            "What is my fastest time over five kilometres these days?",
            "What's my current personal record for the 5K?",
        ),
        (
            "{who} ran a 5k in {v}",
            "{who} is trying to get their parkrun time under {v}",
            "{who} is obsessed with beating their fastest time",
        ),
        ("What is {who}'s best 5k time?",),
        order="down",
    ),
    ChangingKind(
        "plants",
        ("4", "6", "7", "9", "11", "13", "15", "18", "22"),
        (
            "I have {v} houseplants at the moment and they all have names",
            "with {v} plants on the windowsill I've run out of space",
        ),
        (
            "the plant collection is up to {v} now",
            "I counted and there are {v} plants in the flat now",
            "two more cuttings rooted, so that's {v} plants",
        ),
        ("How many plants do I have at home?", "How many houseplants do I own now?"),
        (
            "{who} has {v} houseplants and a humidifier for each",
            "{who} gave me a cutting from one of their {v} plants",
            "{who} says no home has too many plants",
        ),
        ("How many plants does {who} have?",),
        order="up",
    ),
    ChangingKind(
        "trip_fund",
        ("800", "1,200", "1,750", "2,300", "2,900", "3,400", "4,100"),
        (
            "I've put aside ${v} for the {place} trip so far",
            "the {place} fund is sitting at ${v}",
        ),
        (
            "the {place} savings just hit ${v}",
            "I moved another chunk over, so the {place} fund is at ${v}",
            "${v} saved for {place} now, flights are next",
        ),
        (
            "How much money have I saved for my upcoming holiday?",
            "How much have I set aside for the vacation so far?",
        ),
        (
            "{who} saved ${v} for a trip to {place}",
            "{who} spent ${v} on flights for the holiday",
            "{who} never sets money aside for vacations",
        ),
        ("How much has {who} saved for their holiday?",),
        slots={"place": tuple(COUNTRIES)},
        order="up",
        answer="${v}",
    ),
    ChangingKind(
        "foster_dog",
        tuple(PET_NAMES),
        (
            "we're fostering a scruffy terrier called {v} right now",
            "our foster dog {v} chewed through my charger",
        ),
        (
            "{old} got adopted, and our new foster is a greyhound named {v}",
            "the shelter sent us a new foster pup, {v}",
            "we said goodbye to {old}; {v} arrived yesterday",
        ),
        (
            "What's the name of the pup currently staying with us?",
            "Which animal are we looking after for the shelter at the moment?",
        ),
        (
            "{who}'s dog {v} is the worst-behaved in the park",
            "{who} adopted a puppy and named it {v}",
            "my colleague's dog {v} came to the office today",
        ),
        ("What's the name of {who}'s dog?",),
    ),
    ChangingKind(
        "phone",
        tuple(PHONES),
        ("my {v} battery barely lasts a day", "I took that photo on my {v}"),
        (
            "I finally upgraded to a {v}",
            "I dropped my {old} in the sink, so now I'm on a {v}",
            "the new {v} arrived and I spent the evening setting it up",
        ),
        ("What mobile am I using now?", "Which smartphone do I have at the moment?"),
        (
            "{who} just got a {v}",
            "{who} is deciding which smartphone to buy",
            "{who}'s {v} screen cracked again",
        ),
        ("What phone does {who} have?",),
    ),
    ChangingKind(
        "reading",
        tuple(BOOKS),
        ("I'm halfway through {v} and can't put it down", "{v} is my bedtime book right now"),
        (
            "I've just started {v} on my commute",
            "I put {old} aside and picked up {v} instead",
            "now I'm reading {v}, a friend lent it to me",
        ),
        ("What book am I in the middle of?", "What novel is on my nightstand these days?"),
        (
            "{who} is reading {v} for book club",
            "{who} lent me {v} but I haven't opened it",
            "{who} is in the middle of a huge fantasy novel",
        ),
        ("What is {who} reading?",),
    ),
)
