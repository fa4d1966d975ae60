"""Croatian (hr).

Plural (as CLDR for integers): "one" when the last digit is 1 but the last two are not 11
(1, 21, 101: ima 21 jabuku), "few" when the last digit is 2-4 but the last two are not 12-14
(2, 4, 22, 102: ima 22 jabuke; the paucal, for masculine nouns the genitive singular: 2 oraha),
"other" for the rest (5, 11-14, 25, 105: ima 25 jabuka). A non-integer takes the genitive
singular (2,5 metra, 1,5 litre), which is the paucal form, so decimals are "few".

Count phrases stand where the accusative is needed (ima, daje, u + accusative of direction).
No count phrase is the subject of a verb, so no verb has to agree with a numeral. Verbs are in
the present tense, which does not mark the person's gender; names are declined through case
forms, "poss" being the possessive adjective before "kuće" (Anine, Ivanove).
"""

from decimal import Decimal

from euro_post.data.world.pack import LanguagePack, Noun, noun, person


def plural_hr(value: Decimal) -> str:
    if value != value.to_integral_value():
        return "few"
    n = int(value)
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "other"


def counted(one: str, few: str, other: str, **extra: str) -> Noun:
    """A counted noun in the accusative after a numeral: 1 jabuku, 2 jabuke, 5 jabuka."""
    return Noun({"one": one, "few": few, "other": other, "gen_pl": other, **extra})


