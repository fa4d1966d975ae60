"""Dutch (nl).

Money is written "€ 12,50" (CLDR nl). Plural: "one" for 1, "other" otherwise ("1 appel",
"2 appels"); "uur" stays singular after a numeral ("4 uur"). Names are not declined and no template needs a pronoun.
"""

from euro_post.data.world.pack import LanguagePack, noun, person, plural_one_other

PACK = LanguagePack(
    code="nl",
    names=[
        person("Daan", "m"), person("Emma", "f"), person("Sem", "m"), person("Julia", "f"),
        person("Lucas", "m"), person("Sophie", "f"), person("Finn", "m"), person("Tess", "f"),
    ],
    objects={
        "collection": [
            noun(one="appel", other="appels"),
            noun(one="postzegel", other="postzegels"),
            noun(one="knikker", other="knikkers"),
            noun(one="schelp", other="schelpen"),
            noun(one="potlood", other="potloden"),
            noun(one="koekje", other="koekjes"),
        ],
        "shopping": [
            noun(a="een boek"),
            noun(a="een taart"),
            noun(a="een sjaal"),
            noun(a="een bordspel"),
            noun(a="een plant"),
            noun(a="een kaartje"),
        ],
        "journey": [
            noun(to="naar het meer", the="het meer"),
            noun(to="naar de kust", the="de kust"),
            noun(to="naar de waterval", the="de waterval"),
            noun(to="naar het volgende dorp", the="het volgende dorp"),
            noun(to="naar het oude kasteel", the="het oude kasteel"),
        ],
    },
    nouns={
        "km": noun(one="km", other="km"),
        "box": noun(one="doos", other="dozen"),
        "bag": noun(one="zak", other="zakken"),
        "friend": noun(one="vriend", other="vrienden"),
        "hour": noun(one="uur", other="uur"),
        "day": noun(one="dag", other="dagen"),
        "stage": noun(one="etappe", other="etappes"),
    },
    questions={
        "collection": {
            "start": ["{name} heeft {start:q}.", "{name} bewaart {start:q} in een doos."],
            "groups": ["{name} heeft {x:box} met elk {n:q}.", "{name} koopt {x:bag} met in elke zak {n:q}."],
            "gain": ["{friend} geeft {name} {n:q}.", "Daarna krijgt {name} nog {n:q}.", "{name} vindt {n:q}."],
            "lose": ["{name} geeft {n:q} aan {friend}.", "Daarna geeft {name} {n:q} weg.", "{name} verliest {n:q}."],
            "share": ["{name} verdeelt alle {obj:other} gelijk over {n:bag}."],
            "pct_part": ["{n:%} van de {obj:other} is rood."],
            "pct_off": ["{name} verkoopt {n:%} van de {obj:other}."],
            "ask_total": ["Hoeveel {obj:other} heeft {name} nu?", "Hoeveel {obj:other} heeft {name} aan het eind?"],
            "ask_share": ["Hoeveel {obj:other} zitten er in elke zak?"],
            "ask_part": ["Hoeveel {obj:other} zijn rood?"],
        },
        "shopping": {
            "start": ["{name} heeft {start:q}.", "{name} heeft {start:q} in de portemonnee."],
            "groups": ["{name} werkt {x:hour} en verdient {n:q} per uur."],
            "gain": ["{friend} geeft {name} {n:q}.", "Daarna verdient {name} nog {n:q}.", "{name} krijgt {n:q} cadeau."],
            "lose": ["{name} koopt {item:a} voor {n:q}.", "Daarna betaalt {name} {n:q} voor {item:a}."],
            "share": ["{name} verdeelt het geld eerlijk onder {n:friend}."],
            "pct_part": ["{name} zet {n:%} van het geld op een spaarrekening."],
            "pct_off": ["{name} geeft {n:%} van het geld uit aan {item:a}."],
            "ask_total": ["Hoeveel geld heeft {name} nu?", "Hoeveel geld heeft {name} over?"],
            "ask_share": ["Hoeveel geld krijgt elke vriend?"],
            "ask_part": ["Hoeveel geld gaat er naar de spaarrekening?"],
        },
        "journey": {
            "start": ["{name} plant een fietstocht {obj:to}. De route is {start:q} lang.",
                      "De weg {obj:to} is {start:q} lang en {name} gaat op de fiets."],
            "groups": ["{name} plant een fietstocht {obj:to} in {x:stage} van elk {n:q}."],
            "gain": ["Een omweg maakt de route {n:q} langer.",
                     "Een weg is afgesloten, dus wordt de route {n:q} langer.",
                     "{name} fietst onderweg langs {item:the}, en dat is {n:q} extra."],
            "lose": ["{name} fietst {n:q}.", "Daarna fietst {name} {n:q}."],
            "share": ["{name} wil de rest in {n:day} fietsen, elke dag even ver."],
            "pct_part": ["{n:%} van de resterende route loopt langs een rivier."],
            "pct_off": ["Vandaag fietst {name} {n:%} van de resterende afstand."],
            "ask_total": ["Hoeveel kilometer moet {name} nog fietsen?"],
            "ask_share": ["Hoeveel kilometer fietst {name} per dag?"],
            "ask_part": ["Hoeveel kilometer van de route loopt langs de rivier?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} heeft {x} keer {n:q}: {calc}."],
            "gain": ["{name} krijgt er {n} bij: {calc}."],
            "lose": ["{name} geeft er {n} weg: {calc}."],
            "share": ["In elke zak zitten er evenveel: {calc}."],
            "pct_part": ["Rood is {n:%}: {calc}."],
            "pct_off": ["{name} verkoopt {n:%}: {calc}."],
            "pct_off_rest": ["De rest houdt {name}: {calc}."],
        },
        "shopping": {
            "groups": ["{name} verdient {x} keer {n:q}: {calc}."],
            "gain": ["{name} krijgt er {n:q} bij: {calc}."],
            "lose": ["{name} betaalt {n:q}: {calc}."],
            "share": ["Elke vriend krijgt evenveel: {calc}."],
            "pct_part": ["{n:%} van het geld wordt gespaard: {calc}."],
            "pct_off": ["{name} geeft {n:%} van het geld uit: {calc}."],
            "pct_off_rest": ["Er blijft over: {calc}."],
        },
        "journey": {
            "groups": ["De route heeft {x:stage} van {n:q}: {calc}."],
            "gain": ["De route wordt {n:q} langer: {calc}."],
            "lose": ["{name} heeft {n:q} gefietst: {calc}."],
            "share": ["De rest wordt over {n:day} verdeeld: {calc}."],
            "pct_part": ["{n:%} van de afstand ligt langs de rivier: {calc}."],
            "pct_off": ["{name} fietst {n:%} van de afstand: {calc}."],
            "pct_off_rest": ["De rest ligt nog voor {name}: {calc}."],
        },
    },
    instruction='Los het stap voor stap op en eindig met "Antwoord: <getal>".',
    plural=plural_one_other,
    money_format="€\u00a0{n}",  # CLDR nl: "€ 12,50"
)
