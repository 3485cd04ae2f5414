"""Preferences a user lets slip (single-session-preference): the question asks for a
recommendation and never names the preference; the answer says what the user would prefer.
Distractors are other people's tastes in the question's own words."""

from __future__ import annotations

from memsvc.evals.synth_facts import StaticKind
from memsvc.evals.synth_world import PET_NAMES

PREFERENCES = (
    StaticKind(
        "vegetarian",
        {"years": ("two", "three", "five", "six")},
        (
            "I haven't eaten meat in about {years} years, so dinner at barbecues is awkward",
            "since I went vegetarian {years} years ago I've been cooking a lot more lentils",
            "being veggie for {years} years means I know every chickpea recipe there is",
        ),
        (
            "I'm hosting friends for dinner on Saturday. What should I make?",
            "Can you suggest a menu for a dinner party this weekend?",
            "What could I cook for a family get-together?",
        ),
        "The user would prefer vegetarian dishes (no meat for years); meat or fish dishes "
        "would not suit them.",
        (
            "{who} is hosting a dinner party on Saturday and roasting a whole lamb",
            "{who} wants a steak menu for dinner with friends this weekend",
            "{who} is cooking a pork roast for a family get-together",
        ),
    ),
    StaticKind(
        "scifi",
        {"film": ("Arrival", "Annihilation", "Ex Machina", "Blade Runner 2049", "Moon")},
        (
            "I rewatched {film} last night, I love that slow, thoughtful kind of science fiction",
            "I can't do horror movies at all, but a film like {film} I could watch every week",
            "{film} is still my comfort film, cerebral sci-fi is my thing",
        ),
        (
            "Any movie ideas for a quiet night in?",
            "Which film should I stream this weekend?",
        ),
        "The user would prefer slow, thoughtful science fiction like {film}; not horror.",
        (
            "{who} loves horror and made me watch three slasher movies on a quiet night in",
            "{who} streamed a whole true-crime series this weekend",
            "{who} only watches romantic comedies",
        ),
    ),
    StaticKind(
        "quiet_travel",
        {"place": ("the Dolomites", "the Scottish Highlands", "the Azores", "Patagonia")},
        (
            "crowded cities drain me on trips, give me a cabin and a trail and I'm happy",
            "my best holiday ever was a week of hiking in {place} where we saw nobody",
            "busy tourist spots stress me out, I'd rather be somewhere like {place}",
        ),
        (
            "Where should I go for a long weekend this autumn?",
            "Can you recommend a destination for my next short break?",
        ),
        "The user would prefer quiet, nature-focused places (hiking, cabins, remote areas like "
        "{place}) over busy cities.",
        (
            "{who} wants to spend a long weekend in a big city with nightlife",
            "{who} spent their short break shopping in a big city",
            "{who} is going to a theme park in the autumn",
        ),
    ),
    StaticKind(
        "knee",
        {"sport": ("skiing", "football", "basketball", "a fall off my bike")},
        (
            "my left knee still hasn't recovered from {sport}, so anything with jumping is out",
            "since the knee surgery after {sport} my only exercise is swimming and cycling",
            "my physio says no running for a while because of my knee",
        ),
        (
            "Could you put together a workout plan for me?",
            "What exercise routine would you suggest to get fitter this year?",
        ),
        "The user would prefer low-impact exercise (swimming, cycling) that spares their injured "
        "knee; no jumping or running-heavy plans.",
        (
            "{who} started a workout plan with lots of box jumps",
            "{who}'s trainer gave them an exercise routine full of sprints",
            "{who} wants a plan to run a marathon",
        ),
    ),
    StaticKind(
        "jazz",
        {"artist": ("Bill Evans", "Keith Jarrett", "Brad Mehldau", "Ahmad Jamal")},
        (
            "I've had {artist} on repeat while I work, there's something about jazz piano",
            "I'm deep into {artist} albums lately, jazz piano music is my thing",
            "nothing relaxes me like an old {artist} trio recording",
        ),
        (
            "Can you recommend some music for a rainy Sunday?",
            "What albums should I put on while I cook tonight?",
        ),
        "The user would prefer jazz piano recordings, similar to {artist}.",
        (
            "{who} only listens to heavy metal on rainy days",
            "{who} made a playlist of pop hits to put on while cooking",
            "{who} keeps sending me loud punk albums",
        ),
    ),
    StaticKind(
        "historical_fiction",
        {"author": ("Hilary Mantel", "Ken Follett", "Sarah Waters", "Maggie O'Farrell")},
        (
            "I just devoured another {author} novel, historical fiction is totally my thing",
            "give me a thick {author} book set a few centuries ago and I disappear for a week",
            "I'm on my third {author} this year, I love anything set in the past",
        ),
        (
            "I need something to read on the plane, any suggestions?",
            "What book should I take on holiday?",
        ),
        "The user would prefer historical fiction, e.g. more by {author} or similar authors.",
        (
            "{who} only reads thrillers on the plane",
            "{who} recommended a self-help book to take on holiday",
            "{who} is reading a fantasy series on the beach",
        ),
    ),
    StaticKind(
        "lactose",
        {"drink": ("flat white", "cortado", "chai latte", "cappuccino")},
        (
            "I'm lactose intolerant, so it's an oat milk {drink} for me every morning",
            "dairy and I broke up years ago, at any café I order my {drink} with oat milk",
            "anything with cream or cheese makes me ill, I learned that the hard way",
        ),
        (
            "What should I order at the new café down the street?",
            "Any ideas for a treat at the bakery this weekend?",
        ),
        "The user would prefer dairy-free options (they are lactose intolerant and use oat milk).",
        (
            "{who} always orders a triple cream latte at the café",
            "{who} wants to try the cheesecake at the new bakery",
            "{who} orders a milkshake at the café down the street every day",
        ),
    ),
    StaticKind(
        "linux",
        {"distro": ("Fedora", "Debian", "Ubuntu", "Arch")},
        (
            "I switched all my machines to {distro} last year and I'm not going back",
            "I try to use open-source software wherever I can, my laptop runs {distro}",
            "everything I own runs Linux, {distro} mostly, so I only use apps that work there",
        ),
        (
            "Which note-taking app would you recommend?",
            "What's a good tool to manage my to-do list?",
        ),
        "The user would prefer open-source apps that run on Linux ({distro}).",
        (
            "{who} recommended a note-taking app that only runs on a Mac",
            "{who} manages their to-do list in a paid Windows app",
            "{who} pays for a note-taking tool on their iPad",
        ),
    ),
    StaticKind(
        "air_fryer",
        {"giver": ("my mum", "my partner", "my flatmate", "my aunt")},
        (
            "honestly the air fryer {giver} gave me is the best kitchen thing I own",
            "I make almost everything in the air fryer now, {giver} laughs at me",
            "the air fryer makes our dinner every single evening after work",
        ),
        (
            "Got any quick weeknight dinner ideas?",
            "What can I make for a fast dinner after work?",
        ),
        "The user would prefer quick recipes that use their air fryer.",
        (
            "{who} makes every weeknight dinner in a slow cooker",
            "{who} orders takeaway for dinner after work most days",
            "{who} only cooks on the grill",
        ),
    ),
    StaticKind(
        "dog_travel",
        {"pet": tuple(PET_NAMES)},
        (
            "our dog {pet} comes everywhere with us, so I always check if places allow pets",
            "we never leave {pet} at a kennel, she travels with us",
            "{pet} has stayed in more hotels and holiday cottages than most people",
        ),
        (
            "Can you suggest a hotel for a weekend away?",
            "Where could we stay for a short trip to the coast?",
        ),
        "The user would prefer pet-friendly places, because their dog {pet} travels with them.",
        (
            "{who} is looking for an adults-only hotel for a weekend away",
            "{who} booked a place on the coast for a short trip",
            "{who}'s dog {pet} stays at a kennel when they travel",
        ),
    ),
    StaticKind(
        "street_photo",
        {"camera": ("Fujifilm X-T4", "Sony A7 III", "Canon R6", "Ricoh GR III")},
        (
            "I've been taking my {camera} everywhere and shooting mostly street scenes",
            "street photography with my {camera} is how I unwind on weekends",
            "I took hundreds of pictures on my {camera} wandering around the old town",
        ),
        (
            "Any tips for taking better pictures on my trip?",
            "How can I get better at photography this year?",
        ),
        "The user would prefer advice for street photography with their {camera}.",
        (
            "{who} takes all their holiday pictures on a phone",
            "{who} took terrible pictures on their trip",
            "{who} bought a {camera} and never uses it",
        ),
    ),
)
