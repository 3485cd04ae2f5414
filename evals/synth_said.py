"""Facts a user says once (single-session-user).

Questions are phrased as the user would ask weeks later, in other words than the mention;
distractors reuse the question's words about somebody else, so word overlap points the wrong
way as often as the right one. Mentions are clauses (no final full stop), woven into a turn.
"""

from __future__ import annotations

from memsvc.evals.synth_facts import StaticKind
from memsvc.evals.synth_world import (
    FIRST_NAMES,
    INSTRUMENTS,
    LANGUAGES,
    NEUTRAL_NAMES,
    PET_NAMES,
)

USER_FACTS = (
    StaticKind(
        "commute",
        {"mins": ("20", "25", "35", "40", "45", "50", "55", "70")},
        (
            "door to door it's roughly {mins} minutes for me to reach the office",
            "I spend {mins} minutes on the train every morning before I even sit at my desk",
            "the ride in takes me {mins} minutes, so I've been catching up on podcasts",
            "my daily trek to the office is {mins} minutes each way",
        ),
        (
            "How long does it take me to get to work?",
            "How much time do I spend travelling to my job each morning?",
            "What's the length of my commute?",
        ),
        "{mins} minutes",
        (
            "{who} has a {mins}-minute commute and complains about it constantly",
            "{who} says it takes {mins} minutes to get to work when traffic is kind",
            "{who}'s journey to the job is {mins} minutes by bus",
            "the time it takes {who} to get to work doubled after the bridge closed",
        ),
        ("How long does it take {who} to get to work?",),
    ),
    StaticKind(
        "sibling",
        {
            "rel": ("younger brother", "older sister", "little sister", "big brother"),
            "name": tuple(NEUTRAL_NAMES),
        },
        (
            "my {rel} {name} is staying with us this week, so the flat is chaos",
            "I spent most of Sunday on the phone with my {rel} {name}",
            "{name}, my {rel}, just got engaged, so the family group chat is on fire",
        ),
        (
            "What is my {rel} called?",
            "What's the name of my {rel}?",
            "Remind me, what name does my {rel} go by?",
        ),
        "{name}",
        (
            "{who}'s {rel} {name} is visiting from abroad",
            "{who} keeps telling me about their {rel}, who is called {name}",
            "{who} introduced me to their {rel} at the party",
        ),
        ("What is the name of {who}'s {rel}?",),
    ),
    StaticKind(
        "sofa",
        {
            "shop": (
                "a vintage place called Second Act",
                "IKEA",
                "a seller on Facebook Marketplace",
                "West Elm",
                "a little furniture shop called Oak & Ember",
                "a charity shop on Mill Street",
            )
        },
        (
            "the couch we got from {shop} turned out to be really comfy",
            "I finally picked up a sofa from {shop} and my back is thanking me",
            "our new sectional came from {shop}, and it barely fit through the door",
        ),
        (
            "Where did my new settee come from?",
            "Which store did I buy the living-room seating from?",
            "Where did I buy our couch?",
        ),
        "{shop}",
        (
            "{who} bought a couch from {shop} and regrets it",
            "{who} is selling a sofa they got from {shop}",
            "{who} is redoing their living room around a new settee",
        ),
        ("Where did {who} get their couch?",),
    ),
    StaticKind(
        "degree",
        {
            "subject": (
                "marine biology",
                "economics",
                "civil engineering",
                "art history",
                "philosophy",
                "chemistry",
                "linguistics",
                "architecture",
            )
        },
        (
            "back when I was studying {subject} at uni I pulled way too many all-nighters",
            "my degree is in {subject}, though I barely use it these days",
            "I did {subject} in college before I switched careers",
        ),
        (
            "What did I major in?",
            "What field is my university diploma in?",
            "Which subject did I read at college?",
        ),
        "{subject}",
        (
            "{who} majored in {subject} and is now doing a PhD",
            "{who} just finished a degree in {subject}",
            "{who} is trying to decide what to major in",
        ),
        ("What did {who} study at university?",),
    ),
    StaticKind(
        "teacher",
        {"instrument": tuple(INSTRUMENTS), "name": tuple(FIRST_NAMES)},
        (
            "my {instrument} teacher {name} says I'm finally getting the rhythm right",
            "after my {instrument} lesson with {name} on Thursday I practised for an hour",
            "{name} has me playing scales on the {instrument} for twenty minutes a day",
        ),
        (
            "Who gives me music lessons?",
            "What's the name of the person who teaches me my instrument?",
            "Who is my music tutor?",
            "What's my {instrument} teacher called?",
        ),
        "{name}",
        (
            "{who}'s {instrument} teacher {name} is moving away",
            "{who} started music lessons with someone called {name}",
            "{who} is looking for a music tutor who teaches {instrument}",
        ),
        ("Who teaches {who} music?",),
    ),
    StaticKind(
        "bike_price",
        {
            "price": ("850", "1,200", "640", "2,300", "975", "1,450"),
            "bike": ("road bike", "gravel bike", "e-bike", "commuter bike"),
        },
        (
            "I paid ${price} for the new {bike}, which still hurts a little",
            "the {bike} set me back ${price}, but I ride it every day",
            "${price} later, I'm the proud owner of a {bike}",
        ),
        (
            "How much did my new bicycle cost?",
            "What did I spend on my bike?",
            "What was the price of the two-wheeler I bought?",
        ),
        "${price}",
        (
            "{who} got a {bike} for ${price} in the sale",
            "{who} is saving up ${price} for a new bicycle",
            "{who} thinks a decent bicycle costs far too much",
        ),
        ("How much did {who} pay for their bike?",),
    ),
    StaticKind(
        "book_club",
        {
            "club": (
                "the Tuesday Tomes",
                "Chapter and Wine",
                "the Dog-Eared Society",
                "Spine Breakers",
                "the Late Returns",
                "Novel Ideas",
            )
        },
        (
            "our book club, {club}, picked something enormous this month",
            "I'm hosting {club} at my place next week, so I need snacks",
            "{club} meets on Thursdays and we mostly drink wine and argue about endings",
        ),
        (
            "What is my reading group called?",
            "What's the name of the group I discuss novels with?",
        ),
        "{club}",
        (
            "{who} joined a book club called {club}",
            "{who} runs {club} at the library",
            "{who} wants to start a reading group at work",
        ),
        ("What's the name of {who}'s reading group?",),
    ),
    StaticKind(
        "language",
        {"lang": tuple(LANGUAGES), "streak": ("120", "45", "300", "88", "210")},
        (
            "I've kept a {streak}-day streak going on my {lang} lessons",
            "I've been doing {lang} on an app every night before bed",
            "my {lang} tutor says my pronunciation is getting better",
        ),
        (
            "Which foreign language am I working on?",
            "What language have I been studying?",
        ),
        "{lang}",
        (
            "{who} is learning {lang} for a work trip",
            "{who} speaks fluent {lang}",
            "{who} wants to study a foreign language this year",
        ),
        ("Which language is {who} learning?",),
    ),
    StaticKind(
        "floor",
        {"floor": ("third", "fourth", "fifth", "sixth", "seventh", "ninth", "eleventh")},
        (
            "we live on the {floor} floor and the lift has been broken for days",
            "carrying groceries up to the {floor} floor, where our flat is, is my workout now",
            "from our place on the {floor} floor you can see the river",
        ),
        ("Which floor is my apartment on?", "How high up is my flat?"),
        "the {floor} floor",
        (
            "{who} lives on the {floor} floor of a building with no elevator",
            "{who}'s apartment is on the {floor} floor with a great view",
            "{who} is looking at a flat on a high floor",
        ),
        ("Which floor does {who} live on?",),
    ),
    StaticKind(
        "gym_fee",
        {
            "fee": ("35", "45", "60", "29", "52", "75"),
            "gym": ("climbing gym", "CrossFit box", "swimming club", "boxing gym", "yoga studio"),
        },
        (
            "I pay ${fee} a month for the {gym} and I actually go",
            "the {gym} membership is ${fee} a month, which is fair",
            "at ${fee} a month the {gym} is my one luxury",
        ),
        (
            "How much do I pay each month for my fitness membership?",
            "What does my workout membership cost per month?",
        ),
        "${fee} a month",
        (
            "{who}'s {gym} charges ${fee} a month",
            "{who} cancelled a ${fee} membership at a {gym}",
            "{who} pays for a fitness membership they never use",
        ),
        ("How much does {who} pay for the gym?",),
    ),
    StaticKind(
        "grandmother",
        {"town": ("Sintra", "Galway", "Bergamo", "Krakow", "Tromso", "Oaxaca", "Savannah")},
        (
            "my grandmother grew up in {town}, so we're planning a trip there",
            "my gran was born in {town} and still tells stories about it",
            "Nana left {town} when she was nineteen and never went back",
        ),
        (
            "Where is my grandmother originally from?",
            "Which town did my nan come from?",
        ),
        "{town}",
        (
            "{who}'s grandmother is originally from {town}",
            "{who} just got back from a trip to {town}",
            "{who}'s family is originally from the coast",
        ),
        ("Where did {who} grow up?",),
    ),
    StaticKind(
        "laptop",
        {
            "laptop": (
                "ThinkPad X1 Carbon",
                "MacBook Air",
                "Dell XPS 13",
                "Framework 13",
                "Surface Laptop",
            )
        },
        (
            "my {laptop} fan sounds like a jet engine lately",
            "I'm typing this on my old {laptop}",
            "the hinge on my {laptop} is getting wobbly",
        ),
        ("What computer do I use?", "What laptop do I have?"),
        "{laptop}",
        (
            "{who} swears by the {laptop}",
            "{who} just bought a {laptop} for school",
            "{who} needs a new computer for work",
        ),
        ("What laptop does {who} have?",),
    ),
    StaticKind(
        "plant_name",
        {
            "plant": ("monstera", "fiddle-leaf fig", "snake plant", "pothos", "bird of paradise"),
            "name": tuple(PET_NAMES),
        },
        (
            "my {plant}, who I named {name}, has a new leaf",
            "{name} the {plant} is thriving on the windowsill",
            "I repotted {name}, my {plant}, and got soil everywhere",
        ),
        (
            "What did I call my big leafy houseplant?",
            "What's the name I gave my {plant}?",
        ),
        "{name}",
        (
            "{who} named their {plant} {name}",
            "{who}'s {plant} is called {name} and it's huge",
            "{who} gives all their houseplants names",
        ),
        ("What did {who} name their plant?",),
    ),
    StaticKind(
        "running_club",
        {
            "club": (
                "the Harbour Harriers",
                "Parkside Striders",
                "the Midnight Milers",
                "Riverside Runners",
                "the Hill Hoppers",
            )
        },
        (
            "I do the Saturday long run with {club}",
            "{club} have a track session on Tuesdays that destroys me",
            "I signed up for {club}'s winter series",
        ),
        (
            "Which jogging group am I part of?",
            "What's the name of the club I run with?",
        ),
        "{club}",
        (
            "{who} runs with {club} on Sundays",
            "{who} is thinking of joining {club}",
            "{who} started jogging with a group from work",
        ),
        ("Which running club is {who} in?",),
    ),
)
