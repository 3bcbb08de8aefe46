#!/usr/bin/env python3
"""Generate tinybert's small built-in sample datasets into data/samples/.

All text is synthetic: it is produced from the templates and word lists in this
file (written for tinybert), not taken from the real IMDb / WikiANN / SQuAD data.
Only the file *formats* follow the public datasets:

  data/samples/imdb/aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt   (aclImdb v1 layout)
  data/samples/wikiann/{train,validation}.tsv                          (XTREME PAN-X TSV, IOB2)
  data/samples/squad/{train,dev}.json                                  (official SQuAD v1.1 JSON)

Deterministic (random.Random(0)), standard library only. Usage:

  python3 tools/make_samples.py [--out data/samples]

The generated dataset directories are removed and rewritten; data/samples/README.md
is left alone.
"""

import argparse
import json
import os
import re
import shutil
import random

# ---------------------------------------------------------------------------
# Shared word lists (invented or very common names)
# ---------------------------------------------------------------------------

FIRST_F = ["Zoë", "Marta", "Chloé", "Renée", "Ingrid", "Amara", "Priya", "Lena", "Élodie",
           "Noor", "Ayla", "Hannah", "Sofia", "Grace", "Mei", "Ines", "Clara", "Tamsin",
           "Freya", "Yara", "Beatriz", "Agnès", "Ruth", "Helena"]
FIRST_M = ["José", "Søren", "Björn", "Mateo", "Kofi", "Hiroshi", "Tomás", "Dmitri", "Rafael",
           "Owen", "Samuel", "Arjun", "Felix", "Idris", "Luca", "Anders", "Declan", "Emil",
           "Jonah", "Malik", "René", "Oskar", "Teodor", "Callum"]
SURNAMES = ["Kell", "Hartley", "Brennan", "Okafor", "Lindqvist", "Moreau", "Castellano",
            "Nakamura", "Petrov", "Whitcombe", "Delacroix", "Ferreira", "Osei", "Varga",
            "Haldane", "Thornbury", "Müller", "Ashdown", "Quint", "Marlowe", "Pereira",
            "Fairweather", "Oyelaran", "Szabó", "Dunmore", "Ellery", "Galloway", "Ibáñez",
            "Kowalczyk", "Larkspur", "Mendel", "Novak", "Rosen", "Strand", "Tremaine",
            "Vidal", "Wexford", "Yilmaz", "Abernethy", "Coutts"]

TOWNS = ["Varenholm", "Brackley Cross", "Eastmere", "Port Callow", "Tessington", "Halvik",
         "Marrowdale", "Stonebridge Falls", "Quillon", "Ravensford", "Old Ashby", "Lindmoor",
         "Kestrel Bay", "Norwick", "Saint Aldric", "Greywater", "Fennick", "Amberly",
         "Coldharbour", "Wrenfield", "Dunhallow", "Oxley Mills", "Pelham Vale", "Rookhaven"]
REAL_PLACES = ["New York City", "London", "Paris", "Rio de Janeiro", "Cape Town", "São Paulo",
               "Kraków", "Zürich", "Lake Geneva", "Buenos Aires", "Hong Kong", "Los Angeles",
               "Mexico City", "Dublin", "Oslo", "Nairobi", "Lisbon", "Montréal", "Québec",
               "New South Wales", "Sierra Nevada", "Rocky Mountains", "Isle of Skye", "Texas"]
CITIES = ["New York City", "London", "Paris", "Rio de Janeiro", "Cape Town", "São Paulo",
          "Kraków", "Zürich", "Buenos Aires", "Hong Kong", "Los Angeles", "Mexico City"]
REGIONS = ["Ostvald Valley", "Northern Lowlands", "Harrow Hills", "Brightwater Coast",
           "Upper Fenmarch", "Kessel Plateau", "Silver Moors", "Western Reach"]
RIVERS = ["Orlan River", "River Teme", "Vask River", "River Callow", "Brisk River",
          "River Aldwin", "Mora River", "River Fenn", "Kettle River", "River Sorrel"]
ORGS = ["Acme Robotics Ltd", "Northwind Shipping Company", "Bluefield United F.C.",
        "University of Eastmere", "Harbor Light Records", "Kestrel Aerospace",
        "National Museum of Varenholm", "Red Fern Theatre Company", "Greyline Bank",
        "Orion Software Group", "Royal Society of Lindmoor", "Tessington Rovers",
        "Halvik Institute of Technology", "Marrowdale Gazette", "Pioneer Rail Works",
        "Silverline Airways", "Brightwater Energy", "Quillon Chamber Orchestra",
        "United Nations", "European Space Agency", "Red Cross", "Sunvale Foods",
        "Coldharbour Athletic", "Ironbridge Motors", "Fennick College", "Lumen Labs",
        "Wexford & Strand", "Amberly Public Library", "Nordlys Telecom", "Kettle Valley Railway"]


def person_name(rng, female=None, middle=False):
    if female is None:
        female = rng.random() < 0.5
    first = rng.choice(FIRST_F if female else FIRST_M)
    parts = [first]
    if middle:
        parts.append(rng.choice(FIRST_F if female else FIRST_M))
    parts.append(rng.choice(SURNAMES))
    return " ".join(parts), female


# ---------------------------------------------------------------------------
# 1. IMDb-style reviews
# ---------------------------------------------------------------------------

TITLES = ["The Lantern Keeper", "Cold Harbor Nights", "A Season of Glass", "Driftwood",
          "The Ninth Tenant", "Small Hours", "Paper Wolves", "The Long Quiet", "Saltmarsh",
          "Midnight at the Orpheum", "The Cartographer's Daughter", "Echo Lane",
          "Brass Monkeys", "The Last Ferry", "Northern Static", "Velvet Machinery",
          "Under the Copper Sky", "The Weight of Snow", "Rustbelt Lullaby", "Stray Signals",
          "Hollow Crown Motel", "The Orchard Thief", "Second Sunrise", "Blue Tin Roof",
          "The Marrowdale Affair", "Night Shift at Kestrel Bay", "Glasshouse", "The Understudy",
          "Lighthouse 47", "Sparrow Road", "The Quiet Engineer", "Fever Pitch Hotel"]
GENRES = ["thriller", "comedy", "drama", "horror film", "romantic comedy", "war film",
          "mystery", "science fiction film", "family film", "western", "musical", "crime drama"]
ROLES = ["the weary detective", "the estranged sister", "the small-town mayor", "the con artist",
         "the grieving father", "the young pilot", "the reluctant heir", "the night nurse",
         "the retired boxer", "the ship's captain", "the substitute teacher", "the villain"]

