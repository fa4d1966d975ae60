"""Slovenian (sl).

Plural (as CLDR for integers, by the last two digits): "one" for 1, 101, 201 (1 jabolko,
101 jabolko), "two" for 2, 102 (the dual: 2 jabolki), "few" for 3-4, 103-104 (3 jabolka),
"other" for the rest (5-100, 105: 5 jabolk, 21 jabolk). A non-integer takes the genitive
singular (2,5 metra, 1,5 litra): "fraction".

Count phrases stand where the accusative is needed (ima 1 znamko / 2 znamki / 3 znamke /
5 znamk; masculine 3 svinčnike). No count phrase is the subject of a verb, so no verb has to
agree with a numeral (the dual would need its own verb forms). Verbs are in the present tense,
which does not mark the person's gender; names are declined through their case forms.
"""

from decimal import Decimal

from euro_post.data.world.pack import LanguagePack, Noun, noun, person


def plural_sl(value: Decimal) -> str:
    if value != value.to_integral_value():
        return "fraction"
    n = int(value) % 100
    if n == 1:
        return "one"
    if n == 2:
        return "two"
    if n in (3, 4):
        return "few"
    return "other"


def counted(one: str, two: str, few: str, other: str, gen_one: str, **extra: str) -> Noun:
    """A counted noun in the accusative after a numeral: 1 uro, 2 uri, 3 ure, 5 ur."""
    return Noun({"one": one, "two": two, "few": few, "other": other, "fraction": gen_one, "gen_pl": other, **extra})


