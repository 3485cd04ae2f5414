"""Things that add up over several sessions (multi-session): the answer is how many, or their
total. Same conventions as `synth_said`."""

from __future__ import annotations

from memsvc.evals.synth_facts import CountKind
from memsvc.evals.synth_world import BANDS, BOOKS, COUNTRIES, VENUES

COUNTS = (
    CountKind(
        "concerts",
        tuple(BANDS),
        (
            "I saw {item} live on Friday and my ears are still ringing",
            "the {item} gig last night was worth every penny",
            "we went to see {item} at {venue}, what a night",
            "I caught {item} on their tour and sang myself hoarse",
        ),
        ("How many concerts have I been to?", "How many live shows have I attended?"),
        (
            "{who} has tickets to see {item} in the summer",
            "{who} went to a {item} concert and loved it",
            "{who} goes to concerts almost every week",
        ),
        answer="{count} ({items})",
        missing=("How many concerts has {who} been to?",),
        slots={"venue": tuple(VENUES)},
    ),
    CountKind(
        "bike_gear",
        (
            "a helmet",
            "new lights",
            "a pair of panniers",
            "a D-lock",
            "cleats",
            "a rain cape",
            "a saddle",
            "tyres",
        ),
        (
            "I spent {n_money} on {item} for the bike",
            "{item} for my bike cost me {n_money}",
            "I grabbed {item} for the bike, {n_money}, ouch",
            "{n_money} on {item} for my commute bike, but worth it",
        ),
        (
            "How much have I spent on cycling accessories in total?",
            "How much have I spent on gear for my bike altogether?",
        ),
        (
            "{who} spent {n_money} on {item} for their bike",
            "{who} found {item} for {n_money}",
            "{who} says cycling accessories cost a fortune",
        ),
        amounts=(25, 180, 5),
        answer="{total_money}",
        missing=("How much has {who} spent on their bike?",),
    ),
    CountKind(
        "books",
        tuple(BOOKS),
        (
            "I finished {item} on the train this morning",
            "I just closed the last page of {item}",
            "I'm done with {item}, what a ride",
            "I stayed up until 2am to finish {item}",
        ),
        ("How many novels have I completed lately?", "How many books have I got through?"),
        (
            "{who} finished {item} in one sitting",
            "{who} recommended {item}",
            "{who} gets through three novels a month",
        ),
        answer="{count} ({items})",
        missing=("How many books has {who} read?",),
    ),
    CountKind(
        "hiking",
        (
            "the coastal trail",
            "the ridge loop",
            "a forest path near the lake",
            "the old railway trail",
            "the canyon route",
            "the waterfall circuit",
        ),
        (
            "I hiked {n} km along {item} on Sunday",
            "we did {item}, {n} km, and my calves are toast",
            "{item} was {n} km of mud, but I loved it",
        ),
        (
            "How far have I hiked in total?",
            "How many kilometres have I trekked altogether?",
        ),
        (
            "{who} hiked {n} km on {item}",
            "{who} wants to do {item} next month",
            "{who} walks about {n} km every weekend",
        ),
        amounts=(6, 24, 1),
        answer="{total} km",
        missing=("How far has {who} hiked?",),
    ),
    CountKind(
        "volunteering",
        (
            "the food bank",
            "the animal shelter",
            "the community garden",
            "a beach clean-up",
            "the library's reading programme",
        ),
        (
            "I volunteered {n} hours at {item} this weekend",
            "I spent {n} hours helping out at {item}",
            "{n} hours at {item} today, tired but happy",
        ),
        (
            "How many hours of unpaid community work have I done in total?",
            "How much time have I given to good causes altogether?",
        ),
        (
            "{who} volunteers {n} hours a week at {item}",
            "{who} asked me to help at {item}",
            "{who} wants to do more community work",
        ),
        amounts=(2, 8, 1),
        answer="{total} hours",
        missing=("How many hours has {who} volunteered?",),
    ),
    CountKind(
        "countries",
        tuple(COUNTRIES),
        (
            "I just got back from {item} and I'm still jet-lagged",
            "the trip to {item} was incredible",
            "I spent ten days in {item} and ate far too much",
        ),
        (
            "How many different countries have I travelled to recently?",
            "How many foreign trips have I told you about?",
        ),
        (
            "{who} is flying to {item} next week",
            "{who} lived in {item} for a year",
            "{who} has been to more countries than anyone I know",
        ),
        answer="{count} ({items})",
        missing=("How many countries has {who} visited?",),
    ),
    CountKind(
        "aquarium",
        ("neon tetras", "guppies", "cherry barbs", "corydoras", "zebra danios", "platies"),
        (
            "I added {n} {item} to the tank",
            "{n} more {item} went into the aquarium today",
            "the fish shop had {item} on offer, so I bought {n}",
        ),
        ("How many fish have I added to my aquarium?", "How many new fish live in my tank?"),
        (
            "{who} has {n} {item} in their aquarium",
            "{who} lost {n} {item} to a heater failure",
            "{who} keeps far too many fish in one tank",
        ),
        amounts=(2, 8, 1),
        answer="{total}",
        missing=("How many fish does {who} have?",),
    ),
    CountKind(
        "appointments",
        ("the dentist", "a physiotherapist", "the dermatologist", "an eye doctor", "my GP"),
        (
            "I had an appointment with {item} on Tuesday",
            "I saw {item} this morning, all fine",
            "{item} squeezed me in at short notice yesterday",
        ),
        (
            "How many medical appointments have I had?",
            "How many times have I seen a health professional lately?",
        ),
        (
            "{who} has an appointment with {item} next week",
            "{who} keeps cancelling on {item}",
            "{who} has had a lot of medical appointments this year",
        ),
        answer="{count} ({items})",
        missing=("How many appointments has {who} had?",),
    ),
    CountKind(
        "fundraising",
        ("a bake sale", "a sponsored swim", "a quiz night", "a charity run", "a raffle"),
        (
            "we raised {n_money} with {item} for the shelter",
            "{item} brought in {n_money} for the hospice",
            "I organised {item} and we made {n_money} for charity",
        ),
        (
            "How much money have I raised for good causes altogether?",
            "What's the total I've collected for charities?",
        ),
        (
            "{who} raised {n_money} with {item}",
            "{who} is planning {item} for the school",
            "{who} thinks charity events raise too little money",
        ),
        amounts=(40, 400, 10),
        answer="{total_money}",
        missing=("How much has {who} raised for charity?",),
    ),
)
