"""Word lists for the rules extractor: general English knowledge, nothing from any data set.

Each list is what a reader would write down for the rule it serves; they stay small on purpose
(precision over recall: a word missing here only loses a candidate).
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PET_NOUNS = _words(
    """dog dogs puppy puppies pup cat cats kitten kittens kitty hamster hamsters rabbit rabbits
    bunny parrot parrots bird birds budgie fish goldfish turtle turtles tortoise snake snakes
    lizard gecko iguana horse horses pony pig ferret ferrets chinchilla hedgehog
    retriever labrador lab terrier poodle beagle greyhound husky bulldog spaniel collie corgi
    dachshund chihuahua pug shepherd tabby"""
)

# Heads of a workplace noun phrase ("a small startup called Finch"): "I've been at <one>"
# says where one works only with such a head, "I've been at the beach" does not.
WORKPLACE_NOUNS = _words(
    """startup company firm agency bank hospital clinic school university college nonprofit
    charity lab studio consultancy corporation business restaurant bakery shop store office"""
)

# Kin and other people one "has"; the relation label is has_<singular>.
KIN_NOUNS = {
    "sister": "sister",
    "sisters": "sister",
    "brother": "brother",
    "brothers": "brother",
    "sibling": "sibling",
    "siblings": "sibling",
    "son": "son",
    "sons": "son",
    "daughter": "daughter",
    "daughters": "daughter",
    "kid": "kid",
    "kids": "kid",
    "child": "child",
    "children": "child",
    "husband": "husband",
    "wife": "wife",
    "partner": "partner",
    "boyfriend": "boyfriend",
    "girlfriend": "girlfriend",
    "fiance": "fiance",
    "fiancee": "fiancee",
    "mom": "mother",
    "mum": "mother",
    "mother": "mother",
    "dad": "father",
    "father": "father",
    "parents": "parent",
    "grandma": "grandmother",
    "grandmother": "grandmother",
    "grandpa": "grandfather",
    "grandfather": "grandfather",
    "grandson": "grandson",
    "granddaughter": "granddaughter",
    "grandkids": "grandchild",
    "grandchildren": "grandchild",
    "aunt": "aunt",
    "uncle": "uncle",
    "cousin": "cousin",
    "cousins": "cousin",
    "niece": "niece",
    "nephew": "nephew",
    "friend": "friend",
    "friends": "friend",
    "roommate": "roommate",
    "neighbor": "neighbor",
    "neighbour": "neighbor",
    "boss": "boss",
    "coworker": "coworker",
    "colleague": "colleague",
    "mentor": "mentor",
    "therapist": "therapist",
    "coach": "coach",
    "teacher": "teacher",
}

# Things one "owns" (the head noun of "I have/own a ..."); abstract nouns are left out.
POSSESSION_NOUNS = _words(
    """car cars truck van suv bike bicycle motorcycle scooter boat house home apartment flat
    condo cabin cottage farm garden yard piano guitar violin drum drums keyboard ukulele cello
    camera laptop computer pc tablet phone smartphone console telescope drone kayak canoe tent
    rv trailer collection shop store bakery restaurant cafe business company studio"""
)

# Heads of "I'm a/an ..." that describe who one is (occupations, roles, identities).
ROLE_NOUNS = _words(
    """accountant actor actress architect artist athlete attorney baker barista biologist
    blogger bookkeeper carpenter cashier chef chemist cleaner coach consultant cook counselor
    counsellor dancer dentist designer developer doctor driver economist editor electrician
    engineer entrepreneur farmer firefighter freelancer gardener hairdresser historian
    illustrator instructor intern journalist judge landscaper lawyer librarian lecturer
    manager mechanic midwife musician nanny nurse officer painter paralegal pharmacist
    photographer physician physicist physiotherapist pilot plumber poet policeman professor
    programmer psychologist realtor receptionist reporter researcher sailor salesman
    scientist secretary singer soldier student surgeon tailor teacher technician therapist
    translator tutor veterinarian vet volunteer waiter waitress welder writer author novelist
    youtuber streamer analyst administrator assistant clerk curator investor founder
    mom mother dad father parent grandmother grandfather grandparent wife husband widow
    widower veteran retiree vegan vegetarian runner swimmer cyclist climber hiker gamer
    woman man"""
)

# Words that may follow "I'm" as a profile trait.
TRAIT_WORDS = _words(
    """vegan vegetarian pescatarian married single divorced engaged widowed pregnant retired
    unemployed introverted extroverted introvert extrovert left-handed right-handed
    transgender nonbinary non-binary gay lesbian bisexual queer christian muslim jewish
    buddhist hindu atheist agnostic diabetic"""
)

# "my X is Y" where X is a profile attribute of the speaker.
PROFILE_ATTRIBUTES = _words(
    """name birthday age hometown nickname email major job occupation profession height
    weight zodiac sign star blood type shoe size"""
)

EVENT_NOUNS = _words(
    """concert festival conference party wedding funeral meeting class workshop seminar
    lecture retreat camp game match tournament race marathon parade fair show exhibition
    exhibit gala ceremony graduation reunion convention meetup gathering rally protest
    service session group event fundraiser auction competition contest recital play
    performance hackathon webinar summit expo"""
)

PLACE_SUFFIXES = _words(
    """City Town Village County State Park Beach Lake River Mountain Mountains Island Islands
    Bay Valley Street St Avenue Ave Road Rd Boulevard Square Canyon Falls Forest Desert Coast
    Museum Zoo Garden Gardens Plaza Mall Airport Station Bridge Tower Castle Cathedral
    Palace Trail Peninsula Harbor Harbour Hills Springs Heights"""
)

ORG_SUFFIXES = _words(
    """Inc Inc. Corp Corp. Corporation Company Co Co. LLC Ltd Ltd. Group University College
    Institute School Academy Hospital Clinic Bank Labs Lab Foundation Association Society
    Church Club Agency Department Ministry Council Studios Studio Records Press Airlines
    Motors Technologies Systems Solutions Partners Center Centre Library Team"""
)

EVENT_SUFFIXES = _words(
    """Festival Fest Conference Con Marathon Parade Summit Expo Fair Games Olympics Cup
    Championship Championships Tournament Gala Awards Week Convention Hackathon"""
)

# Countries, US states and large cities: a place gazetteer of general knowledge.
PLACES = frozenset(
    line.strip()
    for line in """
    Afghanistan,Albania,Algeria,Argentina,Armenia,Australia,Austria,Bangladesh,Belgium,
    Bolivia,Brazil,Bulgaria,Cambodia,Cameroon,Canada,Chile,China,Colombia,Costa Rica,Croatia,
    Cuba,Cyprus,Czechia,Denmark,Ecuador,Egypt,England,Estonia,Ethiopia,Finland,France,Germany,
    Ghana,Greece,Guatemala,Haiti,Honduras,Hungary,Iceland,India,Indonesia,Iran,Iraq,Ireland,
    Israel,Italy,Jamaica,Japan,Jordan,Kenya,Korea,Latvia,Lebanon,Lithuania,Luxembourg,
    Malaysia,Mexico,Mongolia,Morocco,Nepal,Netherlands,New Zealand,Nigeria,Norway,Pakistan,
    Panama,Peru,Philippines,Poland,Portugal,Romania,Russia,Scotland,Senegal,Serbia,Singapore,
    Slovakia,Slovenia,South Africa,South Korea,Spain,Sri Lanka,Sweden,Switzerland,Syria,
    Taiwan,Tanzania,Thailand,Tunisia,Turkey,Uganda,Ukraine,United Kingdom,United States,
    Uruguay,Venezuela,Vietnam,Wales,Zimbabwe,USA,UK,Europe,Asia,Africa,Antarctica,
    Alabama,Alaska,Arizona,Arkansas,California,Colorado,Connecticut,Delaware,Florida,
    Hawaii,Idaho,Illinois,Indiana,Iowa,Kansas,Kentucky,Louisiana,Maine,Maryland,
    Massachusetts,Michigan,Minnesota,Mississippi,Missouri,Montana,Nebraska,Nevada,
    New Hampshire,New Jersey,New Mexico,New York,North Carolina,North Dakota,Ohio,Oklahoma,
    Oregon,Pennsylvania,Rhode Island,South Carolina,South Dakota,Tennessee,Texas,Utah,
    Vermont,Virginia,Washington,West Virginia,Wisconsin,Wyoming,Ontario,Quebec,
    British Columbia,Alberta,Bavaria,Tuscany,Provence,Bali,Hokkaido,Patagonia,
    Amsterdam,Athens,Atlanta,Austin,Baltimore,Bangkok,Barcelona,Beijing,Berlin,Bogota,
    Boston,Brooklyn,Brussels,Budapest,Buenos Aires,Cairo,Calgary,Cape Town,Chicago,
    Copenhagen,Dallas,Delhi,Denver,Detroit,Dubai,Dublin,Edinburgh,Florence,Frankfurt,
    Geneva,Glasgow,Hamburg,Hanoi,Havana,Helsinki,Hong Kong,Honolulu,Houston,Istanbul,
    Jakarta,Jerusalem,Johannesburg,Kyoto,Lagos,Las Vegas,Lima,Lisbon,London,Los Angeles,
    Lyon,Madrid,Manchester,Manila,Marseille,Melbourne,Miami,Milan,Minneapolis,Montreal,
    Moscow,Mumbai,Munich,Nairobi,Naples,Nashville,New Orleans,Nice,Orlando,Osaka,Oslo,
    Ottawa,Paris,Philadelphia,Phoenix,Pittsburgh,Portland,Prague,Quebec City,Reykjavik,
    Rio de Janeiro,Rome,San Diego,San Francisco,San Jose,Santiago,Sao Paulo,Seattle,Seoul,
    Shanghai,Stockholm,Sydney,Taipei,Tokyo,Toronto,Vancouver,Venice,Vienna,Warsaw,
    Washington DC,Zurich,Manhattan,Queens,Hollywood,Silicon Valley,Yosemite,Yellowstone
    """.replace("\n", "").split(",")
    if line.strip()
)

# Common given names, for typing a capitalised word as a person. Frequent, varied, general.
FIRST_NAMES = _words(
    """Aaron Adam Adrian Ahmed Aisha Alan Alex Alexander Alice Alicia Amanda Amelia Amir Amy
    Ana Andrea Andrew Angela Anna Anne Anthony Antonio Arjun Ava Barbara Ben Benjamin Beth
    Brian Bruce Carl Carlos Carmen Catherine Charles Charlie Charlotte Chen Chloe Chris
    Christina Christopher Claire Daniel David Deborah Diana Diego Dylan Eli Elena Elizabeth
    Ella Emily Emma Eric Ethan Eva Fatima Felix Fernando Frank Gabriel George Grace Hannah
    Harry Helen Henry Hiro Ian Isaac Isabella Jack Jacob James Jane Jason Javier Jen Jenny
    Jennifer Jessica Jim John Jonathan Jordan Jose Joseph Joshua Julia Julie Karen Kate Katie
    Kevin Kim Laura Lauren Leo Liam Lily Linda Lisa Lucas Lucy Luis Luke Maria Mark Martin
    Mary Matt Matthew Max Maya Megan Mei Mia Michael Michelle Mike Mohammed Nadia Nancy Nathan
    Nick Nicole Noah Nora Olivia Omar Oscar Patrick Paul Peter Priya Rachel Raj Rebecca Richard
    Robert Rosa Ryan Sam Samuel Sara Sarah Sean Sofia Sophia Sophie Steve Steven Susan Thomas
    Tim Tom Tony Victor Victoria William Yuki Zoe"""
)

# Capitalised words that are not names: sentence starters, interjections, time words.
NOT_NAMES = _words(
    """I I'm I've I'll I'd Im Ive Ill Oh Ohh Wow Yeah Yes Yep No Nope Hey Hi Hello Thanks Thank
    Ok Okay OK Well So And But Or Also Just Actually Anyway Honestly Haha Lol LOL Hmm Um Umm
    Sure Great Good Nice Cool Awesome Amazing Congrats Congratulations Sorry Please Sounds
    That's That This These Those It It's Its There There's Here Here's What What's When Where
    Why How Who Which My Our Your Their His Her The A An We We're You You're They He She
    Yesterday Today Tomorrow Tonight Last Next This Recently Lately Finally Then Now Soon
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
    June July August September October November December Christmas Easter Thanksgiving
    Halloween New Year Year's Eve Mom Dad Mum Grandma Grandpa God Lord TV AI Mr Mrs Ms Dr
    Guess Fun Love Glad Happy Absolutely Definitely Totally Exactly Right True Agreed Btw BTW
    Plus Even Maybe Perhaps Someday Speaking Talking Anyways Really Truly Indeed Both Each
    Every Some Many Most Not Never Always Let Let's Can Could Would Should Will Do Did Does
    Have Had Has Is Was Were Are Be Being If Because Since While After Before Though
    Although Unless Until Till Once As Like Wanna Gonna Gotta English"""
)

# Verbs after "I will / I'm going to / I plan to" that are conversation, not plans.
CHATTER_VERBS = _words(
    """be say tell ask answer think see check try let keep make guess need have get give look
    take talk reply respond admit assume bet mention note remember consider continue share
    send show explain help go do love like wish hope"""
)

# Verbs after "I will / I'm going to" that make a plan (others are resolutions or chatter).
PLAN_VERBS = _words(
    """visit go travel fly drive move start begin join attend buy adopt learn apply sign enroll
    enrol register run host throw launch open finish quit retire celebrate propose marry study
    sell build plant paint write record publish release perform compete enter volunteer hike
    camp meet spend"""
)

# Verbs past tense without -ed, for the dated-event rule and verb agreement.
IRREGULAR_PAST = _words(
    """went took made saw ran got had bought brought caught taught thought found gave came
    became began drank drove ate fell felt flew forgot froze grew heard held hid hit hurt kept
    knew led left lent lost met paid put quit read rode rang rose said sang sat sent set shook
    shot shut slept sold spent spoke stood stole swam threw told understood woke won wore
    wrote built sent chose fought dug lit spun stuck swung tore"""
)

MODALS = _words("""will would can can't cannot could couldn't should shall may might must""")

# Adverbs allowed between the subject and the verb.
ADVERBS = (
    "really|also|absolutely|totally|just|still|truly|actually|definitely|honestly|especially|"
    "genuinely|finally|recently|officially|always|even|so|do|did|kind of|sort of|pretty much|"
    "now|already|seriously|literally"
)

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