PACK = LanguagePack(
    code="sl",
    names=[
        person("Nina", "f", gen="Nine", dat="Nini"),
        person("Matej", "m", gen="Mateja", dat="Mateju"),
        person("Eva", "f", gen="Eve", dat="Evi"),
        person("Jan", "m", gen="Jana", dat="Janu"),
        person("Maja", "f", gen="Maje", dat="Maji"),
        person("Rok", "m", gen="Roka", dat="Roku"),
        person("Sara", "f", gen="Sare", dat="Sari"),
        person("Nejc", "m", gen="Nejca", dat="Nejcu"),
    ],
    objects={
        # pl: the accusative plural without a numeral ("zbira znamke"); all: "vse/vsa" + it.
        "collection": [
            counted("jabolko", "jabolki", "jabolka", "jabolk", "jabolka", pl="jabolka", all="vsa jabolka"),
            counted("znamko", "znamki", "znamke", "znamk", "znamke", pl="znamke", all="vse znamke"),
            counted("frnikolo", "frnikoli", "frnikole", "frnikol", "frnikole", pl="frnikole", all="vse frnikole"),
            counted("školjko", "školjki", "školjke", "školjk", "školjke", pl="školjke", all="vse školjke"),
            counted("svinčnik", "svinčnika", "svinčnike", "svinčnikov", "svinčnika", pl="svinčnike", all="vse svinčnike"),
            counted("piškot", "piškota", "piškote", "piškotov", "piškota", pl="piškote", all="vse piškote"),
            counted("oreh", "oreha", "orehe", "orehov", "oreha", pl="orehe", all="vse orehe"),
            counted("kamenček", "kamenčka", "kamenčke", "kamenčkov", "kamenčka", pl="kamenčke", all="vse kamenčke"),
        ],
        "shopping": [
            noun(acc="knjigo"),
            noun(acc="torto"),
            noun(acc="šal"),
            noun(acc="družabno igro"),
            noun(acc="lončnico"),
            noun(acc="vstopnico za kino"),
        ],
        "journey": [
            noun(to="do jezera"),
            noun(to="na obalo"),
            noun(to="v gore"),
            noun(to="v sosednje mesto"),
            noun(to="do starega gradu"),
        ],
    },
    nouns={
        "km": counted("km", "km", "km", "km", "km"),
        "box": counted("škatlo", "škatli", "škatle", "škatel", "škatle"),
        "bag": counted("vrečko", "vrečki", "vrečke", "vrečk", "vrečke"),
        "envelope": counted("ovojnico", "ovojnici", "ovojnice", "ovojnic", "ovojnice"),
        "hour": counted("uro", "uri", "ure", "ur", "ure"),
        "day": counted("dan", "dneva", "dni", "dni", "dneva"),
        "stage": counted("etapo", "etapi", "etape", "etap", "etape"),
    },
    questions={
        "collection": {
            "start": [
                "{name} ima {start:q}.",
                "{name} zbira {obj:pl} in ima že {start:q}.",
                "V predalu ima {name} {start:q}.",
            ],
            "groups": [
                "{name} ima {x:box}, v vsaki po {n:q}.",
                "{name} kupi {x:bag} {obj:gen_pl}, v vsaki po {n:q}.",
            ],
            "gain": [
                "{friend} da {name:dat} {n:q}.",
                "Nato {name} dobi še {n:q}.",
                "{name} najde še {n:q}.",
            ],
            "lose": [
                "{name} da {friend:dat} {n:q}.",
                "Potem {name} podari {n:q} prijateljem.",
                "{name} izgubi {n:q}.",
            ],
            "share": [
                "{name} enakomerno razdeli {obj:all} v {n:bag}.",
                "{name} razdeli {obj:all} v {n:bag} tako, da je v vsaki enako mnogo.",
            ],
            "pct_part": [
                "{name} da {friend:dat} {n:%} svojih {obj:gen_pl}.",
                "{n:%} svojih {obj:gen_pl} {name} podari {friend:dat}.",
            ],
            "pct_off": [
                "{name} proda {n:%} svojih {obj:gen_pl}.",
                "Na sejmu {name} proda {n:%} svojih {obj:gen_pl}.",
            ],
            "ask_total": ["Koliko {obj:gen_pl} ima {name} zdaj?", "Koliko {obj:gen_pl} ima {name} na koncu?"],
            "ask_share": ["Koliko {obj:gen_pl} je v vsaki vrečki?", "Koliko {obj:gen_pl} gre v eno vrečko?"],
            "ask_part": ["Koliko {obj:gen_pl} dobi {friend}?"],
        },
        "shopping": {
            "start": [
                "{name} ima {start:q}.",
                "{name} ima v denarnici {start:q}.",
                "V hranilniku ima {name} {start:q}.",
            ],
            "groups": [
                "{name} dela {x:hour} in za vsako uro dobi {n:q}.",
                "{name} pomaga sosedom {x:hour} in zasluži {n:q} na uro.",
            ],
            "gain": [
                "{friend} da {name:dat} {n:q}.",
                "Nato {name} zasluži še {n:q}.",
                "{name} dobi za rojstni dan {n:q}.",
            ],
            "lose": [
                "{name} kupi {item:acc} za {n:q}.",
                "Potem {name} plača {n:q} za {item:acc}.",
            ],
            "share": [
                "{name} ves denar enakomerno razdeli v {n:envelope}.",
                "{name} razdeli denar v {n:envelope} tako, da je v vsaki enak znesek.",
            ],
            "pct_part": [
                "{name} prihrani {n:%} svojega denarja za počitnice.",
                "{n:%} svojega denarja {name} prihrani za novo kolo.",
            ],
            "pct_off": [
                "{name} porabi {n:%} svojega denarja za {item:acc}.",
                "Za {item:acc} {name} porabi {n:%} svojega denarja.",
            ],
            "ask_total": ["Koliko denarja ima {name} zdaj?", "Koliko denarja ima {name} na koncu?"],
            "ask_share": ["Koliko denarja je v vsaki ovojnici?", "Koliko denarja gre v eno ovojnico?"],
            "ask_part": ["Koliko denarja {name} prihrani?"],
        },
        "journey": {
            "start": [
                "{name} načrtuje kolesarski izlet {obj:to}. Pot je dolga {start:q}.",
                "Pot od doma {name:gen} {obj:to} meri {start:q}. {name} se tja odpravi s kolesom.",
            ],
            "groups": [
                "{name} načrtuje kolesarski izlet {obj:to} in pot razdeli na {x:stage} po {n:q}.",
                "{name} se s kolesom odpravi {obj:to} za {x:day} in vsak dan prevozi {n:q}.",
            ],
            "gain": [
                "Obvoz podaljša pot za {n:q}.",
                "Ena cesta je zaprta, zato se pot podaljša za {n:q}.",
                "Zaradi del na cesti se pot podaljša za {n:q}.",
            ],
            "lose": [
                "{name} prevozi {n:q}.",
                "Potem {name} prevozi {n:q}.",
                "Na naslednjem odseku {name} prevozi {n:q}.",
            ],
            "share": [
                "Preostanek poti {name} razdeli na {n:day}, vsak dan enako dolg del.",
                "Preostanek poti želi {name} enakomerno razdeliti na {n:day}.",
            ],
            "pct_part": [
                "Na {n:%} preostale poti {name} kolesari ob reki.",
                "Na {n:%} preostale poti cesta poteka ob reki.",
            ],
            "pct_off": [
                "Danes {name} prevozi {n:%} preostale poti.",
                "Danes {name} opravi {n:%} preostale poti.",
            ],
            "ask_total": ["Koliko kilometrov mora {name} še prevoziti?", "Koliko kilometrov {name:dat} še ostane?"],
            "ask_share": ["Koliko kilometrov prevozi {name} vsak dan?"],
            "ask_part": ["Koliko kilometrov poti poteka ob reki?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} ima {x}-krat po {n:q}: {calc}.", "Izračunamo skupno število {obj:gen_pl}: {calc}."],
            "gain": ["{name} ima zdaj {n:q} več: {calc}.", "Prištejemo {n:q}: {calc}."],
            "lose": ["Odštejemo {n:q}: {calc}.", "{name} ima zdaj {n:q} manj: {calc}."],
            "share": ["V vsako vrečko gre enako število: {calc}.", "Delimo s številom vrečk: {calc}."],
            "pct_part": ["{friend} dobi {n:%} {obj:gen_pl}: {calc}.", "Izračunamo {n:%} vseh {obj:gen_pl}: {calc}."],
            "pct_off": ["{name} proda {n:%} {obj:gen_pl}: {calc}.", "Izračunamo, koliko je {n:%}: {calc}."],
            "pct_off_rest": ["{name:dat} ostane: {calc}.", "Ostane: {calc}."],
        },
        "shopping": {
            "groups": ["{name} zasluži {x}-krat po {n:q}: {calc}.", "Število ur pomnožimo z urno postavko: {calc}."],
            "gain": ["{name} ima {n:q} več: {calc}.", "Prištejemo {n:q}: {calc}."],
            "lose": ["{name} plača {n:q}: {calc}.", "Odštejemo {n:q}: {calc}."],
            "share": ["V vsako ovojnico gre enak znesek: {calc}.", "Delimo s številom ovojnic: {calc}."],
            "pct_part": ["{name} prihrani {n:%} denarja: {calc}.", "Izračunamo {n:%} zneska: {calc}."],
            "pct_off": ["{name} porabi {n:%} denarja: {calc}.", "Izračunamo {n:%} zneska: {calc}."],
            "pct_off_rest": ["Ostane: {calc}.", "{name:dat} ostane: {calc}."],
        },
        "journey": {
            "groups": ["Pot meri {x}-krat po {n:q}: {calc}.", "Izračunamo dolžino celotne poti: {calc}."],
            "gain": ["Pot je daljša za {n:q}: {calc}.", "Prištejemo {n:q}: {calc}."],
            "lose": ["{name} prevozi {n:q}: {calc}.", "Odštejemo {n:q}: {calc}."],
            "share": ["Preostanek razdelimo na {n:day}: {calc}.", "Vsak dan {name} prevozi enako: {calc}."],
            "pct_part": ["Izračunamo {n:%} preostale poti: {calc}."],
            "pct_off": ["{name} prevozi {n:%} poti: {calc}.", "Izračunamo {n:%} preostale poti: {calc}."],
            "pct_off_rest": ["Še ostane: {calc}.", "Ostane: {calc}."],
        },
    },
    instruction="Nalogo reši korak za korakom in zaključi z vrstico »Odgovor: <število>«.",
    plural=plural_sl,
)