OPENERS = [
    "I watched {title} with my sister last weekend.",
    "I went into {title} knowing almost nothing about it.",
    "Saw this at a small festival screening a few months ago.",
    "{title} is the third feature from director {dir}.",
    "My expectations for this {genre} were fairly modest.",
    "I rented {title} on a rainy Sunday afternoon.",
    "A friend had been telling me to watch this {genre} for ages.",
    "This is one of those films that turns up late at night on cable.",
    "{title} follows a family trying to hold on to a failing hotel.",
    "The premise of {title} is simple: two strangers share a long train journey.",
    "I had read the novel before seeing the film.",
    "We picked this {genre} almost at random.",
]

POS = {
    "acting": [
        "{actor} gives a quietly devastating performance as {role}.",
        "The cast is superb, especially {actor} as {role}.",
        "Every performance rings true, down to the smallest supporting part.",
        "{actor} has never been better, and the chemistry with {actor2} is wonderful.",
        "The acting is natural and warm, and nobody overplays a single scene.",
        "{actor} is a revelation as {role}, funny one minute and heartbreaking the next.",
    ],
    "plot": [
        "The story unfolds with real patience and never insults the audience.",
        "The script is sharp, clever and often laugh-out-loud funny.",
        "The twist actually earns its place, and the ending stayed with me for days.",
        "The writing is smart and the dialogue sparkles.",
        "It tells a simple story beautifully, without a wasted scene.",
        "The plot keeps surprising you right up to the final shot.",
    ],
    "music": [
        "The score is gorgeous and never overbearing.",
        "The soundtrack is a treat from start to finish.",
        "The music swells at exactly the right moments and gave me chills.",
        "I bought the soundtrack the next day.",
    ],
    "pacing": [
        "Two hours flew by.",
        "It moves briskly and I was never once tempted to check my watch.",
        "The pacing is perfect, slow when it needs to breathe and tense when it counts.",
        "I was gripped from the opening scene to the credits.",
    ],
    "direction": [
        "{dir} frames every scene with care and a wonderful eye for detail.",
        "The direction is confident and the photography is stunning.",
        "{dir} handles the shifts in tone with remarkable skill.",
        "It looks beautiful, and every shot feels considered.",
    ],
    "characters": [
        "Every character feels like a real person with their own reasons.",
        "I cared about these people, which is rarer than it should be.",
        "The characters are written with real affection and depth.",
        "Even the villain is given a heart, which makes the final act moving.",
    ],
    "negation": [
        "Not bad at all.",
        "I was not disappointed for a second.",
        "It never feels dull or predictable.",
        "I can't think of a single thing I would change.",
        "There isn't a weak moment in it.",
        "Not what I expected, and far better for it.",
    ],
}

NEG = {
    "acting": [
        "The acting is wooden across the board.",
        "{actor} sleepwalks through the role of {role}.",
        "Not even {actor} can save this mess.",
        "The performances range from flat to embarrassing.",
        "{actor} and {actor2} have zero chemistry, and every line is delivered like a shopping list.",
        "{actor} overacts so badly as {role} that I laughed in the wrong places.",
    ],
    "plot": [
        "The plot makes no sense and the twist is obvious from the first ten minutes.",
        "The script is lazy, full of clichés and dialogue nobody would ever say.",
        "Whole subplots are dropped without explanation.",
        "The story goes nowhere and the ending is an insult.",
        "It is a pile of half-finished ideas held together by coincidence.",
        "The writers clearly had no idea how to end it.",
    ],
    "music": [
        "The music is loud and never stops telling you what to feel.",
        "The soundtrack is generic and instantly forgettable.",
        "The score is so intrusive that it drowns out half the dialogue.",
        "The same cheesy song plays three times, and it was annoying the first time.",
    ],
    "pacing": [
        "I have rarely been so bored.",
        "It drags terribly, and the middle hour feels like three.",
        "I checked my watch more times than I can count.",
        "The pacing is a disaster, rushed where it should slow down and endless everywhere else.",
    ],
    "direction": [
        "{dir} seems to have no idea where to put the camera.",
        "The direction is clumsy and the editing is choppy.",
        "It looks cheap, and the lighting is so murky you can barely see the actors.",
        "{dir} throws in shaky close-ups at random, which gave me a headache.",
    ],
    "characters": [
        "I did not care about a single character.",
        "The characters are cardboard cut-outs who make stupid decisions.",
        "Nobody in this film behaves like a human being.",
        "The lead is so unlikeable that I was rooting for the villain.",
    ],
    "negation": [
        "This is not funny, not scary, and not worth your time.",
        "Nothing about it works.",
        "I can't recommend it to anyone.",
        "There is not one memorable scene.",
        "It is not even bad in an entertaining way.",
        "I wouldn't watch it again if you paid me.",
    ],
}

POS_CONCESSIONS = [
    "The middle section drags a little, but the payoff is worth it.",
    "It is a bit too long, yet I never stopped caring.",
    "The effects look dated, but the heart of the film more than makes up for it.",
    "Some of the jokes miss, but the ones that land are brilliant.",
]
NEG_CONCESSIONS = [
    "The photography is nice, but that is about it.",
    "{actor} tries hard, but the material lets everyone down.",
    "The first ten minutes are promising, and then it falls apart.",
    "The costumes are lovely, which is the only kind thing I can say.",
]

POS_CLOSERS = [
    "Highly recommended.", "A solid {r} out of 10 from me.", "I'll be watching it again soon.",
    "Go and see it.", "One of the best films I've seen this year.", "{r}/10.",
    "A small gem that deserves a bigger audience.", "Well worth your time.",
]
NEG_CLOSERS = [
    "Avoid.", "Two hours I will never get back.", "{r}/10, and that is generous.",
    "Skip it.", "What a waste of a good cast.", "One of the worst films I've sat through.",
    "Save your money.", "A complete letdown.",
]


def held_out(phrases, split):
    """Every third phrase is kept out of train, so test also has unseen phrasings."""
    return phrases if split == "test" else [p for i, p in enumerate(phrases) if i % 3 != 2]


