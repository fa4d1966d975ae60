"""Hungarian (hu).

Plural: a noun after a numeral is always singular (1 alma, 5 alma, 2,5 km), so there is one
category, "one"; the noun's case and possessive forms carry the grammar instead:
- plain ("mindegyikben 12 alma"): "one";
- accusative ("Péter 5 almát ad Annának"): "acc.one";
- possessed, for having ("Annának 12 almája van"): "px.one".

Hungarian suffixes follow the sound of the word they attach to, and a digit hides that sound
("5-öt" but "3-at"; "az 5" but "a 4"), so no template attaches a suffix or an article to a
number. The one exception is the percent sign, which is always read "százalék": "20%-a",
"20%-át". Money and kilometres never take the accusative ("12 km utat tesz meg"). Names take
only the dative, written out per name with its vowel harmony ("Annának", "Péternek"); "ő" and
"neki" do not mark gender.
"""

from decimal import Decimal

from euro_post.data.world.pack import LanguagePack, Noun, noun, person


def plural_hu(value: Decimal) -> str:
    return "one"


def counted(nom: str, acc: str, px: str, **extra: str) -> Noun:
    """A counted noun: singular after every numeral, plain, accusative or possessed."""
    return Noun({"one": nom, "acc.one": acc, "px.one": px, **extra})


def thing(nom: str, acc: str, px: str, pl: str, pl_acc: str, article: str) -> Noun:
    # the_pl: the definite plural with the article its first sound needs ("az almák", "a bélyegek").
    return counted(nom, acc, px, pl=pl, pl_acc=pl_acc, the_pl=f"{article} {pl}")


