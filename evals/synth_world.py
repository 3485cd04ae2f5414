"""Word pools the generator draws persona facts and their distractors from.

The pools are deliberately ordinary (common cities, first names, brands): real users talk
about the same things as other people, which is what makes distractors hard.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Maya Leo Nora Omar Priya Tomas Ines Felix Hana Mateo Zara Ivan Lucia Kenji Amara Jonas "
    "Elif Rafael Sienna Dario Freya Malik Yara Aurelio Tess Bruno Nadia Caleb Mira Anton Leila "
    "Hugo Rosa Emeka Greta Samir Clara Milo Ada Theo Lina Viktor Esme Joaquin Noor Pablo"
).split()
# For relatives whose gender the template fixes ("my younger brother {name}").
NEUTRAL_NAMES = "Alex Jordan Robin Charlie Kai Noa Remy Quinn Sasha Ari Rowan Elliot".split()
PET_NAMES = (
    "Biscuit Pepper Mochi Juniper Waffles Clementine Pickles Ziggy Hazel Rocket Olive Noodle "
    "Pumpkin Marlowe Basil Truffle Luna Ginger Otis Peanut Sprout Kiwi Nugget Figaro"
).split()
CITIES = (
    "Lisbon Porto Denver Austin Toronto Melbourne Dublin Seattle Madrid Valencia Berlin Munich "
    "Chicago Portland Boston Vancouver Edinburgh Glasgow Lyon Barcelona Amsterdam Rotterdam "
    "Copenhagen Vienna Prague Montreal Minneapolis Pittsburgh Atlanta Raleigh"
).split()
COUNTRIES = (
    "Portugal|Japan|Mexico|Iceland|Morocco|Vietnam|Greece|Peru|Norway|Croatia|Canada|"
    "Ireland|Thailand|Chile|Scotland|Italy|Kenya|New Zealand|Georgia|Slovenia"
).split("|")
EMPLOYERS = (
    "Acme Robotics|Northwind Logistics|Brightpath Health|Bluefin Analytics|Cedar & Pine Design|"
    "Helios Energy|Quarry Labs|Orbital Foods|Tidewater Insurance|Lumen Learning|Foxglove Media|"
    "Granite Bank|Ridgeline Outdoors|Sable Pharma|Kestrel Games|Harbor City Council"
).split("|")
JOB_TITLES = (
    "data analyst|product manager|UX designer|backend developer|nurse practitioner|"
    "marketing coordinator|project manager|sales engineer|research assistant|QA lead|"
    "operations manager|content strategist|account manager|staff engineer"
).split("|")
CARS = (
    "Honda Civic|Toyota Corolla|Subaru Outback|Mazda CX-5|Volkswagen Golf|Kia Niro|"
    "Hyundai Ioniq 5|Ford Focus|Tesla Model 3|Skoda Octavia|Nissan Leaf|Volvo XC40"
).split("|")
PHONES = (
    "Pixel 7|iPhone 13|Galaxy S22|iPhone 15|Pixel 8a|Galaxy A54|Fairphone 5|OnePlus 11"
).split("|")
BANDS = (
    "Arctic Monkeys|Fleetwood Mac tribute band|Khruangbin|Phoebe Bridgers|The National|"
    "Hozier|Bon Iver|Tame Impala|Florence and the Machine|Vampire Weekend|Mitski|Beach House|"
    "Fontaines D.C.|Haim|Big Thief|Caribou"
).split("|")
BOOKS = (
    "The Overstory|Piranesi|Circe|Project Hail Mary|The Remains of the Day|Pachinko|Educated|"
    "The Left Hand of Darkness|Station Eleven|Klara and the Sun|A Gentleman in Moscow|"
    "The Name of the Wind|Lonesome Dove|The Secret History|Middlemarch|The Goldfinch"
).split("|")
AUTHORS = (
    "Ursula K. Le Guin|Kazuo Ishiguro|Madeline Miller|Andy Weir|Donna Tartt|Min Jin Lee|"
    "Emily St. John Mandel|Richard Powers|Susanna Clarke|Larry McMurtry|Tana French|"
    "Patrick Rothfuss|Octavia E. Butler|Colson Whitehead"
).split("|")
LANGUAGES = "Portuguese|Japanese|Italian|German|Korean|Spanish|Dutch|Greek|Turkish".split("|")
INSTRUMENTS = "cello|ukulele|piano|violin|bass guitar|drums|saxophone|mandolin".split("|")
VENUES = "the Roundhouse|the Fillmore|the Paradiso|the Forum|the Orpheum|the Ryman".split("|")

# Other people a distractor can be about (never the persona); each reads well with "'s".
OTHERS = (
    "my sister|my brother|my cousin|my neighbour|my colleague|my boss|my best friend|"
    "my roommate|my aunt|my uncle|my mom|my dad|my friend Jules|my partner's sister|"
    "my old flatmate|my manager|my brother-in-law|my coworker Sam|my niece|my teammate|"
    "my friend Dana|my nephew"
).split("|")