def make_review(rng, positive, rating, split, titles, actors, directors):
    bank = {k: held_out(v, split) for k, v in (POS if positive else NEG).items()}
    fill = {
        "title": rng.choice(titles),
        "dir": rng.choice(directors),
        "genre": rng.choice(GENRES),
        "role": rng.choice(ROLES),
        "r": str(rating),
    }
    fill["actor"], fill["actor2"] = rng.sample(actors, 2)

    n = rng.choice([1, 2, 2, 3, 3, 3, 4, 4])
    sentences = []
    body_n = n
    use_opener = n >= 2 and rng.random() < 0.45
    use_closer = n >= 2 and rng.random() < 0.5
    body_n -= int(use_opener) + int(use_closer)
    if body_n < 1:
        use_closer = False
        body_n += 1
    aspects = rng.sample(sorted(bank), body_n)
    body = [rng.choice(bank[a]) for a in aspects]
    # occasionally a concession sentence ("..., but ...") replaces one body sentence
    if body_n >= 2 and rng.random() < 0.3:
        body[rng.randrange(body_n)] = rng.choice(held_out(POS_CONCESSIONS if positive else NEG_CONCESSIONS, split))
    if use_opener:
        sentences.append(rng.choice(OPENERS))
    sentences.extend(body)
    if use_closer:
        sentences.append(rng.choice(held_out(POS_CLOSERS if positive else NEG_CLOSERS, split)))
    sentences = [s.format(**fill) for s in sentences]
    sentences[0] = sentences[0][0].upper() + sentences[0][1:]

    out = sentences[0]
    for s in sentences[1:]:
        out += "<br /><br />" if rng.random() < 0.15 else " "
        out += s
    return out


def make_imdb(rng, root):
    base = os.path.join(root, "imdb")
    if os.path.isdir(base):
        shutil.rmtree(base)
    # train and test are about different films / people, like the real split
    titles = TITLES[:]
    rng.shuffle(titles)
    people = sorted({person_name(rng)[0] for _ in range(60)})
    rng.shuffle(people)
    half_t = len(titles) // 2
    split_cfg = {
        "train": (120, titles[:half_t], people[:18], people[18:26]),
        "test": (40, titles[half_t:], people[26:38], people[38:44]),
    }
    seen = set()
    counts = {}
    for split in ("train", "test"):
        n, titles_s, actors, directors = split_cfg[split]
        for label in ("pos", "neg"):
            d = os.path.join(base, "aclImdb", split, label)
            os.makedirs(d)
            ids = rng.sample(range(0, 12500), n)
            for i in ids:
                rating = rng.choice([7, 8, 8, 9, 10] if label == "pos" else [1, 1, 2, 3, 4])
                while True:
                    text = make_review(rng, label == "pos", rating, split, titles_s, actors, directors)
                    if text not in seen:
                        break
                seen.add(text)
                with open(os.path.join(d, "%d_%d.txt" % (i, rating)), "w", encoding="utf-8",
                          newline="") as f:
                    f.write(text)
            counts[(split, label)] = n
    return counts


# ---------------------------------------------------------------------------
# 2. WikiANN / PAN-X style NER
# ---------------------------------------------------------------------------

# Templates: space separated tokens; {PER} {ORG} {LOC} are entity slots,
# {YEAR} / {NUM} are plain O tokens.
NER_TEMPLATES = [
    "{PER} was born in {LOC} in {YEAR} .",
    "{PER} ( born {YEAR} ) is a footballer who plays for {ORG} .",
    "{PER} joined {ORG} in {YEAR} .",
    "The company {ORG} is based in {LOC} .",
    "{ORG} opened a new office in {LOC} .",
    "She later moved to {LOC} , where she met {PER} .",
    "He studied law at the {ORG} before returning to {LOC} .",
    "In {YEAR} , {PER} became the chairman of {ORG} .",
    "{LOC} is a town on the coast of {LOC} .",
    "The river flows through {LOC} and {LOC} .",
    "{PER} and {PER} founded {ORG} in {YEAR} .",
    "It was released by {ORG} on {NUM} May {YEAR} .",
    "The match between {ORG} and {ORG} ended in a draw .",
    "{PER} , the mayor of {LOC} , opened the bridge .",
    "According to {PER} , the museum will reopen next year .",
    "The album was recorded in {LOC} with producer {PER} .",
    "{ORG} signed {PER} on a two-year contract .",
    "He was elected to the council of {LOC} in {YEAR} .",
    "The station is operated by {ORG} .",
    "{PER} married {PER} in {LOC} in {YEAR} .",
    "It is located {NUM} km north of {LOC} .",
    "After the war , {PER} taught at {ORG} for {NUM} years .",
    "The festival takes place every summer in {LOC} .",
    "{ORG} announced that {PER} would step down .",
    "Flights to {LOC} are operated by {ORG} .",
    "The novel is set in {LOC} during the {YEAR} floods .",
]
NER_FRAGMENTS = [
    "'' {PER} ''",
    "{LOC} , {LOC}",
    "* {ORG} ( {LOC} )",
    "REDIRECT {PER}",
    "{ORG} ( {YEAR} -- {YEAR} )",
    "List of {ORG} players",
    "{PER} ( {YEAR} )",
    "* {PER} , {ORG}",
    "{LOC} ( {LOC} )",
    "{YEAR} in {LOC}",
    "Category : People from {LOC}",
    "{ORG} season {YEAR}",
    "; '' {PER} '' ( {ORG} )",
]


def ner_entity(rng, kind):
    if kind == "PER":
        r = rng.random()
        if r < 0.12:
            return [rng.choice(SURNAMES)]  # surname only
        name, _ = person_name(rng, middle=r > 0.85)
        return name.split()
    if kind == "ORG":
        return rng.choice(ORGS).split()
    if rng.random() < 0.55:
        return rng.choice(TOWNS + RIVERS + REGIONS).split()
    return rng.choice(REAL_PLACES).split()


def ner_sentence(rng, fragment):
    tmpl = rng.choice(NER_FRAGMENTS if fragment else NER_TEMPLATES)
    toks = []
    for t in tmpl.split():
        if t in ("{PER}", "{ORG}", "{LOC}"):
            kind = t[1:-1]
            ent = ner_entity(rng, kind)
            toks.append((ent[0], "B-" + kind))
            toks.extend((w, "I-" + kind) for w in ent[1:])
        elif t == "{YEAR}":
            toks.append((str(rng.randint(1850, 2021)), "O"))
        elif t == "{NUM}":
            toks.append((str(rng.randint(2, 28)), "O"))
        else:
            toks.append((t, "O"))
    return toks


def make_wikiann(rng, root):
    base = os.path.join(root, "wikiann")
    if os.path.isdir(base):
        shutil.rmtree(base)
    os.makedirs(base)
    seen = set()
    counts = {}
    for split, n in (("train", 400), ("validation", 100)):
        lines = []
        k = 0
        while k < n:
            s = ner_sentence(rng, fragment=rng.random() < 0.3)
            key = tuple(s)
            if key in seen or not (3 <= len(s) <= 20):
                continue
            seen.add(key)
            lines.extend("%s\t%s" % tw for tw in s)
            lines.append("")
            k += 1
        with open(os.path.join(base, split + ".tsv"), "w", encoding="utf-8", newline="\n") as f:
            # one blank line between sentences, file ends with a single newline
            f.write("\n".join(lines[:-1]) + "\n")
        counts[split] = n
    return counts


