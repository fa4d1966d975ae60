"""French (fr).

Plural: "one" below 2 (French writes "1,5 kilomètre"), "other" from 2. Questions end with a
narrow no-break space before "?" as French typography wants; step sentences use ", donc" so
that no colon needs a space. Inversion pronouns follow the name's gender ({name:g:il|elle}).
"""

from decimal import Decimal

from euro_post.data.world.pack import LanguagePack, noun, person

Q = "\u202f?"  # narrow no-break space + question mark


def plural_fr(value: Decimal) -> str:
    return "one" if value < 2 else "other"


PACK = LanguagePack(
    code="fr",
    names=[
        person("Louis", "m"), person("Emma", "f"), person("Gabriel", "m"), person("Léa", "f"),
        person("Hugo", "m"), person("Chloé", "f"), person("Jules", "m"), person("Manon", "f"),
    ],
    objects={
        "collection": [
            noun(one="pomme", other="pommes", the="les pommes"),
            noun(one="timbre", other="timbres", the="les timbres"),
            noun(one="bille", other="billes", the="les billes"),
            noun(one="coquillage", other="coquillages", the="les coquillages"),
            noun(one="crayon", other="crayons", the="les crayons"),
            noun(one="biscuit", other="biscuits", the="les biscuits"),
        ],
        "shopping": [
            noun(a="un livre"),
            noun(a="un gâteau"),
            noun(a="une écharpe"),
            noun(a="un jeu de société"),
            noun(a="une plante"),
            noun(a="un billet de train"),
        ],
        "journey": [
            noun(until="jusqu'au lac", by="par le lac"),
            noun(until="jusqu'à la côte", by="par la côte"),
            noun(until="jusqu'à la cascade", by="par la cascade"),
            noun(until="jusqu'au village voisin", by="par le village voisin"),
            noun(until="jusqu'au vieux château", by="par le vieux château"),
        ],
    },
    nouns={
        "km": noun(one="km", other="km"),
        "box": noun(one="boîte", other="boîtes"),
        "bag": noun(one="sac", other="sacs"),
        "friend": noun(one="ami", other="amis"),
        "hour": noun(one="heure", other="heures"),
        "day": noun(one="jour", other="jours"),
        "stage": noun(one="étape", other="étapes"),
    },
    questions={
        "collection": {
            "start": ["{name} a {start:q}.", "{name} garde {start:q} dans une boîte."],
            "groups": ["{name} a {x:box} de {n:q} chacune.", "{name} achète {x:bag} contenant chacun {n:q}."],
            "gain": ["{friend} donne {n:q} à {name}.", "Ensuite, {name} reçoit encore {n:q}.", "{name} trouve {n:q}."],
            "lose": ["{name} donne {n:q} à {friend}.", "Ensuite, {name} offre {n:q} à {friend}.", "{name} perd {n:q}."],
            "share": ["{name} répartit {obj:the} de façon égale dans {n:bag}."],
            "pct_part": ["{n:%} des {obj:other} sont rouges."],
            "pct_off": ["{name} vend {n:%} des {obj:other}."],
            "ask_total": ["Combien de {obj:other} {name} a-t-{name:g:il|elle} maintenant" + Q,
                          "Combien de {obj:other} {name} a-t-{name:g:il|elle} à la fin" + Q],
            "ask_share": ["Combien de {obj:other} y a-t-il dans chaque sac" + Q],
            "ask_part": ["Combien de {obj:other} sont rouges" + Q],
        },
        "shopping": {
            "start": ["{name} a {start:q}.", "{name} a {start:q} dans son porte-monnaie."],
            "groups": ["{name} travaille pendant {x:hour} et gagne {n:q} de l'heure."],
            "gain": ["{friend} donne {n:q} à {name}.", "Ensuite, {name} gagne encore {n:q}.", "{name} reçoit {n:q} en cadeau."],
            "lose": ["{name} achète {item:a} pour {n:q}.", "Ensuite, {name} paie {n:q} pour {item:a}."],
            "share": ["{name} partage l'argent à parts égales entre {n:friend}."],
            "pct_part": ["{name} place {n:%} de l'argent sur un compte d'épargne."],
            "pct_off": ["{name} dépense {n:%} de l'argent pour {item:a}."],
            "ask_total": ["Combien d'argent {name} a-t-{name:g:il|elle} maintenant" + Q,
                          "Combien d'argent reste-t-il à {name}" + Q],
            "ask_share": ["Combien d'argent chaque ami reçoit-il" + Q],
            "ask_part": ["Combien d'argent va sur le compte d'épargne" + Q],
        },
        "journey": {
            "start": ["{name} prévoit une balade à vélo {obj:until}. Le trajet fait {start:q}.",
                      "Le chemin {obj:until} fait {start:q}, et {name} y va à vélo."],
            "groups": ["{name} prévoit une balade à vélo {obj:until} en {x:stage} de {n:q} chacune."],
            "gain": ["Un détour allonge le trajet de {n:q}.",
                     "Une route est fermée, donc le trajet s'allonge de {n:q}.",
                     "{name} passe {item:by} en chemin, ce qui ajoute {n:q}."],
            "lose": ["{name} parcourt {n:q}.", "Ensuite, {name} parcourt {n:q}."],
            "share": ["{name} veut faire le reste en {n:day}, la même distance chaque jour."],
            "pct_part": ["{n:%} du trajet restant longe une rivière."],
            "pct_off": ["Aujourd'hui, {name} parcourt {n:%} de la distance restante."],
            "ask_total": ["Combien de kilomètres {name} doit-{name:g:il|elle} encore parcourir" + Q],
            "ask_share": ["Combien de kilomètres {name} parcourt-{name:g:il|elle} par jour" + Q],
            "ask_part": ["Combien de kilomètres du trajet longent la rivière" + Q],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} a {x} fois {n:q}, donc {calc}."],
            "gain": ["{name} en reçoit {n} de plus, donc {calc}."],
            "lose": ["{name} en donne {n}, donc {calc}."],
            "share": ["Chaque sac en contient autant, donc {calc}."],
            "pct_part": ["{n:%} sont rouges, donc {calc}."],
            "pct_off": ["{name} en vend {n:%}, donc {calc}."],
            "pct_off_rest": ["{name} garde le reste, donc {calc}."],
        },
        "shopping": {
            "groups": ["{name} gagne {x} fois {n:q}, donc {calc}."],
            "gain": ["{name} reçoit {n:q} de plus, donc {calc}."],
            "lose": ["{name} paie {n:q}, donc {calc}."],
            "share": ["Chaque ami reçoit la même somme, donc {calc}."],
            "pct_part": ["{n:%} de l'argent est épargné, donc {calc}."],
            "pct_off": ["{name} dépense {n:%} de l'argent, donc {calc}."],
            "pct_off_rest": ["Il reste donc {calc}."],
        },
        "journey": {
            "groups": ["Le trajet compte {x:stage} de {n:q}, donc {calc}."],
            "gain": ["Le trajet s'allonge de {n:q}, donc {calc}."],
            "lose": ["{name} a parcouru {n:q}, donc {calc}."],
            "share": ["Le reste se répartit sur {n:day}, donc {calc}."],
            "pct_part": ["{n:%} du trajet longe la rivière, donc {calc}."],
            "pct_off": ["{name} parcourt {n:%} du trajet, donc {calc}."],
            "pct_off_rest": ["Il reste donc {calc}."],
        },
    },
    instruction="Résous le problème étape par étape et termine par «\u00a0Réponse: <nombre>\u00a0».",
    plural=plural_fr,
)
