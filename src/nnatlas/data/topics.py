"""A seeded synthetic topic-classification world: headlines per class and an encyclopedic corpus.

Built for retrieval-augmented few-shot text classification (RAML, arXiv 2309.04979), where the
paper uses HuffPost headlines / Amazon reviews and DPR's Wikipedia passages, none of which can be
shipped or downloaded here (scikit-learn's 20 Newsgroups needs a download; no installed package
bundles a text classification set). Instead:

* :data:`TOPICS` holds hand-written topics (a name and topic words each);
* a *headline* of class ``c`` is a generic news template filled with one of its topic words and
  generic filler, so that the template (shared by all classes) is a nuisance and the topic word
  the signal;
* the *passage corpus* holds encyclopedic passages about every topic word, each naming the topic
  and some sibling words (the external knowledge that links two different words of one class),
  plus topic-free distractor passages.

Everything is a pure function of the seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch
from torch import Tensor

from nnatlas.core.validation import check_int

__all__ = ["TOPICS", "TopicCorpus", "topic_corpus"]

#: (topic name, topic words): 32 hand-written topics of 12 words each.
TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("music", ("violin", "guitar", "orchestra", "symphony", "piano", "drummer", "concert", "album", "chorus", "cello", "melody", "saxophone")),
    ("football", ("goalkeeper", "striker", "penalty", "midfielder", "stadium", "referee", "offside", "league", "corner kick", "defender", "transfer window", "hat-trick")),
    ("cooking", ("recipe", "oven", "saucepan", "chef", "dough", "seasoning", "grill", "simmer", "pastry", "marinade", "skillet", "dessert")),
    ("astronomy", ("telescope", "galaxy", "comet", "nebula", "asteroid", "planet", "orbit", "supernova", "constellation", "observatory", "meteor", "black hole")),
    ("medicine", ("vaccine", "surgeon", "antibiotic", "diagnosis", "clinic", "nurse", "prescription", "therapy", "hospital ward", "symptom", "pharmacist", "x-ray")),
    ("finance", ("stock market", "dividend", "interest rate", "bond", "inflation", "investor", "hedge fund", "mortgage", "portfolio", "bankruptcy", "shareholder", "currency")),
    ("gardening", ("compost", "tulip", "pruning", "seedling", "greenhouse", "fertilizer", "hedge", "lawn", "rose bush", "trowel", "mulch", "orchard")),
    ("aviation", ("airliner", "runway", "cockpit", "pilot", "jet engine", "hangar", "turbulence", "air traffic control", "glider", "propeller", "airport", "landing gear")),
    ("computing", ("software", "processor", "keyboard", "database", "algorithm", "laptop", "compiler", "server", "motherboard", "operating system", "cybersecurity", "programmer")),
    ("weather", ("hurricane", "rainfall", "thunderstorm", "forecast", "blizzard", "humidity", "drought", "tornado", "heatwave", "fog", "hailstorm", "monsoon")),
    ("law", ("courtroom", "judge", "verdict", "lawsuit", "attorney", "jury", "appeal", "testimony", "defendant", "statute", "prosecutor", "bail")),
    ("ocean life", ("dolphin", "coral reef", "shark", "whale", "jellyfish", "octopus", "seaweed", "starfish", "plankton", "sea turtle", "lobster", "tuna")),
    ("fashion", ("runway model", "designer", "handbag", "couture", "fabric", "tailor", "sneakers", "dress", "jewelry", "wardrobe", "perfume", "catwalk")),
    ("farming", ("tractor", "harvest", "wheat", "livestock", "barn", "irrigation", "dairy cow", "plough", "crop rotation", "poultry", "silo", "farmer")),
    ("chess", ("checkmate", "grandmaster", "bishop", "pawn", "rook", "gambit", "opening", "endgame", "stalemate", "knight move", "tournament clock", "castling")),
    ("education", ("classroom", "teacher", "curriculum", "homework", "exam", "university", "scholarship", "lecture", "textbook", "graduation", "kindergarten", "tuition")),
    ("railways", ("locomotive", "railway station", "freight train", "timetable", "signal box", "platform", "sleeper car", "track gauge", "conductor", "tram", "high-speed rail", "carriage")),
    ("painting", ("canvas", "watercolor", "brushstroke", "easel", "portrait", "gallery", "oil paint", "sketch", "mural", "palette", "landscape painting", "fresco")),
    ("cycling", ("bicycle", "peloton", "helmet", "mountain bike", "pedal", "gear shift", "time trial", "cyclist", "velodrome", "handlebar", "sprint stage", "chain ring")),
    ("volcanoes", ("lava", "eruption", "magma", "crater", "volcanic ash", "caldera", "pyroclastic flow", "geyser", "tectonic plate", "basalt", "lava dome", "fumarole")),
    ("elections", ("ballot", "candidate", "polling station", "campaign", "voter turnout", "parliament", "referendum", "debate", "constituency", "incumbent", "opinion poll", "senator")),
    ("birds", ("eagle", "sparrow", "owl", "migration", "nest", "feather", "parrot", "hummingbird", "flamingo", "penguin", "woodpecker", "songbird")),
    ("cinema", ("film director", "screenplay", "box office", "actor", "premiere", "movie trailer", "cinematography", "studio", "sequel", "documentary", "film festival", "blockbuster")),
    ("energy", ("solar panel", "wind turbine", "power grid", "battery storage", "nuclear reactor", "pipeline", "coal plant", "electricity", "hydropower", "oil refinery", "natural gas", "fuel cell")),
    ("dentistry", ("toothbrush", "dentist", "cavity", "molar", "braces", "enamel", "gum disease", "root canal", "floss", "dental crown", "orthodontist", "wisdom tooth")),
    ("architecture", ("skyscraper", "cathedral", "blueprint", "facade", "arch", "column", "dome", "architect", "courtyard", "balcony", "foundation", "staircase")),
    ("insects", ("butterfly", "beetle", "ant colony", "mosquito", "caterpillar", "dragonfly", "honeybee", "grasshopper", "wasp", "ladybug", "termite", "moth")),
    ("tennis", ("racket", "serve", "baseline", "grand slam", "volley", "backhand", "tiebreak", "wimbledon", "forehand", "deuce", "tennis court", "double fault")),
    ("mountaineering", ("summit", "climber", "base camp", "glacier", "crampons", "avalanche", "sherpa", "ice axe", "ridge", "altitude sickness", "rope team", "oxygen tank")),
    ("coffee", ("espresso", "barista", "roastery", "latte", "coffee bean", "cappuccino", "grinder", "arabica", "mocha", "french press", "caffeine", "cafe")),
    ("photography", ("camera", "lens", "shutter", "tripod", "aperture", "exposure", "darkroom", "photographer", "zoom", "flash", "negative film", "viewfinder")),
    ("dinosaurs", ("tyrannosaurus", "fossil", "paleontologist", "velociraptor", "jurassic", "triceratops", "stegosaurus", "excavation", "extinction", "brachiosaurus", "cretaceous", "dinosaur egg")),
)  # fmt: skip

_HEADLINES = (
    "Local officials discuss {w} plans amid budget talks",
    "Why everyone is suddenly talking about the {w}",
    "New report raises questions over {w} this year",
    "Residents react as {w} story makes headlines again",
    "Experts weigh in on the future of the {w}",
    "{W} news: what you need to know this week",
    "A surprising twist in the {w} debate",
    "The {w} that changed a small town forever",
    "Five things nobody tells you about the {w}",
    "Weekend update: {w} draws big crowds downtown",
    "Opinion: it is time to rethink the {w}",
    "Inside the quiet world of the {w}",
)
_FILLERS = (
    "on Monday", "after months of delay", "officials say", "sources confirm", "in a new twist",
    "despite criticism", "for the first time", "analysts warn", "as prices rise", "this summer",
)  # fmt: skip
_PASSAGES = (
    "{W} is a subject in {topic}. It is closely associated with {a}, {b} and {c}.",
    "In {topic}, the {w} plays an important role alongside the {a} and the {b}. "
    "Many accounts of {topic} also mention the {c}.",
    "The {w} ({topic}) is often discussed together with {a} and {b}; see also {c}.",
)
_DISTRACTORS = (
    "The committee met on {day} to review the annual report and approve the minutes.",
    "The town was founded in the {century} century and has a population of about {n} thousand.",
    "The company announced a change of its board on {day} after a routine audit.",
    "The museum reopened on {day} following renovation of its main hall and cafe.",
    "The road was widened in the {century} century to connect the two market towns.",
    "The society publishes a newsletter every {day} for its {n} thousand members.",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CENTURIES = ("twelfth", "fourteenth", "sixteenth", "eighteenth", "nineteenth", "twentieth")


@dataclass(frozen=True)
class TopicCorpus:
    """Headlines labelled by topic and an external passage corpus.

    Attributes:
        topics: the topic names, indexed by class label.
        texts: the headlines.
        labels: ``(len(texts),)`` int64 class of each headline.
        words: the topic word each headline was built from.
        passages: the passage corpus (topic passages, then distractors).
        passage_topics: ``(len(passages),)`` int64 topic of each passage, ``-1`` for distractors.
    """

    topics: tuple[str, ...]
    texts: tuple[str, ...]
    labels: Tensor
    words: tuple[str, ...]
    passages: tuple[str, ...]
    passage_topics: Tensor


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def topic_corpus(
    num_topics: int = 30,
    texts_per_topic: int = 20,
    passages_per_word: int = 2,
    distractors: int = 300,
    *,
    seed: int = 0,
) -> TopicCorpus:
    """Generate the headlines and the passage corpus.

    Args:
        num_topics: number of classes, at most ``len(TOPICS)`` (the first ``num_topics``).
        texts_per_topic: headlines per class (each from a random template, word and filler).
        passages_per_word: encyclopedic passages per topic word (different templates and
            sibling words); at most 3.
        distractors: topic-free passages added to the corpus.
        seed: the generator's seed.

    Returns:
        A :class:`TopicCorpus`.
    """
    check_int("num_topics", num_topics, low=2, high=len(TOPICS), high_name="len(TOPICS)")
    check_int("texts_per_topic", texts_per_topic, low=1)
    check_int("passages_per_word", passages_per_word, low=0, high=len(_PASSAGES))
    check_int("distractors", distractors, low=0)
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[int] = []
    words: list[str] = []
    for c, (_, vocab) in enumerate(TOPICS[:num_topics]):
        for _ in range(texts_per_topic):
            w = rng.choice(vocab)
            head = rng.choice(_HEADLINES).format(w=w, W=_cap(w))
            if rng.random() < 0.5:
                head = f"{head}, {rng.choice(_FILLERS)}"
            texts.append(head)
            labels.append(c)
            words.append(w)
    passages: list[str] = []
    ptopics: list[int] = []
    for c, (topic, vocab) in enumerate(TOPICS[:num_topics]):
        for w in vocab:
            siblings = [v for v in vocab if v != w]
            for template in rng.sample(_PASSAGES, passages_per_word):
                a, b, cc = rng.sample(siblings, 3)
                passages.append(template.format(w=w, W=_cap(w), topic=topic, a=a, b=b, c=cc))
                ptopics.append(c)
    for _ in range(distractors):
        template = rng.choice(_DISTRACTORS)
        passages.append(
            template.format(
                day=rng.choice(_DAYS), century=rng.choice(_CENTURIES), n=rng.randint(2, 90)
            )
        )
        ptopics.append(-1)
    return TopicCorpus(
        topics=tuple(t for t, _ in TOPICS[:num_topics]),
        texts=tuple(texts),
        labels=torch.tensor(labels, dtype=torch.int64),
        words=tuple(words),
        passages=tuple(passages),
        passage_topics=torch.tensor(ptopics, dtype=torch.int64),
    )