# ---------------------------------------------------------------------------
# 3. SQuAD v1.1 style QA
# ---------------------------------------------------------------------------

SLOT = re.compile(r"\{(\w+)\}")


def render(template, values):
    """Fill {slots}; return (text, {slot: start offset of its first occurrence})."""
    out, offsets, pos = [], {}, 0
    length = 0
    for m in SLOT.finditer(template):
        lit = template[pos:m.start()]
        out.append(lit)
        length += len(lit)
        key = m.group(1)
        val = values[key]
        offsets.setdefault(key, length)
        out.append(val)
        length += len(val)
        pos = m.end()
    out.append(template[pos:])
    return "".join(out), offsets


P_TOWN_HISTORY = (
    "{town} is a small market town in the {region}, on the eastern bank of the {river}. "
    "It was founded in {year} by {founder}, a {founder_job} who built a mill at the point "
    "where the river could be crossed on foot. For most of the nineteenth century the town "
    "lived from {trade}, and its old warehouses still line the quay. The railway arrived in "
    "{rail_year}, and by {census_year} the population had grown to {pop}. Today the town is "
    "best known for its covered bridge, the {bridge}, which was restored in {restore_year}.")
Q_TOWN_HISTORY = [
    ("founder", ["Who founded {town}?", "Who was the {founder_job} who founded {town}?"]),
    ("year", ["In what year was {town} founded?", "When was {town} founded?"]),
    ("river", ["On which river does {town} stand?", "What river is {town} located on?"]),
    ("trade", ["What did {town} live from for most of the nineteenth century?"]),
    ("rail_year", ["When did the railway reach {town}?", "In what year did the railway arrive?"]),
    ("pop", ["What was the population of {town} in {census_year}?"]),
    ("bridge", ["What is the name of the covered bridge in {town}?",
                "Which bridge is {town} best known for?"]),
    ("region", ["In which region is {town}?"]),
]

P_TOWN_ECONOMY = (
    "The economy of {town} changed sharply after the closure of the {factory} in "
    "{close_year}. About {jobs} jobs were lost, and the town council turned to tourism and "
    "small manufacturing. The largest employer is now {company}, which makes {product} and "
    "employs roughly {employees} people at its plant on {street}. A farmers' market is held "
    "every {weekday} in {square}, and the town's hotels report that most of their guests "
    "come from {city}.")
Q_TOWN_ECONOMY = [
    ("factory", ["Which factory closed in {close_year}?", "What closed in {town} in {close_year}?"]),
    ("jobs", ["How many jobs were lost when the {factory} closed?"]),
    ("company", ["What is the largest employer in {town}?", "Which company employs the most people in {town}?"]),
    ("product", ["What does {company} make?"]),
    ("weekday", ["On what day is the farmers' market held?"]),
    ("square", ["Where is the farmers' market held?"]),
    ("city", ["Where do most hotel guests in {town} come from?"]),
    ("street", ["On which street is the {company} plant?"]),
]

P_TOWN_FESTIVAL = (
    "Every {month}, {town} hosts the {festival}, a {days}-day celebration that began in "
    "{fest_year} as a small gathering of {fest_origin}. The festival now draws around "
    "{visitors} visitors. Its best-known event is the {event}, in which teams race "
    "{race_thing} down the {river}. The winning team receives the {trophy}, a {trophy_desc} "
    "first awarded by {mayor}, who was mayor at the time.")
Q_TOWN_FESTIVAL = [
    ("festival", ["What festival does {town} host every {month}?"]),
    ("month", ["In which month is the {festival} held?"]),
    ("days", ["How many days does the {festival} last?"]),
    ("fest_year", ["When did the {festival} begin?"]),
    ("visitors", ["How many visitors does the festival draw?"]),
    ("event", ["What is the best-known event of the {festival}?"]),
    ("race_thing", ["What do teams race in the {event}?"]),
    ("trophy", ["What prize does the winning team receive?"]),
    ("mayor", ["Who first awarded the {trophy}?"]),
]

P_TOWN_MODERN = (
    "In recent decades {town} has tried to balance growth with the protection of its old "
    "centre. A bypass opened in {bypass_year} took heavy lorries away from the high street, "
    "and the former station building became the {museum}, which holds a collection of "
    "{collection}. The town's secondary school, {school}, was rebuilt after a fire in "
    "{fire_year} and now teaches about {pupils} pupils. Local politics has long been "
    "dominated by arguments over a proposed reservoir at {reservoir_site}, first suggested by "
    "engineers from {water_company} and rejected in a referendum in which {referendum_pct} "
    "of voters took part. The town is twinned with {twin}.")
P_TOWN_GEOGRAPHY = (
    "The parish around {town} covers about {area} of farmland, woods and wet meadows. To the "
    "north the ground rises towards {hill}, the highest point in the district, from which "
    "walkers can see the sea on a clear day. The meadows along the river flood most winters, "
    "and since {reserve_year} part of them has been managed as a nature reserve known for "
    "its {bird}. The old drovers' road to the coast still runs along the ridge, although "
    "most of it is now a footpath.")
Q_TOWN_GEOGRAPHY = [
    ("hill", ["What is the highest point in the district around {town}?"]),
    ("bird", ["What is the nature reserve near {town} known for?"]),
]

Q_TOWN_MODERN = [
    ("bypass_year", ["When did the {town} bypass open?"]),
    ("museum", ["What did the former station building in {town} become?"]),
    ("collection", ["What does the {museum} hold a collection of?"]),
    ("fire_year", ["In what year was {school} damaged by fire?"]),
    ("pupils", ["How many pupils does {school} teach?"]),
    ("reservoir_site", ["Where was the reservoir proposed?"]),
    ("water_company", ["Who first suggested the reservoir?"]),
    ("twin", ["Which town is {town} twinned with?"]),
]

P_COMPANY_FOUNDING = (
    "{company} is {industry} company headquartered in {hq}. It was founded in {year} by "
    "{founder1} and {founder2}, who had met while studying {subject} at the {univ}. The "
    "company's first product, the {first_product}, was assembled in a rented garage and sold "
    "only {first_sales} units in its first year. After a funding round led by {investor} in "
    "{fund_year}, the company moved to its current offices and grew to more than "
    "{employees} employees.")
