"""Lithuanian (lt).

Plural: "one" when the number ends in 1 but not in 11 (1, 21, 101 obuolys), "few" when it
ends in 2-9 but not in 12-19 (2, 9, 22, 25 obuoliai), "many" for 10-20 and every number
ending in 0 or in 11-19 (10, 11, 20, 100 obuolių): these take the genitive plural whatever
the case of the phrase; "frac" for non-integers, which take the genitive singular
(2,5 kilometro).

Count phrases stand as the subject ("maršrutą sudaro 4 etapai": the plain forms), as the
object ("turi 5 obuolius" / "1 obuolį" / "12 obuolių": "acc.<category>"), and after "po" and
"per", which also take the accusative; "dat.<category>" serves "padalija 4 draugams". Verbs are
in the present tense, which does not mark gender; the pronoun "jis"/"ji" is chosen by
the person's gender. Names are declined through case forms (gen "Rūtos", dat "Rūtai").
"""

from decimal import Decimal

from euro_post.data.world.pack import LanguagePack, Noun, noun, person


def plural_lt(value: Decimal) -> str:
    if value != value.to_integral_value():
        return "frac"
    n = int(value)
    if 11 <= n % 100 <= 19 or n % 10 == 0:
        return "many"
    return "one" if n % 10 == 1 else "few"


def counted(nom_sg: str, nom_pl: str, gen_pl: str, gen_sg: str, acc_sg: str, acc_pl: str, **extra: str) -> Noun:
    """A counted noun; "many" numbers take the genitive plural and fractions the genitive singular."""
    return Noun({
        "one": nom_sg, "few": nom_pl, "many": gen_pl, "frac": gen_sg,
        "acc.one": acc_sg, "acc.few": acc_pl, "acc.many": gen_pl, "acc.frac": gen_sg,
        "gen_pl": gen_pl, "acc_pl": acc_pl, **extra,
    })


def thing(nom_sg: str, nom_pl: str, gen_pl: str, gen_sg: str, acc_sg: str, acc_pl: str, feminine: bool) -> Noun:
    # all_acc: "visus obuolius" / "visas sagas", the quantifier agreeing with the noun's gender.
    every = "visas" if feminine else "visus"
    return counted(nom_sg, nom_pl, gen_pl, gen_sg, acc_sg, acc_pl, all_acc=f"{every} {acc_pl}")


def named(name: str, gender: str, gen: str, dat: str):
    return person(name, gender, gen=gen, dat=dat)


