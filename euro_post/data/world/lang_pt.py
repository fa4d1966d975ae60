"""Portuguese (pt, European Portuguese: pt-PT spelling and words, "12,50 €").

Plural: "one" for 1, "other" otherwise. Counted nouns carry the gendered interrogative
("how": "quantas maçãs" / "quantos selos"), the definite plural ("the") and "das/dos" ("of");
colour is said as "de cor vermelha" so it never agrees with the noun.
"""

from euro_post.data.world.pack import LanguagePack, Noun, noun, person, plural_one_other


def counted(one: str, other: str, feminine: bool) -> Noun:
    how = ("quantas " if feminine else "quantos ") + other
    the = ("as " if feminine else "os ") + other
    of = ("das " if feminine else "dos ") + other
    return Noun({"one": one, "other": other, "how": how, "the": the, "of": of})


PACK = LanguagePack(
    code="pt",
    names=[
        person("Santiago", "m"), person("Maria", "f"), person("Francisco", "m"), person("Leonor", "f"),
        person("Afonso", "m"), person("Matilde", "f"), person("Tomás", "m"), person("Beatriz", "f"),
    ],
    objects={
        "collection": [
            counted("maçã", "maçãs", True),
            counted("selo", "selos", False),
            counted("berlinde", "berlindes", False),
            counted("concha", "conchas", True),
            counted("lápis", "lápis", False),
            counted("bolacha", "bolachas", True),
        ],
        "shopping": [
            noun(a="um livro", in_a="num livro"),
            noun(a="um bolo", in_a="num bolo"),
            noun(a="um cachecol", in_a="num cachecol"),
            noun(a="um jogo de tabuleiro", in_a="num jogo de tabuleiro"),
            noun(a="uma planta", in_a="numa planta"),
            noun(a="um bilhete de comboio", in_a="num bilhete de comboio"),
        ],
        "journey": [
            noun(until="até ao lago", by="pelo lago"),
            noun(until="até à costa", by="pela costa"),
            noun(until="até à cascata", by="pela cascata"),
            noun(until="até à aldeia vizinha", by="pela aldeia vizinha"),
            noun(until="até ao castelo antigo", by="pelo castelo antigo"),
        ],
    },
    nouns={
        "km": noun(one="km", other="km"),
        "box": noun(one="caixa", other="caixas"),
        "bag": noun(one="saco", other="sacos"),
        "friend": noun(one="amigo", other="amigos"),
        "hour": noun(one="hora", other="horas"),
        "day": noun(one="dia", other="dias"),
        "stage": noun(one="etapa", other="etapas"),
    },
    questions={
        "collection": {
            "start": ["{name} tem {start:q}.", "{name} guarda {start:q} numa caixa."],
            "groups": ["{name} tem {x:box} com {n:q} cada uma.", "{name} compra {x:bag} com {n:q} cada um."],
            "gain": ["{friend} dá {n:q} a {name}.", "Depois, {name} recebe mais {n:q}.", "{name} encontra {n:q}."],
            "lose": ["{name} dá {n:q} a {friend}.", "Depois, {name} oferece {n:q}.", "{name} perde {n:q}."],
            "share": ["{name} distribui {obj:the} igualmente por {n:bag}."],
            "pct_part": ["{n:%} {obj:of} são de cor vermelha."],
            "pct_off": ["{name} vende {n:%} {obj:of}."],
            "ask_total": ["{obj:how} tem {name} agora?", "{obj:how} tem {name} no fim?"],
            "ask_share": ["{obj:how} há em cada saco?"],
            "ask_part": ["{obj:how} são de cor vermelha?"],
        },
        "shopping": {
            "start": ["{name} tem {start:q}.", "{name} tem {start:q} na carteira."],
            "groups": ["{name} trabalha {x:hour} e ganha {n:q} por hora."],
            "gain": ["{friend} dá {n:q} a {name}.", "Depois, {name} ganha mais {n:q}.", "{name} recebe {n:q} de presente."],
            "lose": ["{name} compra {item:a} por {n:q}.", "Depois, {name} paga {n:q} por {item:a}."],
            "share": ["{name} divide o dinheiro igualmente entre {n:friend}."],
            "pct_part": ["{name} põe {n:%} do dinheiro numa conta poupança."],
            "pct_off": ["{name} gasta {n:%} do dinheiro {item:in_a}."],
            "ask_total": ["Quanto dinheiro tem {name} agora?", "Quanto dinheiro resta a {name}?"],
            "ask_share": ["Quanto dinheiro recebe cada amigo?"],
            "ask_part": ["Quanto dinheiro vai para a conta poupança?"],
        },
        "journey": {
            "start": ["{name} planeia um passeio de bicicleta {obj:until}. O percurso tem {start:q}.",
                      "O caminho {obj:until} tem {start:q}, e {name} vai de bicicleta."],
            "groups": ["{name} planeia um passeio de bicicleta {obj:until} em {x:stage} de {n:q} cada uma."],
            "gain": ["Um desvio torna o percurso {n:q} mais longo.",
                     "Uma estrada está fechada, por isso o percurso fica {n:q} mais longo.",
                     "{name} faz um desvio {item:by}, o que acrescenta {n:q}."],
            "lose": ["{name} percorre {n:q}.", "Depois, {name} percorre {n:q}."],
            "share": ["{name} quer fazer o resto em {n:day}, a mesma distância por dia."],
            "pct_part": ["{n:%} do percurso restante segue ao longo de um rio."],
            "pct_off": ["Hoje, {name} percorre {n:%} da distância restante."],
            "ask_total": ["Quantos quilómetros ainda tem {name} de percorrer?"],
            "ask_share": ["Quantos quilómetros percorre {name} por dia?"],
            "ask_part": ["Quantos quilómetros do percurso seguem ao longo do rio?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} tem {x} vezes {n:q}: {calc}."],
            "gain": ["{name} recebe mais {n}: {calc}."],
            "lose": ["{name} dá {n}: {calc}."],
            "share": ["Cada saco recebe a mesma quantidade: {calc}."],
            "pct_part": ["{n:%} são de cor vermelha: {calc}."],
            "pct_off": ["{name} vende {n:%}: {calc}."],
            "pct_off_rest": ["{name} fica com o resto: {calc}."],
        },
        "shopping": {
            "groups": ["{name} ganha {x} vezes {n:q}: {calc}."],
            "gain": ["{name} recebe mais {n:q}: {calc}."],
            "lose": ["{name} paga {n:q}: {calc}."],
            "share": ["Cada amigo recebe o mesmo: {calc}."],
            "pct_part": ["Poupa-se {n:%} do dinheiro: {calc}."],
            "pct_off": ["{name} gasta {n:%} do dinheiro: {calc}."],
            "pct_off_rest": ["Fica o resto: {calc}."],
        },
        "journey": {
            "groups": ["O percurso tem {x:stage} de {n:q}: {calc}."],
            "gain": ["O percurso fica {n:q} mais longo: {calc}."],
            "lose": ["{name} já percorreu {n:q}: {calc}."],
            "share": ["O resto divide-se por {n:day}: {calc}."],
            "pct_part": ["{n:%} do percurso segue ao longo do rio: {calc}."],
            "pct_off": ["{name} percorre {n:%} do percurso: {calc}."],
            "pct_off_rest": ["Fica o resto: {calc}."],
        },
    },
    instruction="Resolve o problema passo a passo e termina com «Resposta: <número>».",
    plural=plural_one_other,
)
