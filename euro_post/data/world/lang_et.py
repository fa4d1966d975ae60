"""Estonian (et).

Plural: "one" for exactly 1, "other" for every other number, decimals included. After a
numeral other than 1 the noun stands in the partitive singular (5 õuna, 2,5 kilomeetrit);
after 1 it takes the case its role in the sentence asks for.

Count phrases appear in three roles, each with its own forms:
- existential subject ("Maril on 5 õuna" / "1 õun"): the plain forms;
- total object ("Jaan annab Marile 5 postmarki" / "1 postmargi"): "acc.<category>", where the
  object of 1 is in the genitive and every other number keeps the partitive;
- adverbials after a numeral keep the case of the phrase in the singular ("4 kotti",
  "4 päevaga", "4 sõbra vahel").
Names are declined through case forms (ade "Maril", all "Marile", gen "Mari"); "tal" does
not mark gender, so no template depends on it.
"""

from euro_post.data.world.pack import LanguagePack, Noun, noun, person, plural_one_other


def counted(nom: str, ptv: str, gen: str, **extra: str) -> Noun:
    """A counted noun: nominative/partitive after a numeral, genitive as total object of 1."""
    return Noun({"one": nom, "other": ptv, "acc.one": gen, "acc.other": ptv, **extra})


def case_only(form: str, case: str) -> dict[str, str]:
    """A case that is singular after every numeral ("1 kotti", "4 kotti")."""
    return {f"{case}.one": form, f"{case}.other": form}


def named(name: str, gender: str, gen: str):
    # Estonian adessive and allative add -l and -le to the genitive stem of every name here.
    return person(name, gender, gen=gen, ade=gen + "l", all=gen + "le")