Q_COMPANY_FOUNDING = [
    ("hq", ["Where is {company} headquartered?", "In which city is {company} based?"]),
    ("founder2", ["Who founded {company} together with {founder1}?"]),
    ("year", ["When was {company} founded?"]),
    ("subject", ["What were the founders of {company} studying when they met?"]),
    ("univ", ["Where did {founder1} and {founder2} meet?"]),
    ("first_product", ["What was the first product of {company}?"]),
    ("first_sales", ["How many units of the {first_product} were sold in the first year?"]),
    ("investor", ["Who led the funding round in {fund_year}?"]),
    ("employees", ["How many employees does {company} have?"]),
]

P_COMPANY_PRODUCTS = (
    "The best-selling product of {company} is the {product}, {product_desc} released in "
    "{release_year}. Reviewers praised its {feature}, although early units were criticised "
    "for {flaw}. In {recall_year} the company recalled about {recall_units} units after a "
    "fault in the {part} was discovered. Its chief executive since {ceo_year} has been "
    "{ceo}, who previously ran the {prev_division} at {prev_company}.")
Q_COMPANY_PRODUCTS = [
    ("product", ["What is the best-selling product of {company}?"]),
    ("release_year", ["When was the {product} released?"]),
    ("feature", ["What did reviewers praise about the {product}?"]),
    ("flaw", ["What were early units of the {product} criticised for?"]),
    ("recall_units", ["How many units did {company} recall in {recall_year}?"]),
    ("part", ["In which part was a fault discovered?"]),
    ("ceo", ["Who is the chief executive of {company}?"]),
    ("prev_company", ["Where did {ceo} work before joining {company}?"]),
]

P_PERSON_BIO = (
    "{person} (born {birth_date}) is a {nationality} {profession} known for {known_for}. "
    "{Pron} grew up in {birthplace}, where {pron_poss} {parent} ran a {parent_business}. "
    "As a teenager {pron} spent long summers helping out there and filling notebooks with "
    "sketches. {Pron} studied at the {univ} and graduated in {grad_year} with a degree in {degree}. "
    "{Pron_poss} first major work, {first_work}, appeared in {first_year} and won the "
    "{prize}.")
Q_PERSON_BIO = [
    ("birth_date", ["When was {person} born?"]),
    ("known_for", ["What is {person} known for?"]),
    ("birthplace", ["Where did {person} grow up?"]),
    ("parent_business", ["What did {person}'s {parent} run?"]),
    ("univ", ["Where did {person} study?"]),
    ("degree", ["What did {person} get a degree in?"]),
    ("first_work", ["What was the first major work of {person}?"]),
    ("prize", ["Which prize did {first_work} win?"]),
]

P_PERSON_CAREER = (
    "In {move_year}, {surname} moved to {city} to join the {org}, where {pron} led a team of "
    "{team_size} people working on {project}. The project was cancelled in {cancel_year}, "
    "but {pron_poss} notes on it were later published as {book}. Before leaving {city}, "
    "{pron} also taught evening classes at a local college. {Pron} has lived in {home} "
    "since {home_year} and is married to the {spouse_prof} {spouse}.")
Q_PERSON_CAREER = [
    ("city", ["Where did {surname} move in {move_year}?"]),
    ("org", ["Which organisation did {surname} join in {move_year}?"]),
    ("team_size", ["How many people were in the team {surname} led?"]),
    ("project", ["What was {surname}'s team working on?"]),
    ("cancel_year", ["When was the project cancelled?"]),
    ("book", ["Under what title were {surname}'s notes published?"]),
    ("home", ["Where has {surname} lived since {home_year}?"]),
    ("spouse", ["Who is {surname} married to?"]),
]

P_INVENTION = (
    "The {device} is {device_desc} invented by {inventor} in {inv_year}. {inv_surname} was "
    "working as a {inv_job} in {inv_place} when {pron} noticed that {problem}. The first "
    "prototype was built from {materials} and weighed about {weight}. A patent was granted "
    "in {patent_year}, and the device was manufactured by {maker} until {end_year}. Around "
    "{units} were sold in total.")
Q_INVENTION = [
    ("inventor", ["Who invented the {device}?"]),
    ("inv_year", ["When was the {device} invented?"]),
    ("inv_job", ["What was {inv_surname}'s job when the idea came?"]),
    ("problem", ["What did {inv_surname} notice?"]),
    ("materials", ["What was the first prototype of the {device} built from?"]),
    ("weight", ["How much did the first prototype weigh?"]),
    ("patent_year", ["When was the patent for the {device} granted?"]),
    ("maker", ["Who manufactured the {device}?"]),
    ("units", ["How many {device}s were sold?"]),
]

SQ = {
    "founder_job": ["miller", "blacksmith", "wool merchant", "ferryman", "stonemason", "brewer"],
    "trade": ["the wool trade", "salt and timber", "river shipping", "lace making",
              "slate quarrying", "barley and malt", "the cattle market"],
    "factory": ["Hollis Paper Mill", "Brant Ironworks", "Calder Tannery", "Mercer Glassworks",
                "Lowe Brothers Cannery", "Ashgrove Textile Works"],
    "product": ["bicycle frames", "ceramic tiles", "garden furniture", "medical gloves",
                "wooden toys", "solar water heaters", "marine rope", "organic cider"],
    "weekday": ["Saturday", "Thursday", "Friday", "Wednesday"],
    "square": ["Corn Exchange Square", "Market Cross", "Abbey Green", "the Old Quay",
               "Bell Street car park"],
    "festival": ["Lantern Festival", "Harvest Fair", "Ice Week", "River Carnival",
                 "Cheese and Cider Days", "Midsummer Games"],
    "fest_origin": ["local fishermen", "farm workers", "church choirs", "rowing clubs",
                    "apple growers"],
    "event": ["Barrel Race", "Tub Regatta", "Raft Dash", "Coracle Derby", "Pumpkin Paddle"],
    "race_thing": ["wooden barrels", "home-made rafts", "tin bathtubs", "giant pumpkins",
                   "coracles"],
    "trophy": ["Silver Oar", "Copper Kettle", "Golden Eel", "Brass Lantern", "Miller's Cup"],
    "trophy_desc": ["small engraved trophy", "painted wooden shield", "heavy iron bell",
                    "gilded rowing oar"],
    "month": ["June", "August", "September", "February", "May", "October"],
    "museum": ["Railway Heritage Centre", "Museum of River Life", "Station Gallery",
               "Town Archive and Museum"],
    "collection": ["old signal lamps", "Victorian toys", "river charts and boat models",
                   "local costume and lace", "fossils from the quarry"],
    "water_company": ["Midland Water Board", "Ostvald Water Company", "the regional water authority"],
    "industry": ["a software", "a robotics", "a food delivery", "a renewable energy",
                 "a medical devices", "an audio equipment", "a bicycle"],
    "subject": ["mechanical engineering", "physics", "economics", "product design",
                "computer science", "chemistry"],
    "first_product": ["Hummingbird", "Pathfinder One", "Tally", "Beacon Mk I", "Drift",
                      "Foxglove", "Marlin"],
    "investor": ["Ridgeway Capital", "Harbour Ventures", "Northstar Partners",
                 "the Fenmarch Development Fund", "Larch Street Capital"],
    "product_desc": ["a compact home battery", "a folding electric bicycle",
                     "a noise-cancelling headset", "a handheld soil sensor",
                     "a smart thermostat", "a portable water filter"],
    "feature": ["long battery life", "simple controls", "light weight", "low price",
                "sturdy metal case"],
    "flaw": ["a noisy fan", "short cables", "a confusing menu", "overheating", "a loose hinge"],
    "part": ["charging circuit", "power switch", "rear hinge", "battery casing", "main valve"],
    "prev_division": ["consumer division", "European operations", "research laboratory",
                      "logistics business"],
    "nationality": ["Danish", "Portuguese", "Canadian", "Nigerian", "Chilean", "Scottish",
                    "Hungarian", "Japanese"],
    "parent": ["mother", "father", "grandmother", "uncle"],
    "parent_business": ["bakery", "ferry service", "bookshop", "hardware store", "dairy farm",
                        "small hotel"],
    "prize": ["Halvorsen Prize", "Northern Light Award", "Blue Quill Medal", "Ember Prize",
              "Grand Prix of Lindmoor"],
    "project": ["a tidal power station", "a floating library", "a new city tram line",
                "a seed bank", "an undersea cable", "a weather satellite"],
    "spouse_prof": ["painter", "surgeon", "violinist", "journalist", "teacher", "pilot"],
    "inv_job": ["schoolteacher", "postman", "lighthouse keeper", "tram driver", "nurse",
                "watchmaker", "farmer"],
    "materials": ["bicycle parts and tin", "oak and brass", "copper wire and cork",
                  "salvaged umbrella ribs", "sheet steel and leather"],
    "weight": ["4 kilograms", "900 grams", "12 kilograms", "2.5 kilograms", "7 kilograms"],
}