PACK = LanguagePack(
    code="hu",
    names=[
        person("Anna", "f", dat="Annának"),
        person("Péter", "m", dat="Péternek"),
        person("Eszter", "f", dat="Eszternek"),
        person("Gábor", "m", dat="Gábornak"),
        person("Zsófi", "f", dat="Zsófinak"),
        person("Bence", "m", dat="Bencének"),
        person("Kata", "f", dat="Katának"),
        person("Máté", "m", dat="Máténak"),
    ],
    objects={
        "collection": [
            thing("alma", "almát", "almája", "almák", "almákat", "az"),
            thing("bélyeg", "bélyeget", "bélyege", "bélyegek", "bélyegeket", "a"),
            thing("üveggolyó", "üveggolyót", "üveggolyója", "üveggolyók", "üveggolyókat", "az"),
            thing("ceruza", "ceruzát", "ceruzája", "ceruzák", "ceruzákat", "a"),
            thing("gomb", "gombot", "gombja", "gombok", "gombokat", "a"),
            thing("léggömb", "léggömböt", "léggömbje", "léggömbök", "léggömböket", "a"),
            thing("matrica", "matricát", "matricája", "matricák", "matricákat", "a"),
        ],
        # acc: "vesz egy könyvet"; sub: "egy könyvre költi".
        "shopping": [
            noun(acc="egy könyvet", sub="egy könyvre"),
            noun(acc="egy tortát", sub="egy tortára"),
            noun(acc="egy sálat", sub="egy sálra"),
            noun(acc="egy társasjátékot", sub="egy társasjátékra"),
            noun(acc="egy cserepes virágot", sub="egy cserepes virágra"),
            noun(acc="egy mozijegyet", sub="egy mozijegyre"),
        ],
        # to: where the trip goes ("a tóhoz"); till: how far ("a tóig").
        "journey": [
            noun(to="a tóhoz", till="a tóig"),
            noun(to="a tengerpartra", till="a tengerpartig"),
            noun(to="a hegyekbe", till="a hegyekig"),
            noun(to="a szomszéd városba", till="a szomszéd városig"),
            noun(to="a régi várhoz", till="a régi várig"),
        ],
    },
    nouns={
        "km": counted("km", "km", "km"),
        "box": counted("doboz", "dobozt", "doboza"),
        "bag": Noun({"one": "zacskó", "ill.one": "zacskóba"}),
        "hour": counted("óra", "órát", "órája"),
        "friend": counted("barát", "barátot", "barátja", **{"pxdat.one": "barátjának"}),
        "day": Noun({"one": "nap", "on.one": "napon"}),
        "stage": Noun({"one": "szakasz", "ela.one": "szakaszból"}),
    },
    questions={
        "collection": {
            "start": [
                "{name:dat} {start:q.px} van.",
                "{name} {obj:pl_acc} gyűjt, és már {start:q.px} van.",
                "{name:dat} a fiókjában {start:q} van.",
            ],
            "groups": [
                "{name:dat} {x:box.px} van, mindegyikben {n:q}.",
                "{name} vesz {x:box} {obj:acc.one}, és mindegyik dobozban {n:q} van.",
            ],
            "gain": [
                "{friend} {n:q.acc} ad {name:dat}.",
                "Aztán {name} kap még {n:q.acc}.",
                "{name} talál még {n:q.acc}.",
            ],
            "lose": [
                "{name} {n:q.acc} ad {friend:dat}.",
                "Ezután {name} elajándékoz {n:q.acc}.",
                "{name} elveszít {n:q.acc}.",
            ],
            "share": [
                "{name} az összes {obj:acc.one} egyenlően szétosztja {n:bag.ill}.",
                "{name} az összes {obj:acc.one} {n:bag.ill} rakja úgy, hogy mindegyikbe ugyanannyi jusson.",
            ],
            "pct_part": ["{obj:the_pl} {n:%}-a piros."],
            "pct_off": ["{name} eladja {obj:the_pl} {n:%}-át.", "A bolhapiacon {name} eladja {obj:the_pl} {n:%}-át."],
            "ask_total": ["Hány {obj:px.one} van most {name:dat}?", "Hány {obj:px.one} lesz végül {name:dat}?"],
            "ask_share": ["Hány {obj:one} kerül egy-egy zacskóba?", "Hány {obj:one} jut egy zacskóba?"],
            "ask_part": ["Hány piros {obj:px.one} van {name:dat}?", "Hány {obj:one} piros?"],
        },
        "shopping": {
            "start": [
                "{name:dat} {start:q} van a pénztárcájában.",
                "{name:dat} {start:q} zsebpénze van.",
                "{name:dat} {start:q} van a perselyében.",
            ],
            "groups": [
                "{name} {x:hour.acc} dolgozik, és óránként {n:q} a fizetése.",
                "{name} {x:hour.acc} segít a szomszédoknak, és minden óráért {n:q} jár neki.",
            ],
            "gain": [
                "Aztán {name} kap még {n:q} zsebpénzt.",
                "{name} {n:q} jutalmat kap.",
                "{name} nagymamája {n:q} zsebpénzt ad neki.",
            ],
            "lose": [
                "{name} vesz {item:acc}, amelynek az ára {n:q}.",
                "Ezután {name} vásárol {item:acc}, ennek az ára {n:q}.",
            ],
            "share": [
                "{name} a pénzt egyenlően szétosztja {n:friend.px} között.",
                "{name} az összes pénzét egyenlő részekben odaadja {n:friend.pxdat}.",
            ],
            "pct_part": ["{name} a pénze {n:%}-át megtakarítási számlára teszi."],
            "pct_off": ["{name} a pénze {n:%}-át {item:sub} költi."],
            "ask_total": ["Mennyi pénze van most {name:dat}?", "Mennyi pénze lesz végül {name:dat}?"],
            "ask_share": ["Mennyi pénzt kap egy-egy barát?"],
            "ask_part": ["Mennyi pénz kerül a megtakarítási számlára?"],
        },
        "journey": {
            "start": [
                "{name} biciklitúrát tervez {obj:to}. Az útvonal {start:q} hosszú.",
                "{name} otthonától {obj:till} {start:q} az út.",
            ],
            "groups": [
                "{name} biciklitúrát tervez {obj:to}. Az útvonal {x:stage.ela} áll, mindegyik {n:q} hosszú.",
                "{name} {x:day.on} át kerékpározik {obj:to}, és naponta {n:q} utat tesz meg.",
            ],
            "gain": [
                "Egy kerülő még {n:q} utat ad hozzá az útvonalhoz.",
                "Egy út le van zárva, ezért {name:dat} még {n:q} kerülőt kell tennie.",
            ],
            "lose": ["{name} {n:q} utat tesz meg.", "Ezután {name} {n:q} utat teker le.", "Délelőtt {name} {n:q} utat tesz meg."],
            "share": ["{name} a hátralévő utat {n:day} alatt akarja megtenni, minden nap ugyanannyit."],
            "pct_part": ["A hátralévő út {n:%}-a a folyó mentén vezet."],
            "pct_off": ["Ma {name} a hátralévő út {n:%}-át teszi meg."],
            "ask_total": ["Hány kilométert kell még megtennie {name:dat}?", "Hány kilométer van még hátra?"],
            "ask_share": ["Hány kilométert tesz meg {name} naponta?"],
            "ask_part": ["Hány kilométer vezet a folyó mentén?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{x} dobozban dobozonként {n:q} van: {calc}.", "Összesen ennyi {obj:one} van: {calc}."],
            "gain": ["Hozzájön még {n:q}: {calc}.", "{name:dat} ennyi {obj:px.one} lesz: {calc}."],
            "lose": ["Ennyi {obj:one} marad: {calc}.", "{name:dat} ennyi {obj:px.one} marad: {calc}."],
            "share": ["Egy zacskóba ennyi {obj:one} kerül: {calc}."],
            "pct_part": ["A piros {obj:pl} száma: {calc}."],
            "pct_off": ["{name} eladja {obj:the_pl} {n:%}-át: {calc}."],
            "pct_off_rest": ["{name:dat} ennyi {obj:px.one} marad: {calc}."],
        },
        "shopping": {
            "groups": ["{name} {x} óra alatt ennyit keres: {calc}."],
            "gain": ["{name:dat} ennyi pénze lesz: {calc}.", "Hozzájön még {n:q}: {calc}."],
            "lose": ["{n:q} kiadás után ennyi marad: {calc}.", "{name:dat} ennyi pénze marad: {calc}."],
            "share": ["Egy-egy barát ennyit kap: {calc}."],
            "pct_part": ["A megtakarítás összege: {calc}."],
            "pct_off": ["{name} ennyit költ: {calc}."],
            "pct_off_rest": ["{name:dat} ennyi pénze marad: {calc}."],
        },
        "journey": {
            "groups": ["Az útvonal teljes hossza: {calc}."],
            "gain": ["A kerülő miatt hosszabb az út: {calc}.", "Hozzájön még {n:q}: {calc}."],
            "lose": ["{name} megtett {n:q} utat, ennyi van hátra: {calc}."],
            "share": ["Egy napra ennyi jut: {calc}."],
            "pct_part": ["A folyó menti szakasz hossza: {calc}."],
            "pct_off": ["{name} ma ennyit tesz meg: {calc}."],
            "pct_off_rest": ["Ennyi van még hátra: {calc}."],
        },
    },
    instruction="Oldd meg lépésről lépésre, és a végén írd le: „Válasz: <szám>”.",
    plural=plural_hu,
)
