"""Finnish (fi).

Plural: "one" for exactly 1, "other" for every other number, decimals included. After a
numeral other than 1 the noun stands in the partitive singular (5 omenaa, 2,5 kilometriä);
after 1 it takes the case its role in the sentence asks for.

Count phrases appear in three roles, each with its own forms:
- existential subject ("Liisalla on 5 omenaa" / "1 omena"): the plain forms;
- total object ("Matti antaa Liisalle 5 omenaa" / "1 omenan"): "acc.<category>", where the
  object of 1 is in the genitive-accusative and every other number keeps the partitive;
- adverbials after a numeral keep the case of the phrase in the singular ("4 pussiin",
  "4 päivässä", "4 ystävän kesken").
Names are declined through case forms (ade "Liisalla", all "Liisalle", gen "Liisan"); "hän"
does not mark gender, so no template depends on it.
"""

from euro_post.data.world.pack import LanguagePack, Noun, noun, person, plural_one_other


def counted(nom: str, ptv: str, gen: str, **extra: str) -> Noun:
    """A counted noun: nominative/partitive after a numeral, genitive-accusative as object of 1."""
    return Noun({"one": nom, "other": ptv, "acc.one": gen, "acc.other": ptv, **extra})


def case_only(form: str, case: str) -> dict[str, str]:
    """A case that is singular after every numeral ("1 pussiin", "4 pussiin")."""
    return {f"{case}.one": form, f"{case}.other": form}


def named(name: str, gender: str, gen: str, ade: str, all_: str):
    return person(name, gender, gen=gen, ade=ade, all=all_)


