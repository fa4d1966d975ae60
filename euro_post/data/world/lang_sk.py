"""Slovak (sk).

Plural (as CLDR): "one" for exactly 1 (1 jablko), "few" for 2-4 (2 jablká), "other" for every
other integer, compounds included (5, 11, 21, 22, 101, 102 jabĺk), and "fraction" for
non-integers, which take the genitive singular (2,5 kilogramu).

Count phrases stand where the accusative is needed (má 1 známku / 2 známky / 5 známok); after
"do" they take the genitive ("do 3 vrecúšok"), the "gen.<category>" forms. No count phrase is
the subject of a verb, so no verb has to agree with a numeral. Verbs are in the present tense
(perfective present for single events), which does not mark the person's gender; names are
declined through their case forms.
"""

from decimal import Decimal

from euro_post.data.world.pack import LanguagePack, Noun, noun, person


def plural_sk(value: Decimal) -> str:
    if value != value.to_integral_value():
        return "fraction"
    n = int(value)
    if n == 1:
        return "one"
    if 2 <= n <= 4:
        return "few"
    return "other"


def counted(one: str, few: str, other: str, gen_one: str, **extra: str) -> Noun:
    """A counted noun: accusative after a numeral (one/few/other), genitive after "do"."""
    return Noun({
        "one": one, "few": few, "other": other, "fraction": gen_one,
        "gen.one": gen_one, "gen.few": other, "gen.other": other, "gen.fraction": gen_one,
        "gen_pl": other, **extra,
    })