# (name, description, problem noticed) -- kept together so each paragraph is coherent
DEVICES = [
    ("Windlass Radio", "a hand-cranked radio", "storms kept knocking out the telegraph"),
    ("Perrow Ladder", "a folding ladder", "orchard workers kept falling from fixed ladders"),
    ("Sowright Drill", "a clockwork seed drill", "farmers lost many seeds to the wind"),
    ("Raincount", "a pocket rain gauge", "nobody kept reliable rainfall records in the hills"),
    ("Tinbox Keeper", "an insulated lunch tin", "children walked long distances without a hot meal"),
    ("Treadle Lathe", "a pedal-powered lathe", "village workshops had no electricity"),
    ("Marsh Frame", "a collapsible umbrella frame", "umbrellas broke in every coastal gale"),
    ("Kettering Lamp", "a storm-proof signal lamp", "the harbour lamps went out in every storm"),
]
# (profession, known for, degree)
PROFESSIONS = [
    ("architect", "floating timber houses", "architecture"),
    ("novelist", "crime novels set on ferries", "English literature"),
    ("marine biologist", "studies of deep-sea sponges", "marine science"),
    ("composer", "film scores for silent movies", "music"),
    ("civil engineer", "low-cost footbridges", "civil engineering"),
    ("photographer", "portraits of lighthouse keepers", "fine art"),
    ("chemist", "biodegradable packaging", "biochemistry"),
]
COMPANY_NAMES = ["Brightloom", "Kestrel Dynamics", "Oxbow Labs", "Tidewell Energy",
                 "Lumen Audio", "Ferrowheel", "Nettle & Pike", "Quarrystone Systems",
                 "Pellucid Health", "Arcwright Robotics"]
STREETS = ["Mill Lane", "Quarry Road", "Station Street", "Harbour Way", "Tanners Row",
           "Bridge End"]


def pick(rng, key):
    return rng.choice(SQ[key])


def year(rng, lo, hi):
    return str(rng.randint(lo, hi))


def town_values(rng, town, city, twin):
    founder, _ = person_name(rng)
    mayor, _ = person_name(rng)
    y = rng.randint(1190, 1720)
    rail = rng.randint(1840, 1880)
    census = rail + rng.randint(15, 40)
    return {
        "town": town, "region": rng.choice(REGIONS), "river": rng.choice(RIVERS),
        "year": str(y), "founder": founder, "founder_job": pick(rng, "founder_job"),
        "trade": pick(rng, "trade"), "rail_year": str(rail), "census_year": str(census),
        "pop": "{:,}".format(rng.randint(3, 40) * 250 + rng.randint(1, 249)),
        "bridge": rng.choice(["Old", "King's", "Weavers'", "Abbot's", "Long"]) + " Bridge",
        "restore_year": year(rng, 1965, 2015),
        "factory": pick(rng, "factory"), "close_year": year(rng, 1968, 1995),
        "jobs": str(rng.randint(4, 19) * 100), "company": rng.choice(COMPANY_NAMES),
        "product": pick(rng, "product"), "employees": str(rng.randint(12, 90) * 10),
        "street": rng.choice(STREETS), "weekday": pick(rng, "weekday"),
        "square": pick(rng, "square"), "city": city,
        "month": pick(rng, "month"), "festival": pick(rng, "festival"),
        "days": rng.choice(["three", "four", "five", "seven", "ten"]),
        "fest_year": year(rng, 1890, 1975), "fest_origin": pick(rng, "fest_origin"),
        "visitors": "{:,}".format(rng.randint(8, 95) * 1000), "event": pick(rng, "event"),
        "race_thing": pick(rng, "race_thing"), "trophy": pick(rng, "trophy"),
        "trophy_desc": pick(rng, "trophy_desc"), "mayor": mayor,
        "bypass_year": year(rng, 1978, 2005), "museum": pick(rng, "museum"),
        "collection": pick(rng, "collection"),
        "school": town + " " + rng.choice(["Academy", "High School", "Grammar School"]),
        "fire_year": year(rng, 2006, 2019), "pupils": str(rng.randint(40, 160) * 10),
        "reservoir_site": rng.choice(["Cold Hollow", "Ferris Bottom", "the Upper Meadows",
                                      "Gannet Moss"]),
        "water_company": pick(rng, "water_company"),
        "referendum_pct": "%d per cent" % rng.randint(55, 88), "twin": twin,
        "area": "%d square kilometres" % rng.randint(18, 60),
        "hill": rng.choice(["Carrow Beacon", "High Tor", "Blackstone Edge", "Wether Fell"]),
        "reserve_year": year(rng, 1982, 2010),
        "bird": rng.choice(["wintering swans", "nesting curlews", "large heron colony",
                            "snipe and lapwings"]),
    }