PACK = LanguagePack(
    code="fi",
    names=[
        named("Liisa", "f", "Liisan", "Liisalla", "Liisalle"),
        named("Matti", "m", "Matin", "Matilla", "Matille"),
        named("Aino", "f", "Ainon", "Ainolla", "Ainolle"),
        named("Mikko", "m", "Mikon", "Mikolla", "Mikolle"),
        named("Emma", "f", "Emman", "Emmalla", "Emmalle"),
        named("Antti", "m", "Antin", "Antilla", "Antille"),
        named("Sanna", "f", "Sannan", "Sannalla", "Sannalle"),
        named("Ville", "m", "Villen", "Villellä", "Villelle"),
    ],
    objects={
        # pl: nominative plural ("kaikki omenat"); ptv_pl: partitive plural ("kerää omenoita");
        # ela_pl: elative plural ("20 % omenoista").
        "collection": [
            counted("omena", "omenaa", "omenan", pl="omenat", ptv_pl="omenoita", ela_pl="omenoista"),
            counted("postimerkki", "postimerkkiä", "postimerkin", pl="postimerkit", ptv_pl="postimerkkejä",
                    ela_pl="postimerkeistä"),
            counted("lasikuula", "lasikuulaa", "lasikuulan", pl="lasikuulat", ptv_pl="lasikuulia",
                    ela_pl="lasikuulista"),
            counted("kynä", "kynää", "kynän", pl="kynät", ptv_pl="kyniä", ela_pl="kynistä"),
            counted("nappi", "nappia", "napin", pl="napit", ptv_pl="nappeja", ela_pl="napeista"),
            counted("ilmapallo", "ilmapalloa", "ilmapallon", pl="ilmapallot", ptv_pl="ilmapalloja",
                    ela_pl="ilmapalloista"),
        ],
        # acc: total object ("ostaa kirjan"); ela: "maksaa kirjasta"; ill: "käyttää rahaa kirjaan".
        "shopping": [
            noun(acc="kirjan", ela="kirjasta", ill="kirjaan"),
            noun(acc="kakun", ela="kakusta", ill="kakkuun"),
            noun(acc="huivin", ela="huivista", ill="huiviin"),
            noun(acc="lautapelin", ela="lautapelistä", ill="lautapeliin"),
            noun(acc="huonekasvin", ela="huonekasvista", ill="huonekasviin"),
            noun(acc="elokuvalipun", ela="elokuvalipusta", ill="elokuvalippuun"),
        ],
        "journey": [
            noun(to="järvelle"),
            noun(to="rannikolle"),
            noun(to="tuntureille"),
            noun(to="naapurikaupunkiin"),
            noun(to="vanhalle linnalle"),
        ],
    },
    nouns={
        "km": counted("km", "km", "km"),
        "box": counted("laatikko", "laatikkoa", "laatikon"),
        "bag": counted("pussi", "pussia", "pussin", **case_only("pussiin", "ill")),
        "hour": counted("tunti", "tuntia", "tunnin"),
        "friend": counted("ystävä", "ystävää", "ystävän", **case_only("ystävän", "gen")),
        "day": counted("päivä", "päivää", "päivän", **case_only("päivän", "gen"), **case_only("päivässä", "ine"),
                       **case_only("päivälle", "all")),
        "stage": counted("osuus", "osuutta", "osuuden"),
    },
    questions={
        "collection": {
            "start": [
                "{name:ade} on {start:q}.",
                "{name} kerää {obj:ptv_pl}. Hänellä on jo {start:q}.",
                "{name:ade} on laatikossa {start:q}.",
            ],
            "groups": [
                "{name:ade} on {x:box} ja jokaisessa on {n:q}.",
                "{name} ostaa {x:bag.acc} {obj:ptv_pl} ja jokaisessa pussissa on {n:q}.",
            ],
            "gain": [
                "{friend} antaa {name:all} {n:q.acc}.",
                "Sitten {name} saa vielä {n:q.acc}.",
                "{name} löytää vielä {n:q.acc}.",
            ],
            "lose": [
                "{name} antaa {friend:all} {n:q.acc}.",
                "Sen jälkeen {name} antaa pois {n:q.acc}.",
                "{name} kadottaa {n:q.acc}.",
            ],
            "share": [
                "{name} jakaa kaikki {obj:pl} tasan {n:bag.ill}.",
                "{name} laittaa kaikki {obj:pl} {n:bag.ill} niin, että jokaisessa pussissa on yhtä monta.",
            ],
            "pct_part": ["{n:%} {obj:ela_pl} on punaisia.", "{obj:ela_pl} {n:%} on punaisia."],
            "pct_off": ["{name} myy {n:%} {obj:ela_pl}.", "Kirpputorilla {name} myy {n:%} {obj:ela_pl}."],
            "ask_total": ["Montako {obj:other} {name:ade} on nyt?", "Kuinka monta {obj:other} {name:ade} on lopulta?"],
            "ask_share": ["Montako {obj:other} kussakin pussissa on?", "Kuinka monta {obj:other} yhteen pussiin tulee?"],
            "ask_part": ["Kuinka monta punaista {obj:other} {name:ade} on?"],
        },
        "shopping": {
            "start": ["{name:ade} on {start:q}.", "{name:ade} on lompakossa {start:q}.", "{name:ade} on säästössä {start:q}."],
            "groups": [
                "{name} tekee töitä {x:hour.acc} ja ansaitsee {n:q} tunnissa.",
                "{name} auttaa naapuria {x:hour.acc} ja saa jokaisesta tunnista {n:q}.",
            ],
            "gain": [
                "{friend} antaa {name:all} {n:q}.",
                "Sitten {name} ansaitsee vielä {n:q}.",
                "{name} saa syntymäpäivälahjaksi {n:q}.",
            ],
            "lose": ["{name} ostaa {item:acc}, joka maksaa {n:q}.", "Sen jälkeen {name} maksaa {item:ela} {n:q}."],
            "share": [
                "{name} jakaa rahat tasan {n:friend.gen} kesken.",
                "{name} jakaa kaikki rahansa tasan {n:friend.gen} kesken.",
            ],
            "pct_part": ["{name} laittaa {n:%} rahoistaan säästötilille.", "{name} siirtää {n:%} rahoistaan säästötilille."],
            "pct_off": ["{name} käyttää {n:%} rahoistaan {item:ill}."],
            "ask_total": ["Paljonko rahaa {name:ade} on nyt?", "Kuinka paljon rahaa {name:ade} on lopulta?"],
            "ask_share": ["Paljonko rahaa kukin ystävä saa?"],
            "ask_part": ["Paljonko rahaa menee säästötilille?"],
        },
        "journey": {
            "start": [
                "{name} suunnittelee pyöräretkeä {obj:to}. Reitti on {start:q} pitkä.",
                "Matka {name:gen} kotoa {obj:to} on {start:q}.",
            ],
            "groups": [
                "{name} suunnittelee pyöräretkeä {obj:to}. Reitissä on {x:stage} ja jokainen niistä on {n:q} pitkä.",
                "{name} suunnittelee {x:day.gen} pyöräretkeä {obj:to}. Joka päivä hän ajaa {n:q}.",
            ],
            "gain": ["Kiertotie pidentää reittiä {n:q}.", "Yksi tie on suljettu, joten reitti pitenee {n:q}."],
            "lose": ["{name} ajaa {n:q}.", "Sen jälkeen {name} pyöräilee {n:q}.", "Aamupäivällä {name} ajaa {n:q}."],
            "share": ["{name} haluaa ajaa jäljellä olevan matkan {n:day.ine} niin, että hän ajaa joka päivä yhtä pitkän matkan."],
            "pct_part": ["Jäljellä olevasta reitistä {n:%} kulkee joen vartta."],
            "pct_off": ["Tänään {name} ajaa {n:%} jäljellä olevasta matkasta."],
            "ask_total": ["Montako kilometriä {name:ade} on vielä ajettavana?", "Kuinka monta kilometriä {name:ade} on vielä jäljellä?"],
            "ask_share": ["Montako kilometriä {name} ajaa joka päivä?"],
            "ask_part": ["Montako kilometriä reitistä kulkee joen vartta?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name:ade} on {x} kertaa {n:q}: {calc}.", "Kerrotaan {x} luvulla {n}: {calc}."],
            "gain": ["{name:ade} on {n:q} enemmän: {calc}.", "Lisätään {n}: {calc}."],
            "lose": ["{name:ade} on {n:q} vähemmän: {calc}.", "Vähennetään {n}: {calc}."],
            "share": ["Jokaiseen pussiin tulee yhtä monta: {calc}."],
            "pct_part": ["Punaisia on {n:%}: {calc}."],
            "pct_off": ["{name} myy {n:%}: {calc}."],
            "pct_off_rest": ["{name:all} jää loput: {calc}."],
        },
        "shopping": {
            "groups": ["{name} ansaitsee {x} kertaa {n:q}: {calc}."],
            "gain": ["{name:ade} on {n:q} enemmän: {calc}."],
            "lose": ["{name} maksaa {n:q}: {calc}."],
            "share": ["Jokainen ystävä saa yhtä paljon: {calc}."],
            "pct_part": ["Säästötilille menee {n:%} rahoista: {calc}."],
            "pct_off": ["{name} käyttää {n:%} rahoistaan: {calc}."],
            "pct_off_rest": ["Jäljelle jää: {calc}."],
        },
        "journey": {
            "groups": ["Reitin pituus on {x} kertaa {n:q}: {calc}."],
            "gain": ["Kiertotie lisää matkaan {n:q}: {calc}."],
            "lose": ["{name} on ajanut {n:q}: {calc}."],
            "share": ["Jäljellä oleva matka jaetaan {n:day.all}: {calc}."],
            "pct_part": ["Joen vartta kulkee {n:%} matkasta: {calc}."],
            "pct_off": ["{name} ajaa {n:%} matkasta: {calc}."],
            "pct_off_rest": ["Loput ovat vielä edessä: {calc}."],
        },
    },
    instruction="Ratkaise tehtävä vaihe vaiheelta ja kirjoita loppuun rivi ”Vastaus: <luku>”.",
    plural=plural_one_other,
)