PACK = LanguagePack(
    code="lt",
    names=[
        named("Rūta", "f", "Rūtos", "Rūtai"),
        named("Jonas", "m", "Jono", "Jonui"),
        named("Eglė", "f", "Eglės", "Eglei"),
        named("Tomas", "m", "Tomo", "Tomui"),
        named("Ieva", "f", "Ievos", "Ievai"),
        named("Mantas", "m", "Manto", "Mantui"),
        named("Gabija", "f", "Gabijos", "Gabijai"),
        named("Lukas", "m", "Luko", "Lukui"),
    ],
    objects={
        "collection": [
            thing("obuolys", "obuoliai", "obuolių", "obuolio", "obuolį", "obuolius", False),
            thing("pašto ženklas", "pašto ženklai", "pašto ženklų", "pašto ženklo", "pašto ženklą", "pašto ženklus", False),
            thing("stiklo rutuliukas", "stiklo rutuliukai", "stiklo rutuliukų", "stiklo rutuliuko", "stiklo rutuliuką",
                  "stiklo rutuliukus", False),
            thing("kriauklė", "kriauklės", "kriauklių", "kriauklės", "kriauklę", "kriaukles", True),
            thing("pieštukas", "pieštukai", "pieštukų", "pieštuko", "pieštuką", "pieštukus", False),
            thing("saga", "sagos", "sagų", "sagos", "sagą", "sagas", True),
            thing("lipdukas", "lipdukai", "lipdukų", "lipduko", "lipduką", "lipdukus", False),
        ],
        # acc: "perka knygą"; dat: "išleidžia knygai".
        "shopping": [
            noun(acc="knygą", dat="knygai"),
            noun(acc="tortą", dat="tortui"),
            noun(acc="šaliką", dat="šalikui"),
            noun(acc="stalo žaidimą", dat="stalo žaidimui"),
            noun(acc="vazoninę gėlę", dat="vazoninei gėlei"),
            noun(acc="kino bilietą", dat="kino bilietui"),
        ],
        # to: where the trip goes; till: "iki" + genitive, how far.
        "journey": [
            noun(to="prie ežero", till="iki ežero"),
            noun(to="prie jūros", till="iki jūros"),
            noun(to="į kalnus", till="iki kalnų"),
            noun(to="į kaimyninį miestą", till="iki kaimyninio miesto"),
            noun(to="prie senosios pilies", till="iki senosios pilies"),
        ],
    },
    nouns={
        "km": counted("km", "km", "km", "km", "km", "km"),
        "box": counted("dėžutė", "dėžutės", "dėžučių", "dėžutės", "dėžutę", "dėžutes"),
        "bag": counted("maišelis", "maišeliai", "maišelių", "maišelio", "maišelį", "maišelius"),
        "hour": counted("valanda", "valandos", "valandų", "valandos", "valandą", "valandas"),
        "day": counted("diena", "dienos", "dienų", "dienos", "dieną", "dienas"),
        "stage": counted("etapas", "etapai", "etapų", "etapo", "etapą", "etapus"),
        "friend": counted("draugas", "draugai", "draugų", "draugo", "draugą", "draugus",
                          **{"dat.one": "draugui", "dat.few": "draugams", "dat.many": "draugų", "dat.frac": "draugo"}),
    },
    questions={
        "collection": {
            "start": [
                "{name} turi {start:q.acc}.",
                "{name} renka {obj:acc_pl}. Dabar {name:g:jis|ji} turi {start:q.acc}.",
                "{name} stalčiuje laiko {start:q.acc}.",
            ],
            "groups": [
                "{name} turi {x:box.acc}, kiekvienoje dėžutėje po {n:q.acc}.",
                "{name} perka {x:bag.acc} {obj:gen_pl}, kiekviename maišelyje po {n:q.acc}.",
            ],
            "gain": [
                "{friend} duoda {name:dat} {n:q.acc}.",
                "Paskui {name} gauna dar {n:q.acc}.",
                "{name} randa dar {n:q.acc}.",
            ],
            "lose": [
                "{name} atiduoda {friend:dat} {n:q.acc}.",
                "Tada {name} padovanoja draugams {n:q.acc}.",
                "{name} pameta {n:q.acc}.",
            ],
            "share": [
                "{name} {obj:all_acc} po lygiai sudeda į {n:bag.acc}.",
                "{name} {obj:all_acc} sudeda į {n:bag.acc} taip, kad kiekviename būtų po tiek pat.",
            ],
            "pct_part": ["{n:%} visų {obj:gen_pl} yra raudonos spalvos."],
            "pct_off": ["{name} parduoda {n:%} savo {obj:gen_pl}.", "Mugėje {name} parduoda {n:%} savo {obj:gen_pl}."],
            "ask_total": ["Kiek {obj:gen_pl} dabar turi {name}?", "Kiek {obj:gen_pl} galiausiai turi {name}?"],
            "ask_share": ["Kiek {obj:gen_pl} yra kiekviename maišelyje?", "Kiek {obj:gen_pl} tenka vienam maišeliui?"],
            "ask_part": ["Kiek {obj:gen_pl} yra raudonos spalvos?"],
        },
        "shopping": {
            "start": ["{name} turi {start:q}.", "{name} piniginėje turi {start:q}.", "{name} taupyklėje turi {start:q}."],
            "groups": [
                "{name} dirba {x:hour.acc} ir per valandą uždirba {n:q}.",
                "{name} {x:hour.acc} padeda kaimynams ir už kiekvieną valandą gauna {n:q}.",
            ],
            "gain": [
                "{friend} duoda {name:dat} {n:q}.",
                "Paskui {name} uždirba dar {n:q}.",
                "{name} gimtadienio proga gauna {n:q}.",
            ],
            "lose": ["{name} perka {item:acc} už {n:q}.", "Tada {name} sumoka {n:q} už {item:acc}."],
            "share": [
                "{name} pinigus po lygiai padalija {n:friend.dat}.",
                "{name} visus savo pinigus po lygiai išdalija {n:friend.dat}.",
            ],
            "pct_part": ["{name} {n:%} savo pinigų padeda į taupomąją sąskaitą."],
            "pct_off": ["{name} {n:%} savo pinigų išleidžia {item:dat}."],
            "ask_total": ["Kiek pinigų dabar turi {name}?", "Kiek pinigų galiausiai turi {name}?"],
            "ask_share": ["Kiek pinigų gauna kiekvienas draugas?"],
            "ask_part": ["Kiek pinigų atidedama į taupomąją sąskaitą?"],
        },
        "journey": {
            "start": [
                "{name} planuoja dviračių žygį {obj:to}. Maršruto ilgis – {start:q}.",
                "Nuo {name:gen} namų {obj:till} yra {start:q}.",
            ],
            "groups": [
                "{name} planuoja dviračių žygį {obj:to}. Maršrutą sudaro {x:stage}, kiekvienas po {n:q}.",
                "{name} ketina važiuoti dviračiu {obj:to} {x:day.acc}, kasdien po {n:q}.",
            ],
            "gain": [
                "Dėl apylankos maršrutas pailgėja {n:q}.",
                "Vienas kelias uždarytas, todėl maršrutas pailgėja {n:q}.",
            ],
            "lose": ["{name} nuvažiuoja {n:q}.", "Tada {name} numina {n:q}.", "Rytą {name} nuvažiuoja {n:q}."],
            "share": ["Likusį kelią {name} nori įveikti per {n:day.acc}, kasdien po tiek pat."],
            "pct_part": ["{n:%} likusio maršruto eina palei upę."],
            "pct_off": ["Šiandien {name} nuvažiuoja {n:%} likusio kelio."],
            "ask_total": ["Kiek kilometrų {name:dat} dar lieka nuvažiuoti?", "Kiek kilometrų dar turi nuvažiuoti {name}?"],
            "ask_share": ["Kiek kilometrų {name} nuvažiuoja per dieną?"],
            "ask_part": ["Kiek kilometrų maršruto eina palei upę?"],
        },
    },
    steps={
        "collection": {
            "groups": ["Padauginame {x} iš {n}: {calc}.", "Iš viso {name} turi: {calc}."],
            "gain": ["{name} gauna dar {n:q.acc}: {calc}.", "Pridedame {n}: {calc}."],
            "lose": ["Atimame {n}: {calc}.", "{name:dat} lieka: {calc}."],
            "share": ["Į kiekvieną maišelį tenka po lygiai: {calc}."],
            "pct_part": ["Raudonos spalvos yra {n:%}: {calc}."],
            "pct_off": ["{name} parduoda {n:%}: {calc}."],
            "pct_off_rest": ["{name:dat} lieka: {calc}."],
        },
        "shopping": {
            "groups": ["{name} uždirba {x} kartus po {n:q}: {calc}."],
            "gain": ["{name} gauna dar {n:q}: {calc}."],
            "lose": ["{name} sumoka {n:q}: {calc}."],
            "share": ["Kiekvienas draugas gauna po lygiai: {calc}."],
            "pct_part": ["Į taupomąją sąskaitą atidedama {n:%}: {calc}."],
            "pct_off": ["{name} išleidžia {n:%} pinigų: {calc}."],
            "pct_off_rest": ["{name:dat} lieka: {calc}."],
        },
        "journey": {
            "groups": ["Padauginame {x} iš {n}: {calc}."],
            "gain": ["Maršrutas pailgėja {n:q}: {calc}."],
            "lose": ["{name} nuvažiuoja {n:q}: {calc}."],
            "share": ["Padalijame iš {n}: {calc}."],
            "pct_part": ["Palei upę eina {n:%} kelio: {calc}."],
            "pct_off": ["{name} nuvažiuoja {n:%} kelio: {calc}."],
            "pct_off_rest": ["Dar lieka: {calc}."],
        },
    },
    instruction="Išspręsk uždavinį žingsnis po žingsnio ir pabaigoje parašyk „Atsakymas: <skaičius>“.",
    plural=plural_lt,
)