def company_values(rng, company):
    f1, _ = person_name(rng)
    f2, _ = person_name(rng)
    ceo, _ = person_name(rng)
    y = rng.randint(1975, 2010)
    rel = y + rng.randint(4, 9)
    return {
        "company": company, "industry": pick(rng, "industry"),
        "hq": rng.choice(TOWNS + ["London", "Montréal", "Lisbon", "Oslo", "Dublin"]),
        "year": str(y), "founder1": f1, "founder2": f2, "subject": pick(rng, "subject"),
        "univ": "University of " + rng.choice(TOWNS), "first_product": pick(rng, "first_product"),
        "first_sales": str(rng.randint(30, 900)), "investor": pick(rng, "investor"),
        "fund_year": str(y + rng.randint(2, 6)), "employees": "{:,}".format(rng.randint(3, 40) * 50),
        "product": rng.choice(["Model ", "Series ", ""]) + rng.choice(["Aster", "Bolt", "Cirrus", "Delta", "Ember", "Fjord"]),
        "product_desc": pick(rng, "product_desc"), "release_year": str(rel),
        "feature": pick(rng, "feature"), "flaw": pick(rng, "flaw"),
        "recall_year": str(rel + rng.randint(1, 3)),
        "recall_units": "{:,}".format(rng.randint(2, 60) * 1000), "part": pick(rng, "part"),
        "ceo_year": str(rel + rng.randint(2, 6)), "ceo": ceo,
        "prev_division": pick(rng, "prev_division"), "prev_company": rng.choice(COMPANY_NAMES),
    }


def person_values(rng):
    person, female = person_name(rng)
    spouse, _ = person_name(rng)
    by = rng.randint(1938, 1985)
    months = ["January", "March", "April", "June", "July", "September", "November", "December"]
    move = by + rng.randint(30, 38)
    prof = rng.choice(PROFESSIONS)
    return {
        "person": person, "surname": person.split()[-1],
        "Pron": "She" if female else "He", "pron": "she" if female else "he",
        "Pron_poss": "Her" if female else "His", "pron_poss": "her" if female else "his",
        "birth_date": "%d %s %d" % (rng.randint(1, 28), rng.choice(months), by),
        "nationality": pick(rng, "nationality"), "profession": prof[0],
        "known_for": prof[1], "birthplace": rng.choice(TOWNS),
        "parent": pick(rng, "parent"), "parent_business": pick(rng, "parent_business"),
        "univ": rng.choice(["University of ", "Royal College of "]) + rng.choice(TOWNS),
        "grad_year": str(by + rng.randint(21, 25)), "degree": prof[2],
        "first_work": rng.choice(["The Salt Road", "Tidewater", "Nine Lamps", "House of Reeds",
                                  "A Map of Rain", "Low Bridges", "The Glass Orchard"]),
        "first_year": str(by + rng.randint(26, 29)), "prize": pick(rng, "prize"),
        "move_year": str(move), "city": rng.choice(CITIES),
        "org": rng.choice(["Institute for Coastal Studies", "Harbour Design Office",
                           "Northern Research Council", "City Planning Bureau",
                           "Foundation for Public Works"]),
        "team_size": str(rng.randint(6, 40)), "project": pick(rng, "project"),
        "cancel_year": str(move + rng.randint(3, 8)),
        "book": rng.choice(["Unbuilt", "Notes from the Drawing Board", "What the Tide Took",
                            "The Paper City", "Half a Bridge"]),
        "home": rng.choice(TOWNS), "home_year": str(move + rng.randint(9, 14)),
        "spouse_prof": pick(rng, "spouse_prof"), "spouse": spouse,
    }


def invention_values(rng, device_entry):
    device, desc, problem = device_entry
    inventor, female = person_name(rng)
    y = rng.randint(1860, 1950)
    return {
        "device": device, "device_desc": desc, "inventor": inventor,
        "inv_surname": inventor.split()[-1], "inv_year": str(y), "inv_job": pick(rng, "inv_job"),
        "inv_place": rng.choice(TOWNS), "pron": "she" if female else "he",
        "problem": problem, "materials": pick(rng, "materials"),
        "weight": pick(rng, "weight"), "patent_year": str(y + rng.randint(1, 3)),
        "maker": rng.choice(COMPANY_NAMES), "end_year": str(y + rng.randint(20, 45)),
        "units": "{:,}".format(rng.randint(5, 400) * 100),
    }


PERSON_KEYS = {"founder", "mayor", "founder1", "founder2", "ceo", "person", "spouse", "inventor"}


def answer_variants(context, start, text, key):
    """Alternative reference answers overlapping (start, text), as (start, text) pairs."""
    out = []
    for art in ("the ", "a ", "about ", "around ", "roughly "):
        if text.lower().startswith(art) and len(text) > len(art):
            out.append((start + len(art), text[len(art):]))
    words = text.split(" ")
    if key in PERSON_KEYS and len(words) >= 2:  # surname only
        out.append((start + len(text) - len(words[-1]), words[-1]))
    prev = context[:start].rstrip(" ")
    if len(prev) == start - 1 and prev:
        w = prev.split(" ")[-1]
        if w.isalpha() and w.lower() in ("in", "by", "from", "about", "the", "to", "as", "since"):
            out.append((start - len(w) - 1, context[start - len(w) - 1:start + len(text)]))
    return out


def make_paragraph(rng, blocks, values, n_q, multi_answers, ids):
    """blocks: list of (template, questions). Returns a SQuAD paragraph dict."""
    parts, offsets, qbank = [], {}, []
    pos = 0
    for tmpl, qs in blocks:
        text, offs = render(tmpl, values)
        for k, v in offs.items():
            offsets.setdefault(k, pos + v)
        parts.append(text)
        pos += len(text) + 1
        qbank.extend(qs)
    context = " ".join(parts)
    chosen = rng.sample(qbank, n_q) if isinstance(n_q, int) else [q for q in qbank if q[0] in n_q]
    qas = []
    for key, phrasings in chosen:
        start, text = offsets[key], values[key]
        assert context[start:start + len(text)] == text
        answers = [(start, text)]
        if multi_answers:
            n = rng.choice([1, 2, 3, 3, 3])
            variants = answer_variants(context, start, text, key)
            while len(answers) < n:
                answers.append(rng.choice(variants) if variants and rng.random() < 0.5
                               else (start, text))
        q = rng.choice(phrasings).format(**values)
        qid = "%024x" % rng.getrandbits(96)
        assert qid not in ids
        ids.add(qid)
        qas.append({"answers": [{"answer_start": s, "text": t} for s, t in answers],
                    "question": q, "id": qid})
    return {"context": context, "qas": qas}