PACK = LanguagePack(
    code="sk",
    names=[
        person("Zuzana", "f", gen="Zuzany", dat="Zuzane"),
        person("Peter", "m", gen="Petra", dat="Petrovi"),
        person("Katarína", "f", gen="Kataríny", dat="Kataríne"),
        person("Martin", "m", gen="Martina", dat="Martinovi"),
        person("Lucia", "f", gen="Lucie", dat="Lucii"),
        person("Michal", "m", gen="Michala", dat="Michalovi"),
        person("Simona", "f", gen="Simony", dat="Simone"),
        person("Tomáš", "m", gen="Tomáša", dat="Tomášovi"),
    ],
    objects={
        # pl: the plural without a numeral ("zbiera známky"); all: "všetky" + plural.
        "collection": [
            counted("jablko", "jablká", "jabĺk", "jablka", pl="jablká", all="všetky jablká"),
            counted("známku", "známky", "známok", "známky", pl="známky", all="všetky známky"),
            counted("guličku", "guličky", "guličiek", "guličky", pl="guličky", all="všetky guličky"),
            counted("mušľu", "mušle", "mušlí", "mušle", pl="mušle", all="všetky mušle"),
            counted("pastelku", "pastelky", "pasteliek", "pastelky", pl="pastelky", all="všetky pastelky"),
            counted("orech", "orechy", "orechov", "orecha", pl="orechy", all="všetky orechy"),
            counted("kamienok", "kamienky", "kamienkov", "kamienka", pl="kamienky", all="všetky kamienky"),
        ],
        "shopping": [
            noun(acc="knihu"),
            noun(acc="tortu"),
            noun(acc="šál"),
            noun(acc="spoločenskú hru"),
            noun(acc="izbovú rastlinu"),
            noun(acc="lístok do kina"),
        ],
        "journey": [
            noun(to="k jazeru"),
            noun(to="k moru"),
            noun(to="do hôr"),
            noun(to="do susedného mesta"),
            noun(to="k starému hradu"),
        ],
    },
    nouns={
        "km": counted("km", "km", "km", "km"),
        "box": counted("krabicu", "krabice", "krabíc", "krabice"),
        "bag": counted("vrecúško", "vrecúška", "vrecúšok", "vrecúška"),
        "envelope": counted("obálku", "obálky", "obálok", "obálky"),
        "hour": counted("hodinu", "hodiny", "hodín", "hodiny"),
        "day": counted("deň", "dni", "dní", "dňa"),
        "stage": counted("etapu", "etapy", "etáp", "etapy"),
    },
    questions={
        "collection": {
            "start": [
                "{name} má {start:q}.",
                "{name} zbiera {obj:pl} a zatiaľ má {start:q}.",
                "V zásuvke má {name} {start:q}.",
            ],
            "groups": [
                "{name} má {x:box} a v každej z nich má {n:q}.",
                "{name} kúpi {x:bag} {obj:gen_pl}, v každom {n:q}.",
            ],
            "gain": [
                "{friend} dá {name:dat} {n:q}.",
                "Potom {name} dostane ešte {n:q}.",
                "{name} nájde ešte {n:q}.",
            ],
            "lose": [
                "{name} dá {friend:dat} {n:q}.",
                "Neskôr {name} rozdá {n:q} kamarátom.",
                "{name} stratí {n:q}.",
            ],
            "share": [
                "{name} rozdelí {obj:all} rovným dielom do {n:bag.gen}.",
                "{name} rozdelí {obj:all} do {n:bag.gen} tak, aby v každom bolo rovnako veľa.",
            ],
            "pct_part": [
                "{name} dá {friend:dat} {n:%} svojich {obj:gen_pl}.",
                "{n:%} svojich {obj:gen_pl} daruje {name} {friend:dat}.",
            ],
            "pct_off": [
                "{name} predá {n:%} svojich {obj:gen_pl}.",
                "Na blšom trhu predá {name} {n:%} svojich {obj:gen_pl}.",
            ],
            "ask_total": ["Koľko {obj:gen_pl} má {name} teraz?", "Koľko {obj:gen_pl} má {name} nakoniec?"],
            "ask_share": ["Koľko {obj:gen_pl} bude v každom vrecúšku?", "Koľko {obj:gen_pl} pripadne na jedno vrecúško?"],
            "ask_part": ["Koľko {obj:gen_pl} dostane {friend}?"],
        },
        "shopping": {
            "start": [
                "{name} má {start:q}.",
                "{name} má v peňaženke {start:q}.",
                "V pokladničke má {name} {start:q}.",
            ],
            "groups": [
                "{name} pracuje {x:hour} a za každú hodinu dostane {n:q}.",
                "{name} pomáha susedom {x:hour} a za hodinu si zarobí {n:q}.",
            ],
            "gain": [
                "{friend} dá {name:dat} {n:q}.",
                "Potom si {name} zarobí ešte {n:q}.",
                "{name} dostane na narodeniny {n:q}.",
            ],
            "lose": [
                "{name} si kúpi {item:acc} za {n:q}.",
                "Neskôr {name} zaplatí {n:q} za {item:acc}.",
            ],
            "share": [
                "{name} rozdelí všetky peniaze rovným dielom do {n:envelope.gen}.",
                "{name} rozdelí peniaze do {n:envelope.gen} tak, aby v každej bola rovnaká suma.",
            ],
            "pct_part": [
                "{name} si odloží {n:%} svojich peňazí na dovolenku.",
                "{n:%} svojich peňazí si {name} odloží na nový bicykel.",
            ],
            "pct_off": [
                "{name} minie {n:%} svojich peňazí na {item:acc}.",
                "Na {item:acc} minie {name} {n:%} svojich peňazí.",
            ],
            "ask_total": ["Koľko peňazí má {name} teraz?", "Koľko peňazí má {name} nakoniec?"],
            "ask_share": ["Koľko peňazí bude v každej obálke?", "Koľko peňazí pripadne na jednu obálku?"],
            "ask_part": ["Koľko peňazí si {name} odloží?"],
        },
        "journey": {
            "start": [
                "{name} plánuje cyklovýlet {obj:to}. Trasa meria {start:q}.",
                "Cesta z domu {name:gen} {obj:to} meria {start:q}. {name} tam ide na bicykli.",
            ],
            "groups": [
                "{name} plánuje cyklovýlet {obj:to} na {x:stage} po {n:q}.",
                "{name} pôjde na bicykli {obj:to} {x:day} a každý deň prejde {n:q}.",
            ],
            "gain": [
                "Obchádzka predĺži trasu o {n:q}.",
                "Jedna cesta je uzavretá, takže sa trasa predĺži o {n:q}.",
                "Kvôli oprave cesty sa trasa predĺži o {n:q}.",
            ],
            "lose": [
                "{name} prejde na bicykli {n:q}.",
                "Neskôr {name} prejde {n:q}.",
                "Na ďalšom úseku prejde {name} {n:q}.",
            ],
            "share": [
                "Zvyšok trasy chce {name} prejsť za {n:day}, každý deň rovnaký úsek.",
                "{name} si zvyšok trasy rozdelí rovným dielom na {n:day}.",
            ],
            "pct_part": [
                "Na {n:%} zvyšnej trasy ide {name} popri rieke.",
                "Na {n:%} zvyšnej trasy vedie cesta popri rieke.",
            ],
            "pct_off": [
                "Dnes {name} prejde {n:%} zvyšnej trasy.",
                "Dnes zvládne {name} {n:%} zvyšnej trasy.",
            ],
            "ask_total": ["Koľko kilometrov musí {name} ešte prejsť?", "Koľko kilometrov zostáva {name:dat} prejsť?"],
            "ask_share": ["Koľko kilometrov prejde {name} každý deň?"],
            "ask_part": ["Koľko kilometrov trasy vedie popri rieke?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} má {x}-krát {n:q}: {calc}.", "Spočítame {obj:all}: {calc}."],
            "gain": ["{name} má o {n:q} viac: {calc}.", "Pripočítame {n:q}: {calc}."],
            "lose": ["Odpočítame {n:q}: {calc}.", "{name} má o {n:q} menej: {calc}."],
            "share": ["Do každého vrecúška pripadne rovnaký počet: {calc}.", "Vydelíme počtom vrecúšok: {calc}."],
            "pct_part": ["{friend} dostane {n:%} {obj:gen_pl}: {calc}.", "Vypočítame {n:%} zo všetkých {obj:gen_pl}: {calc}."],
            "pct_off": ["{name} predá {n:%} {obj:gen_pl}: {calc}.", "Vypočítame, koľko je {n:%}: {calc}."],
            "pct_off_rest": ["{name:dat} zostane zvyšok: {calc}.", "Zostáva: {calc}."],
        },
        "shopping": {
            "groups": ["{name} zarobí {x}-krát {n:q}: {calc}.", "Vynásobíme počet hodín hodinovou mzdou: {calc}."],
            "gain": ["{name} má o {n:q} viac: {calc}.", "Pripočítame {n:q}: {calc}."],
            "lose": ["{name} zaplatí {n:q}: {calc}.", "Odpočítame {n:q}: {calc}."],
            "share": ["Do každej obálky pripadne rovnaká suma: {calc}.", "Vydelíme počtom obálok: {calc}."],
            "pct_part": ["{name} si odloží {n:%} peňazí: {calc}.", "Vypočítame {n:%} z celej sumy: {calc}."],
            "pct_off": ["{name} minie {n:%} peňazí: {calc}.", "Vypočítame {n:%} z celej sumy: {calc}."],
            "pct_off_rest": ["Zvyšok zostane {name:dat}: {calc}.", "Zostáva: {calc}."],
        },
        "journey": {
            "groups": ["Trasa meria {x}-krát {n:q}: {calc}.", "Vypočítame dĺžku celej trasy: {calc}."],
            "gain": ["Obchádzka pridá {n:q}: {calc}.", "Pripočítame {n:q}: {calc}."],
            "lose": ["{name} prejde {n:q}: {calc}.", "Odpočítame {n:q}: {calc}."],
            "share": ["Zvyšok rozdelíme na {n:day}: {calc}.", "Každý deň prejde {name} rovnaký úsek: {calc}."],
            "pct_part": ["Vypočítame {n:%} zvyšnej trasy: {calc}."],
            "pct_off": ["{name} prejde {n:%} trasy: {calc}.", "Vypočítame {n:%} zvyšnej trasy: {calc}."],
            "pct_off_rest": ["Zostáva prejsť: {calc}.", "Ešte zostáva: {calc}."],
        },
    },
    instruction="Vyrieš úlohu krok za krokom a na koniec napíš riadok „Odpoveď: <číslo>“.",
    plural=plural_sk,
)
