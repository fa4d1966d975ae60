"""German (de).

Plural: "one" for 1, "other" otherwise. Count phrases after "mit je" take the dative
("mit je 12 Äpfeln"), so counted nouns carry "dat.one"/"dat.other" forms. Names are not
declined (modern German), pronouns only where the gender is known ({name:g:ihm|ihr}).
"""

from euro_post.data.world.pack import LanguagePack, Noun, noun, person, plural_one_other


def counted(one: str, other: str, dat_other: str) -> Noun:
    return Noun({"one": one, "other": other, "dat.one": one, "dat.other": dat_other})


PACK = LanguagePack(
    code="de",
    names=[
        person("Lukas", "m"), person("Anna", "f"), person("Felix", "m"), person("Lena", "f"),
        person("Jonas", "m"), person("Marie", "f"), person("Paul", "m"), person("Sophie", "f"),
    ],
    objects={
        "collection": [
            counted("Apfel", "Äpfel", "Äpfeln"),
            counted("Briefmarke", "Briefmarken", "Briefmarken"),
            counted("Murmel", "Murmeln", "Murmeln"),
            counted("Muschel", "Muscheln", "Muscheln"),
            counted("Bleistift", "Bleistifte", "Bleistiften"),
            counted("Keks", "Kekse", "Keksen"),
        ],
        "shopping": [
            noun(acc="ein Buch"),
            noun(acc="einen Kuchen"),
            noun(acc="einen Schal"),
            noun(acc="ein Brettspiel"),
            noun(acc="eine Pflanze"),
            noun(acc="eine Fahrkarte"),
        ],
        "journey": [
            noun(to="zum See", at="am See"),
            noun(to="zur Küste", at="an der Küste"),
            noun(to="zum Wasserfall", at="am Wasserfall"),
            noun(to="ins nächste Dorf", at="im nächsten Dorf"),
            noun(to="zur alten Burg", at="an der alten Burg"),
        ],
    },
    nouns={
        "km": counted("km", "km", "km"),
        "box": counted("Kiste", "Kisten", "Kisten"),
        "bag": counted("Tüte", "Tüten", "Tüten"),
        "friend": counted("Freund", "Freunde", "Freunden"),
        "hour": counted("Stunde", "Stunden", "Stunden"),
        "day": counted("Tag", "Tage", "Tagen"),
        "stage": counted("Etappe", "Etappen", "Etappen"),
    },
    questions={
        "collection": {
            "start": ["{name} hat {start:q}.", "{name} bewahrt {start:q} in einer Schachtel auf."],
            "groups": ["{name} hat {x:box} mit je {n:q.dat}.", "{name} kauft {x:bag} mit je {n:q.dat}."],
            "gain": ["{friend} schenkt {name} {n:q}.", "Dann bekommt {name} noch {n:q}.", "{name} findet {n:q}."],
            "lose": ["{name} gibt {friend} {n:q}.", "Dann verschenkt {name} {n:q}.", "{name} verliert {n:q}."],
            "share": ["{name} verteilt alle {obj:other} gleichmäßig auf {n:bag}."],
            "pct_part": ["{n:%} der {obj:other} sind rot."],
            "pct_off": ["{name} verkauft {n:%} der {obj:other}."],
            "ask_total": ["Wie viele {obj:other} hat {name} jetzt?", "Wie viele {obj:other} hat {name} am Ende?"],
            "ask_share": ["Wie viele {obj:other} sind in jeder Tüte?"],
            "ask_part": ["Wie viele {obj:other} sind rot?"],
        },
        "shopping": {
            "start": ["{name} hat {start:q}.", "{name} hat {start:q} im Geldbeutel."],
            "groups": ["{name} arbeitet {x:hour} und verdient {n:q} pro Stunde."],
            "gain": ["{friend} gibt {name} {n:q}.", "Dann verdient {name} noch {n:q}.", "{name} bekommt {n:q} geschenkt."],
            "lose": ["{name} kauft {item:acc} für {n:q}.", "Dann bezahlt {name} {n:q} für {item:acc}."],
            "share": ["{name} teilt das Geld gleichmäßig unter {n:friend.dat} auf."],
            "pct_part": ["{name} legt {n:%} des Geldes auf ein Sparkonto."],
            "pct_off": ["{name} gibt {n:%} des Geldes für {item:acc} aus."],
            "ask_total": ["Wie viel Geld hat {name} jetzt?", "Wie viel Geld bleibt {name} übrig?"],
            "ask_share": ["Wie viel Geld bekommt jeder Freund?"],
            "ask_part": ["Wie viel Geld kommt auf das Sparkonto?"],
        },
        "journey": {
            "start": ["{name} plant eine Radtour {obj:to}. Die Strecke ist {start:q} lang.",
                      "Der Weg {obj:to} ist {start:q} lang, und {name} fährt mit dem Rad."],
            "groups": ["{name} plant eine Radtour {obj:to} in {x:stage.dat} zu je {n:q}."],
            "gain": ["Ein Umweg verlängert die Strecke um {n:q}.",
                     "Eine Straße ist gesperrt, deshalb wird die Strecke {n:q} länger.",
                     "{name} macht unterwegs einen Halt {item:at}, das sind {n:q} mehr."],
            "lose": ["{name} fährt {n:q}.", "Dann fährt {name} {n:q} weit."],
            "share": ["{name} will den Rest in {n:day.dat} fahren, jeden Tag gleich viel."],
            "pct_part": ["Auf {n:%} der restlichen Strecke geht es an einem Fluss entlang."],
            "pct_off": ["Heute fährt {name} {n:%} der restlichen Strecke."],
            "ask_total": ["Wie viele Kilometer muss {name} noch fahren?"],
            "ask_share": ["Wie viele Kilometer fährt {name} pro Tag?"],
            "ask_part": ["Wie viele Kilometer geht es am Fluss entlang?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} hat {x}-mal {n:q}: {calc}."],
            "gain": ["{name} bekommt {n} dazu: {calc}."],
            "lose": ["{name} gibt {n} ab: {calc}."],
            "share": ["In jede Tüte kommen gleich viele: {calc}."],
            "pct_part": ["Rot sind {n:%}: {calc}."],
            "pct_off": ["{name} verkauft {n:%}: {calc}."],
            "pct_off_rest": ["Übrig bleiben: {calc}."],
        },
        "shopping": {
            "groups": ["{name} verdient {x}-mal {n:q}: {calc}."],
            "gain": ["{name} bekommt {n:q} dazu: {calc}."],
            "lose": ["{name} bezahlt {n:q}: {calc}."],
            "share": ["Jeder Freund bekommt gleich viel: {calc}."],
            "pct_part": ["Gespart werden {n:%} des Geldes: {calc}."],
            "pct_off": ["{name} gibt {n:%} des Geldes aus: {calc}."],
            "pct_off_rest": ["Übrig bleibt: {calc}."],
        },
        "journey": {
            "groups": ["Die Strecke hat {x:stage} zu je {n:q}: {calc}."],
            "gain": ["Die Strecke wird um {n:q} länger: {calc}."],
            "lose": ["{name} ist {n:q} gefahren: {calc}."],
            "share": ["Der Rest wird auf {n:day} verteilt: {calc}."],
            "pct_part": ["Der Abschnitt am Fluss ist {n:%} der Strecke: {calc}."],
            "pct_off": ["{name} fährt {n:%} der Strecke: {calc}."],
            "pct_off_rest": ["Der Rest liegt noch vor {name:g:ihm|ihr}: {calc}."],
        },
    },
    instruction="Löse die Aufgabe Schritt für Schritt und schließe mit „Antwort: <Zahl>“ ab.",
    plural=plural_one_other,
)