def make_squad(rng, root):
    base = os.path.join(root, "squad")
    if os.path.isdir(base):
        shutil.rmtree(base)
    os.makedirs(base)
    towns = TOWNS[:]
    rng.shuffle(towns)
    companies = COMPANY_NAMES[:]
    rng.shuffle(companies)
    devices = DEVICES[:]
    rng.shuffle(devices)
    ids = set()
    town_blocks = [(P_TOWN_HISTORY, Q_TOWN_HISTORY), (P_TOWN_ECONOMY, Q_TOWN_ECONOMY),
                   (P_TOWN_FESTIVAL, Q_TOWN_FESTIVAL)]

    def articles(n_towns, n_companies, n_people, n_devices, multi, long_town):
        data = []
        nq = (lambda: 3) if multi else (lambda: rng.choice([3, 4, 4]))
        for _ in range(n_towns):
            t = towns.pop()
            v = town_values(rng, t, rng.choice(CITIES), rng.choice(TOWNS))
            paras = [make_paragraph(rng, [b], v, nq(), multi, ids) for b in town_blocks]
            data.append({"title": t.replace(" ", "_"), "paragraphs": paras})
        for _ in range(n_companies):
            c = companies.pop()
            v = company_values(rng, c)
            paras = [make_paragraph(rng, [b], v, nq(), multi, ids)
                     for b in [(P_COMPANY_FOUNDING, Q_COMPANY_FOUNDING),
                               (P_COMPANY_PRODUCTS, Q_COMPANY_PRODUCTS)]]
            data.append({"title": c.replace(" ", "_"), "paragraphs": paras})
        for _ in range(n_people):
            v = person_values(rng)
            paras = [make_paragraph(rng, [b], v, nq(), multi, ids)
                     for b in [(P_PERSON_BIO, Q_PERSON_BIO), (P_PERSON_CAREER, Q_PERSON_CAREER)]]
            data.append({"title": v["person"].replace(" ", "_"), "paragraphs": paras})
        for _ in range(n_devices):
            v = invention_values(rng, devices.pop())
            data.append({"title": v["device"].replace(" ", "_"),
                         "paragraphs": [make_paragraph(rng, [(P_INVENTION, Q_INVENTION)], v,
                                                       nq(), multi, ids)]})
        if long_town:
            # One long context (~440 words, >384 word pieces) so that a max_length=384
            # window splits it; two of its questions are answered near the end.
            t = towns.pop()
            v = town_values(rng, t, rng.choice(CITIES), rng.choice(TOWNS))
            p = make_paragraph(rng, town_blocks + [(P_TOWN_GEOGRAPHY, Q_TOWN_GEOGRAPHY),
                                             (P_TOWN_MODERN, Q_TOWN_MODERN)], v,
                               ["founder", "weekday", "trophy", "water_company", "twin"],
                               multi, ids)
            data.append({"title": t.replace(" ", "_"), "paragraphs": [p]})
        return data

    train = {"data": articles(3, 3, 3, 3, False, True), "version": "1.1"}
    dev = {"data": articles(1, 2, 1, 1, True, False), "version": "1.1"}
    for name, obj in (("train", train), ("dev", dev)):
        # exact serialisation of the official files: json.dumps defaults, no trailing newline
        with open(os.path.join(base, name + ".json"), "w", encoding="ascii", newline="") as f:
            f.write(json.dumps(obj))
    return train, dev


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

TAGS = {"O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"}


def validate(root):
    report = {}
    # IMDb
    for split, n in (("train", 120), ("test", 40)):
        for label in ("pos", "neg"):
            d = os.path.join(root, "imdb", "aclImdb", split, label)
            files = sorted(os.listdir(d))
            assert len(files) == n, (d, len(files))
            for fn in files:
                m = re.fullmatch(r"(\d+)_(\d+)\.txt", fn)
                assert m, fn
                r = int(m.group(2))
                assert (7 <= r <= 10) if label == "pos" else (1 <= r <= 4), fn
                with open(os.path.join(d, fn), "rb") as f:
                    b = f.read()
                t = b.decode("utf-8")
                assert "\n" not in t and "\r" not in t and t == t.strip(), fn
            report["imdb/%s/%s" % (split, label)] = len(files)
    # WikiANN
    for split, n in (("train", 400), ("validation", 100)):
        with open(os.path.join(root, "wikiann", split + ".tsv"), encoding="utf-8", newline="") as f:
            raw = f.read()
        assert raw.endswith("\n") and not raw.endswith("\n\n") and "\r" not in raw
        sents = raw[:-1].split("\n\n")
        assert len(sents) == n, (split, len(sents))
        for s in sents:
            lines = s.split("\n")
            assert 3 <= len(lines) <= 20, s
            prev = "O"
            for line in lines:
                assert line.count("\t") == 1, repr(line)
                tok, tag = line.split("\t")
                assert tok and " " not in tok and tag in TAGS, repr(line)
                if tag.startswith("I-"):
                    assert prev != "O" and prev[2:] == tag[2:], s
                prev = tag
        report["wikiann/" + split] = n
    # SQuAD
    for name in ("train", "dev"):
        path = os.path.join(root, "squad", name + ".json")
        with open(path, encoding="utf-8") as f:
            raw = f.read()
        obj = json.loads(raw)
        assert json.dumps(obj) == raw and obj["version"] == "1.1"
        n_p = n_q = n_a = 0
        for art in obj["data"]:
            for p in art["paragraphs"]:
                n_p += 1
                ctx = p["context"]
                nw = len(ctx.split())
                assert 60 <= nw <= 150 or nw > 400, (nw, ctx[:40])
                for qa in p["qas"]:
                    n_q += 1
                    if name == "train":
                        assert len(qa["answers"]) == 1
                    else:
                        assert 1 <= len(qa["answers"]) <= 3
                    for a in qa["answers"]:
                        n_a += 1
                        s, t = a["answer_start"], a["text"]
                        assert ctx[s:s + len(t)] == t, (qa, s, t)
        report["squad/" + name] = "%d articles, %d paragraphs, %d questions, %d answers" % (
            len(obj["data"]), n_p, n_q, n_a)
    return report


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "samples"))
    args = ap.parse_args()
    root = os.path.normpath(args.out)
    os.makedirs(root, exist_ok=True)
    rng = random.Random(0)
    make_imdb(rng, root)
    make_wikiann(rng, root)
    make_squad(rng, root)
    for k, v in validate(root).items():
        print("%-22s %s" % (k, v))


if __name__ == "__main__":
    main()