PACK = LanguagePack(
    code="et",
    names=[
        named("Mari", "f", "Mari"),
        named("Jaan", "m", "Jaani"),
        named("Liis", "f", "Liisi"),
        named("Martin", "m", "Martini"),
        named("Kadri", "f", "Kadri"),
        named("Andres", "m", "Andrese"),
        named("Kati", "f", "Kati"),
        named("Toomas", "m", "Toomase"),
    ],
    objects={
        # pl: nominative plural ("kõik õunad"); ptv_pl: partitive plural ("kogub õunu");
        # ela_pl: elative plural ("20% õuntest").
        "collection": [
            counted("õun", "õuna", "õuna", pl="õunad", ptv_pl="õunu", ela_pl="õuntest"),
            counted("postmark", "postmarki", "postmargi", pl="postmargid", ptv_pl="postmarke", ela_pl="postmarkidest"),
            counted("klaaskuul", "klaaskuuli", "klaaskuuli", pl="klaaskuulid", ptv_pl="klaaskuule",
                    ela_pl="klaaskuulidest"),
            counted("pliiats", "pliiatsit", "pliiatsi", pl="pliiatsid", ptv_pl="pliiatseid", ela_pl="pliiatsitest"),
            counted("nööp", "nööpi", "nööbi", pl="nööbid", ptv_pl="nööpe", ela_pl="nööpidest"),
            counted("õhupall", "õhupalli", "õhupalli", pl="õhupallid", ptv_pl="õhupalle", ela_pl="õhupallidest"),
            counted("kleebis", "kleebist", "kleebise", pl="kleebised", ptv_pl="kleebiseid", ela_pl="kleebistest"),
        ],
        # acc: total object ("ostab raamatu"); gen: "raamatu eest"; all: "kulutab raamatule".
        "shopping": [
            noun(acc="raamatu", gen="raamatu", all="raamatule"),
            noun(acc="koogi", gen="koogi", all="koogile"),
            noun(acc="salli", gen="salli", all="sallile"),
            noun(acc="lauamängu", gen="lauamängu", all="lauamängule"),
            noun(acc="toalille", gen="toalille", all="toalillele"),
            noun(acc="kinopileti", gen="kinopileti", all="kinopiletile"),
        ],
        "journey": [
            noun(to="järve äärde"),
            noun(to="mere äärde"),
            noun(to="mägedesse"),
            noun(to="naaberlinna"),
            noun(to="vana lossi juurde"),
        ],
    },
    nouns={
        "km": counted("km", "km", "km"),
        "box": counted("karp", "karpi", "karbi"),
        "bag": counted("kott", "kotti", "koti", **case_only("kotti", "ill")),
        "hour": counted("tund", "tundi", "tunni"),
        "friend": counted("sõber", "sõpra", "sõbra", **case_only("sõbra", "gen")),
        "day": counted("päev", "päeva", "päeva", **case_only("päevaga", "kom"), **case_only("päevale", "all")),
        "stage": counted("etapp", "etappi", "etapi"),
    },
    questions={
        "collection": {
            "start": [
                "{name:ade} on {start:q}.",
                "{name} kogub {obj:ptv_pl}. Tal on juba {start:q}.",
                "{name:ade} on karbis {start:q}.",
            ],
            "groups": [
                "{name:ade} on {x:box} ja igas karbis on {n:q}.",
                "{name} ostab {x:bag.acc} {obj:ptv_pl} ja igas kotis on {n:q}.",
            ],
            "gain": [
                "{friend} annab {name:all} {n:q.acc}.",
                "Seejärel saab {name} veel {n:q.acc}.",
                "{name} leiab veel {n:q.acc}.",
            ],
            "lose": [
                "{name} annab {friend:all} {n:q.acc}.",
                "Pärast seda annab {name} ära {n:q.acc}.",
                "{name} kaotab {n:q.acc}.",
            ],
            "share": [
                "{name} jagab kõik {obj:pl} võrdselt {n:bag.ill}.",
                "{name} paneb kõik {obj:pl} {n:bag.ill} nii, et igas kotis on ühepalju.",
            ],
            "pct_part": ["{n:%} {obj:ela_pl} on punased.", "{obj:ela_pl} {n:%} on punased."],
            "pct_off": ["{name} müüb {n:%} {obj:ela_pl}.", "Kirbuturul müüb {name} {n:%} oma {obj:ela_pl}."],
            "ask_total": ["Mitu {obj:other} {name:ade} nüüd on?", "Mitu {obj:other} on {name:ade} lõpuks?"],
            "ask_share": ["Mitu {obj:other} on igas kotis?", "Mitu {obj:other} läheb ühte kotti?"],
            "ask_part": ["Mitu punast {obj:other} {name:ade} on?"],
        },
        "shopping": {
            "start": ["{name:ade} on {start:q}.", "{name:ade} on rahakotis {start:q}.", "{name:ade} on kogutud {start:q}."],
            "groups": [
                "{name} töötab {x:hour.acc} ja teenib {n:q} tunnis.",
                "{name} aitab naabrit {x:hour.acc} ja saab iga tunni eest {n:q}.",
            ],
            "gain": [
                "{friend} annab {name:all} {n:q}.",
                "Seejärel teenib {name} veel {n:q}.",
                "{name} saab sünnipäevaks {n:q}.",
            ],
            "lose": ["{name} ostab {item:acc} hinnaga {n:q}.", "Pärast seda maksab {name} {item:gen} eest {n:q}."],
            "share": [
                "{name} jagab raha võrdselt {n:friend.gen} vahel.",
                "{name} jagab kogu oma raha võrdselt {n:friend.gen} vahel.",
            ],
            "pct_part": ["{name} paneb {n:%} oma rahast hoiukontole.", "{name} kannab {n:%} oma rahast hoiukontole."],
            "pct_off": ["{name} kulutab {n:%} oma rahast {item:all}."],
            "ask_total": ["Kui palju raha {name:ade} nüüd on?", "Kui palju raha on {name:ade} lõpuks?"],
            "ask_share": ["Kui palju raha saab iga sõber?"],
            "ask_part": ["Kui palju raha läheb hoiukontole?"],
        },
        "journey": {
            "start": [
                "{name} plaanib rattamatka {obj:to}. Teekond on {start:q} pikk.",
                "Tee {name:gen} kodust {obj:to} on {start:q} pikk.",
            ],
            "groups": [
                "{name} plaanib rattamatka {obj:to}. Teekonnal on {x:stage} ja iga etapp on {n:q} pikk.",
                "{name} sõidab rattaga {obj:to} {x:day.kom} ja läbib iga päev {n:q}.",
            ],
            "gain": ["Ümbersõit lisab teekonnale {n:q}.", "Üks tee on suletud, nii et teekond pikeneb {n:q} võrra."],
            "lose": ["{name} sõidab {n:q}.", "Pärast seda sõidab {name} {n:q}.", "Hommikul läbib {name} {n:q}."],
            "share": ["{name} tahab ülejäänud tee läbida {n:day.kom}, iga päev ühepalju."],
            "pct_part": ["Ülejäänud teekonnast {n:%} kulgeb jõe ääres."],
            "pct_off": ["Täna sõidab {name} {n:%} ülejäänud teest."],
            "ask_total": ["Mitu kilomeetrit on {name:ade} veel sõita?", "Mitu kilomeetrit jääb {name:all} veel sõita?"],
            "ask_share": ["Mitu kilomeetrit sõidab {name} iga päev?"],
            "ask_part": ["Mitu kilomeetrit teest kulgeb jõe ääres?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name:ade} on {x} korda {n:q}: {calc}.", "Korrutame arvud {x} ja {n}: {calc}."],
            "gain": ["{name:ade} on {n:q} rohkem: {calc}.", "Liidame juurde {n}: {calc}."],
            "lose": ["{name:ade} on {n:q} vähem: {calc}.", "Lahutame {n}: {calc}."],
            "share": ["Igasse kotti läheb ühepalju: {calc}."],
            "pct_part": ["Punaseid on {n:%}: {calc}."],
            "pct_off": ["{name} müüb {n:%}: {calc}."],
            "pct_off_rest": ["{name:all} jääb alles: {calc}."],
        },
        "shopping": {
            "groups": ["{name} teenib {x} korda {n:q}: {calc}."],
            "gain": ["{name:ade} on {n:q} rohkem: {calc}."],
            "lose": ["{name} maksab {n:q}: {calc}."],
            "share": ["Iga sõber saab ühepalju: {calc}."],
            "pct_part": ["Hoiukontole läheb {n:%} rahast: {calc}."],
            "pct_off": ["{name} kulutab {n:%} rahast: {calc}."],
            "pct_off_rest": ["Alles jääb: {calc}."],
        },
        "journey": {
            "groups": ["Teekond on {x} korda {n:q}: {calc}."],
            "gain": ["Ümbersõit lisab {n:q}: {calc}."],
            "lose": ["{name} on sõitnud {n:q}: {calc}."],
            "share": ["Ülejäänud tee jagatakse {n:day.all}: {calc}."],
            "pct_part": ["Jõe ääres kulgeb {n:%} teest: {calc}."],
            "pct_off": ["{name} sõidab {n:%} teest: {calc}."],
            "pct_off_rest": ["Ülejäänu on veel ees: {calc}."],
        },
    },
    instruction="Lahenda ülesanne samm-sammult ja lõpeta reaga „Vastus: <arv>“.",
    plural=plural_one_other,
)
