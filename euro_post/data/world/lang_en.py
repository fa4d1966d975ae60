"""English (en): the reference pack; every other pack has the same shape.

Plural rule: "one" for 1, "other" otherwise (1 apple, 2 apples, 2.5 km). Names are used
instead of pronouns, so no template depends on the person's gender.
"""

from euro_post.data.world.pack import LanguagePack, noun, person, plural_one_other

PACK = LanguagePack(
    code="en",
    names=[
        person("Oliver", "m"), person("Emily", "f"), person("Jack", "m"), person("Sophie", "f"),
        person("Harry", "m"), person("Grace", "f"), person("Thomas", "m"), person("Chloe", "f"),
    ],
    objects={
        "collection": [
            noun(one="apple", other="apples"),
            noun(one="stamp", other="stamps"),
            noun(one="marble", other="marbles"),
            noun(one="shell", other="shells"),
            noun(one="pencil", other="pencils"),
            noun(one="biscuit", other="biscuits"),
        ],
        "shopping": [
            noun(a="a book"),
            noun(a="a cake"),
            noun(a="a scarf"),
            noun(a="a board game"),
            noun(a="a plant"),
            noun(a="a ticket"),
        ],
        "journey": [
            noun(the="the lake"),
            noun(the="the coast"),
            noun(the="the waterfall"),
            noun(the="the next town"),
            noun(the="the old castle"),
        ],
    },
    nouns={
        "km": noun(one="km", other="km"),
        "box": noun(one="box", other="boxes"),
        "bag": noun(one="bag", other="bags"),
        "friend": noun(one="friend", other="friends"),
        "hour": noun(one="hour", other="hours"),
        "day": noun(one="day", other="days"),
        "stage": noun(one="stage", other="stages"),
    },
    questions={
        "collection": {
            "start": ["{name} has {start:q}.", "{name} collects {obj:other} and has {start:q}."],
            "groups": ["{name} has {x:box} with {n:q} in each.", "{name} buys {x:bag} of {obj:other}, each with {n:q}."],
            "gain": ["{friend} gives {name} {n:q}.", "Then {name} gets another {n:q}.", "{name} finds {n:q}."],
            "lose": ["{name} gives {n:q} to {friend}.", "Then {name} gives away {n:q}.", "{name} loses {n:q}."],
            "share": ["{name} puts all the {obj:other} into {n:bag}, the same number in each."],
            "pct_part": ["{n:%} of the {obj:other} are red."],
            "pct_off": ["{name} sells {n:%} of the {obj:other}."],
            "ask_total": ["How many {obj:other} does {name} have now?", "How many {obj:other} does {name} have in the end?"],
            "ask_share": ["How many {obj:other} are in each bag?"],
            "ask_part": ["How many {obj:other} are red?"],
        },
        "shopping": {
            "start": ["{name} has {start:q}.", "{name} has {start:q} in a wallet."],
            "groups": ["{name} works for {x:hour} and earns {n:q} per hour."],
            "gain": ["{friend} gives {name} {n:q}.", "Then {name} earns {n:q} more.", "{name} gets {n:q} as a present."],
            "lose": ["{name} buys {item:a} for {n:q}.", "Then {name} pays {n:q} for {item:a}."],
            "share": ["{name} shares the money equally among {n:friend}."],
            "pct_part": ["{name} puts {n:%} of the money into a savings account."],
            "pct_off": ["{name} spends {n:%} of the money on {item:a}."],
            "ask_total": ["How much money does {name} have now?", "How much money does {name} have left?"],
            "ask_share": ["How much money does each friend get?"],
            "ask_part": ["How much money goes into the savings account?"],
        },
        "journey": {
            "start": ["{name} plans a bike trip to {obj:the}. The route is {start:q} long.",
                      "The way from {name}'s home to {obj:the} is {start:q}."],
            "groups": ["{name} plans a bike trip to {obj:the} in {x:stage} of {n:q} each."],
            "gain": ["A detour adds {n:q} to the route.", "A road is closed, so the route gets {n:q} longer.",
                     "{name} decides to stop at {item:the} on the way, which adds {n:q}."],
            "lose": ["{name} rides {n:q}.", "On the first day, {name} cycles {n:q}."],
            "share": ["{name} wants to ride the rest in {n:day}, the same distance each day."],
            "pct_part": ["{n:%} of the remaining route runs along a river."],
            "pct_off": ["Today {name} rides {n:%} of the remaining distance."],
            "ask_total": ["How many kilometres does {name} still have to ride?"],
            "ask_share": ["How many kilometres does {name} ride each day?"],
            "ask_part": ["How many kilometres of the route run along the river?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} has {x} times {n:q}: {calc}."],
            "gain": ["{name} gets {n} more: {calc}."],
            "lose": ["{name} gives away {n}: {calc}."],
            "share": ["Each bag gets the same number: {calc}."],
            "pct_part": ["The red ones are {n:%}: {calc}."],
            "pct_off": ["{name} sells {n:%}: {calc}."],
            "pct_off_rest": ["{name} keeps the rest: {calc}."],
        },
        "shopping": {
            "groups": ["{name} earns {x} times {n:q}: {calc}."],
            "gain": ["{name} gets {n:q} more: {calc}."],
            "lose": ["{name} pays {n:q}: {calc}."],
            "share": ["Each friend gets the same amount: {calc}."],
            "pct_part": ["{n:%} of the money is saved: {calc}."],
            "pct_off": ["{name} spends {n:%} of the money: {calc}."],
            "pct_off_rest": ["The rest is left: {calc}."],
        },
        "journey": {
            "groups": ["The route has {x} stages of {n:q}: {calc}."],
            "gain": ["The detour adds {n:q}: {calc}."],
            "lose": ["{name} has ridden {n:q}: {calc}."],
            "share": ["The rest is split over {n:day}: {calc}."],
            "pct_part": ["{n:%} of the distance is along the river: {calc}."],
            "pct_off": ["{name} rides {n:%} of the distance: {calc}."],
            "pct_off_rest": ["The rest is still ahead: {calc}."],
        },
    },
    instruction='Solve it step by step and finish with "Answer: <number>".',
    plural=plural_one_other,
    money_format="€{n}",
)
