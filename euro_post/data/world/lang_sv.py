"""Swedish (sv).

Plural: "one" for 1, "other" otherwise ("1 äpple", "5 äpplen"). Counted nouns also carry their
definite plural ("definite": "äpplena") for "20 % av äpplena". Names are not declined.
"""

from euro_post.data.world.pack import LanguagePack, noun, person, plural_one_other

PACK = LanguagePack(
    code="sv",
    names=[
        person("William", "m"), person("Alice", "f"), person("Hugo", "m"), person("Maja", "f"),
        person("Liam", "m"), person("Elsa", "f"), person("Oscar", "m"), person("Ebba", "f"),
    ],
    objects={
        "collection": [
            noun(one="äpple", other="äpplen", definite="äpplena"),
            noun(one="frimärke", other="frimärken", definite="frimärkena"),
            noun(one="kula", other="kulor", definite="kulorna"),
            noun(one="snäcka", other="snäckor", definite="snäckorna"),
            noun(one="penna", other="pennor", definite="pennorna"),
            noun(one="kaka", other="kakor", definite="kakorna"),
        ],
        "shopping": [
            noun(a="en bok"),
            noun(a="en tårta"),
            noun(a="en halsduk"),
            noun(a="ett brädspel"),
            noun(a="en krukväxt"),
            noun(a="en biljett"),
        ],
        "journey": [
            noun(to="till sjön", the="sjön"),
            noun(to="till kusten", the="kusten"),
            noun(to="till vattenfallet", the="vattenfallet"),
            noun(to="till nästa by", the="nästa by"),
            noun(to="till den gamla borgen", the="den gamla borgen"),
        ],
    },
    nouns={
        "km": noun(one="km", other="km"),
        "box": noun(one="låda", other="lådor"),
        "bag": noun(one="påse", other="påsar"),
        "friend": noun(one="vän", other="vänner"),
        "hour": noun(one="timme", other="timmar"),
        "day": noun(one="dag", other="dagar"),
        "stage": noun(one="etapp", other="etapper"),
    },
    questions={
        "collection": {
            "start": ["{name} har {start:q}.", "{name} förvarar {start:q} i en ask."],
            "groups": ["{name} har {x:box} med {n:q} i varje.", "{name} köper {x:bag} med {n:q} i varje."],
            "gain": ["{friend} ger {name} {n:q}.", "Sedan får {name} ytterligare {n:q}.", "{name} hittar {n:q}."],
            "lose": ["{name} ger {n:q} till {friend}.", "Sedan ger {name} bort {n:q}.", "{name} tappar bort {n:q}."],
            "share": ["{name} fördelar alla {obj:definite} lika i {n:bag}."],
            "pct_part": ["{n:%} av {obj:definite} är röda."],
            "pct_off": ["{name} säljer {n:%} av {obj:definite}."],
            "ask_total": ["Hur många {obj:other} har {name} nu?", "Hur många {obj:other} har {name} till slut?"],
            "ask_share": ["Hur många {obj:other} ligger det i varje påse?"],
            "ask_part": ["Hur många {obj:other} är röda?"],
        },
        "shopping": {
            "start": ["{name} har {start:q}.", "{name} har {start:q} i plånboken."],
            "groups": ["{name} arbetar i {x:hour} och tjänar {n:q} i timmen."],
            "gain": ["{friend} ger {name} {n:q}.", "Sedan tjänar {name} ytterligare {n:q}.", "{name} får {n:q} i present."],
            "lose": ["{name} köper {item:a} för {n:q}.", "Sedan betalar {name} {n:q} för {item:a}."],
            "share": ["{name} delar pengarna lika mellan {n:friend}."],
            "pct_part": ["{name} sätter in {n:%} av pengarna på ett sparkonto."],
            "pct_off": ["{name} lägger {n:%} av pengarna på {item:a}."],
            "ask_total": ["Hur mycket pengar har {name} nu?", "Hur mycket pengar har {name} kvar?"],
            "ask_share": ["Hur mycket pengar får varje vän?"],
            "ask_part": ["Hur mycket pengar sätts in på sparkontot?"],
        },
        "journey": {
            "start": ["{name} planerar en cykeltur {obj:to}. Sträckan är {start:q} lång.",
                      "Vägen {obj:to} är {start:q} lång, och {name} tar cykeln."],
            "groups": ["{name} planerar en cykeltur {obj:to} i {x:stage} på {n:q} vardera."],
            "gain": ["En omväg gör sträckan {n:q} längre.",
                     "En väg är avstängd, så sträckan blir {n:q} längre.",
                     "{name} cyklar förbi {item:the} på vägen, och det blir {n:q} extra."],
            "lose": ["{name} cyklar {n:q}.", "Sedan cyklar {name} {n:q}."],
            "share": ["{name} vill cykla resten på {n:day}, lika långt varje dag."],
            "pct_part": ["{n:%} av den återstående sträckan går längs en älv."],
            "pct_off": ["I dag cyklar {name} {n:%} av den återstående sträckan."],
            "ask_total": ["Hur många kilometer har {name} kvar att cykla?"],
            "ask_share": ["Hur många kilometer cyklar {name} per dag?"],
            "ask_part": ["Hur många kilometer av sträckan går längs älven?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} har {x} gånger {n:q}: {calc}."],
            "gain": ["{name} får {n} till: {calc}."],
            "lose": ["{name} ger bort {n}: {calc}."],
            "share": ["Varje påse får lika många: {calc}."],
            "pct_part": ["{n:%} är röda: {calc}."],
            "pct_off": ["{name} säljer {n:%}: {calc}."],
            "pct_off_rest": ["Resten behåller {name}: {calc}."],
        },
        "shopping": {
            "groups": ["{name} tjänar {x} gånger {n:q}: {calc}."],
            "gain": ["{name} får {n:q} till: {calc}."],
            "lose": ["{name} betalar {n:q}: {calc}."],
            "share": ["Varje vän får lika mycket: {calc}."],
            "pct_part": ["{n:%} av pengarna sparas: {calc}."],
            "pct_off": ["{name} gör av med {n:%} av pengarna: {calc}."],
            "pct_off_rest": ["Resten finns kvar: {calc}."],
        },
        "journey": {
            "groups": ["Sträckan har {x:stage} på {n:q}: {calc}."],
            "gain": ["Sträckan blir {n:q} längre: {calc}."],
            "lose": ["{name} har cyklat {n:q}: {calc}."],
            "share": ["Resten fördelas på {n:day}: {calc}."],
            "pct_part": ["{n:%} av sträckan går längs älven: {calc}."],
            "pct_off": ["{name} cyklar {n:%} av sträckan: {calc}."],
            "pct_off_rest": ["Resten återstår: {calc}."],
        },
    },
    instruction='Lös uppgiften steg för steg och avsluta med "Svar: <tal>".',
    plural=plural_one_other,
)