PACK = LanguagePack(
    code="hr",
    names=[
        person("Ana", "f", gen="Ane", dat="Ani", poss="Anine"),
        person("Luka", "m", gen="Luke", dat="Luki", poss="Lukine"),
        person("Petra", "f", gen="Petre", dat="Petri", poss="Petrine"),
        person("Ivan", "m", gen="Ivana", dat="Ivanu", poss="Ivanove"),
        person("Lucija", "f", gen="Lucije", dat="Luciji", poss="Lucijine"),
        person("Marko", "m", gen="Marka", dat="Marku", poss="Markove"),
        person("Ema", "f", gen="Eme", dat="Emi", poss="Emine"),
        person("Filip", "m", gen="Filipa", dat="Filipu", poss="Filipove"),
    ],
    objects={
        # pl: the accusative plural without a numeral ("skuplja jabuke"); all: "sve" + it.
        "collection": [
            counted("jabuku", "jabuke", "jabuka", pl="jabuke", all="sve jabuke"),
            counted("sličicu", "sličice", "sličica", pl="sličice", all="sve sličice"),
            counted("kuglicu", "kuglice", "kuglica", pl="kuglice", all="sve kuglice"),
            counted("školjku", "školjke", "školjaka", pl="školjke", all="sve školjke"),
            counted("olovku", "olovke", "olovaka", pl="olovke", all="sve olovke"),
            counted("orah", "oraha", "oraha", pl="orahe", all="sve orahe"),
            counted("keks", "keksa", "keksa", pl="kekse", all="sve kekse"),
            counted("kamenčić", "kamenčića", "kamenčića", pl="kamenčiće", all="sve kamenčiće"),
        ],
        "shopping": [
            noun(acc="knjigu"),
            noun(acc="tortu"),
            noun(acc="šal"),
            noun(acc="društvenu igru"),
            noun(acc="sobnu biljku"),
            noun(acc="kartu za kino"),
        ],
        "journey": [
            noun(to="do jezera"),
            noun(to="na obalu"),
            noun(to="u planine"),
            noun(to="do susjednog grada"),
            noun(to="do starog dvorca"),
        ],
    },
    nouns={
        "km": counted("km", "km", "km"),
        "box": counted("kutiju", "kutije", "kutija"),
        "bag": counted("vrećicu", "vrećice", "vrećica"),
        "envelope": counted("omotnicu", "omotnice", "omotnica"),
        "hour": counted("sat", "sata", "sati"),
        "day": counted("dan", "dana", "dana"),
        "stage": counted("etapu", "etape", "etapa"),
    },
    questions={
        "collection": {
            "start": [
                "{name} ima {start:q}.",
                "{name} skuplja {obj:pl} i zasad ima {start:q}.",
                "U ladici {name} čuva {start:q}.",
            ],
            "groups": [
                "{name} ima {x:box}, u svakoj po {n:q}.",
                "{name} kupuje {x:bag} {obj:gen_pl}, u svakoj po {n:q}.",
            ],
            "gain": [
                "{friend} daje {name:dat} {n:q}.",
                "Zatim {name} dobiva još {n:q}.",
                "{name} pronalazi još {n:q}.",
            ],
            "lose": [
                "{name} daje {friend:dat} {n:q}.",
                "Potom {name} poklanja {n:q} prijateljima.",
                "{name} gubi {n:q}.",
            ],
            "share": [
                "{name} ravnomjerno raspoređuje {obj:all} u {n:bag}.",
                "{name} stavlja {obj:all} u {n:bag} tako da u svakoj bude jednako mnogo.",
            ],
            "pct_part": [
                "{name} daje {friend:dat} {n:%} svojih {obj:gen_pl}.",
                "{n:%} svojih {obj:gen_pl} {name} poklanja {friend:dat}.",
            ],
            "pct_off": [
                "{name} prodaje {n:%} svojih {obj:gen_pl}.",
                "Na sajmu {name} prodaje {n:%} svojih {obj:gen_pl}.",
            ],
            "ask_total": ["Koliko {obj:gen_pl} sada ima {name}?", "Koliko {obj:gen_pl} {name} ima na kraju?"],
            "ask_share": ["Koliko je {obj:gen_pl} u svakoj vrećici?", "Koliko {obj:gen_pl} ide u jednu vrećicu?"],
            "ask_part": ["Koliko {obj:gen_pl} dobiva {friend}?"],
        },
        "shopping": {
            "start": [
                "{name} ima {start:q}.",
                "{name} u novčaniku ima {start:q}.",
                "U kasici {name} ima {start:q}.",
            ],
            "groups": [
                "{name} radi {x:hour} i za svaki sat dobiva {n:q}.",
                "{name} pomaže susjedima {x:hour} i zarađuje {n:q} po satu.",
            ],
            "gain": [
                "{friend} daje {name:dat} {n:q}.",
                "Zatim {name} zarađuje još {n:q}.",
                "{name} za rođendan dobiva {n:q}.",
            ],
            "lose": [
                "{name} kupuje {item:acc} za {n:q}.",
                "Potom {name} plaća {n:q} za {item:acc}.",
            ],
            "share": [
                "{name} ravnomjerno raspoređuje sav novac u {n:envelope}.",
                "{name} dijeli novac u {n:envelope} tako da u svakoj bude jednak iznos.",
            ],
            "pct_part": [
                "{name} odvaja {n:%} svog novca za ljetovanje.",
                "{n:%} svog novca {name} odvaja za novi bicikl.",
            ],
            "pct_off": [
                "{name} troši {n:%} svog novca na {item:acc}.",
                "Na {item:acc} {name} troši {n:%} svog novca.",
            ],
            "ask_total": ["Koliko novca sada ima {name}?", "Koliko novca {name} ima na kraju?"],
            "ask_share": ["Koliko je novca u svakoj omotnici?", "Koliko novca ide u jednu omotnicu?"],
            "ask_part": ["Koliko novca {name} odvaja?"],
        },
        "journey": {
            "start": [
                "{name} planira biciklistički izlet {obj:to}. Ruta je duga {start:q}.",
                "Put od {name:poss} kuće {obj:to} dug je {start:q}. {name} ide onamo biciklom.",
            ],
            "groups": [
                "{name} planira biciklistički izlet {obj:to} u {x:stage} po {n:q}.",
                "{name} putuje biciklom {obj:to} {x:day} i svaki dan prelazi {n:q}.",
            ],
            "gain": [
                "Obilazak produljuje rutu za {n:q}.",
                "Jedna je cesta zatvorena pa se ruta produljuje za {n:q}.",
                "Zbog radova na cesti ruta se produljuje za {n:q}.",
            ],
            "lose": [
                "{name} prelazi {n:q}.",
                "Potom {name} prelazi {n:q}.",
                "Na sljedećoj dionici {name} prelazi {n:q}.",
            ],
            "share": [
                "Ostatak rute {name} želi prijeći u {n:day}, svaki dan jednako.",
                "{name} ostatak rute ravnomjerno dijeli na {n:day}.",
            ],
            "pct_part": [
                "Na {n:%} preostale rute {name} vozi uz rijeku.",
                "Na {n:%} preostale rute cesta vodi uz rijeku.",
            ],
            "pct_off": [
                "Danas {name} prelazi {n:%} preostale rute.",
                "Danas {name} svladava {n:%} preostale rute.",
            ],
            "ask_total": ["Koliko kilometara {name} još mora prijeći?", "Koliko kilometara {name:dat} još preostaje?"],
            "ask_share": ["Koliko kilometara {name} prelazi svaki dan?"],
            "ask_part": ["Koliko kilometara rute vodi uz rijeku?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} ima {x} puta po {n:q}: {calc}.", "Računamo ukupan broj {obj:gen_pl}: {calc}."],
            "gain": ["{name} sada ima {n:q} više: {calc}.", "Dodajemo {n:q}: {calc}."],
            "lose": ["Oduzimamo {n:q}: {calc}.", "{name} sada ima {n:q} manje: {calc}."],
            "share": ["U svaku vrećicu ide jednako mnogo: {calc}.", "Dijelimo brojem vrećica: {calc}."],
            "pct_part": ["{friend} dobiva {n:%} {obj:gen_pl}: {calc}.", "Računamo {n:%} svih {obj:gen_pl}: {calc}."],
            "pct_off": ["{name} prodaje {n:%} {obj:gen_pl}: {calc}.", "Računamo koliko je {n:%}: {calc}."],
            "pct_off_rest": ["{name:dat} ostaje: {calc}.", "Preostaje: {calc}."],
        },
        "shopping": {
            "groups": ["{name} zarađuje {x} puta po {n:q}: {calc}.", "Množimo broj sati sa satnicom: {calc}."],
            "gain": ["{name} ima {n:q} više: {calc}.", "Dodajemo {n:q}: {calc}."],
            "lose": ["{name} plaća {n:q}: {calc}.", "Oduzimamo {n:q}: {calc}."],
            "share": ["U svaku omotnicu ide jednak iznos: {calc}.", "Dijelimo brojem omotnica: {calc}."],
            "pct_part": ["{name} odvaja {n:%} novca: {calc}.", "Računamo {n:%} iznosa: {calc}."],
            "pct_off": ["{name} troši {n:%} novca: {calc}.", "Računamo {n:%} iznosa: {calc}."],
            "pct_off_rest": ["Preostaje: {calc}.", "{name:dat} ostaje: {calc}."],
        },
        "journey": {
            "groups": ["Ruta ima {x} puta po {n:q}: {calc}.", "Računamo duljinu cijele rute: {calc}."],
            "gain": ["Ruta je dulja za {n:q}: {calc}.", "Dodajemo {n:q}: {calc}."],
            "lose": ["{name} prelazi {n:q}: {calc}.", "Oduzimamo {n:q}: {calc}."],
            "share": ["Ostatak dijelimo na {n:day}: {calc}.", "Svaki dan {name} prelazi jednako: {calc}."],
            "pct_part": ["Računamo {n:%} preostale rute: {calc}."],
            "pct_off": ["{name} prelazi {n:%} rute: {calc}.", "Računamo {n:%} preostale rute: {calc}."],
            "pct_off_rest": ["Još preostaje: {calc}.", "Preostaje: {calc}."],
        },
    },
    instruction="Riješi zadatak korak po korak i završi retkom „Odgovor: <broj>”.",
    plural=plural_hr,
)
