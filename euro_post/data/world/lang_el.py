"""Greek (el).

Plural: "one" for 1, "other" otherwise. Greek names take the article, so every template uses
a case form: {name:nom} ("ο Νίκος" / "η Μαρία"), {name:se} ("στον Νίκο" / "στη Μαρία"). The
counted objects are neuter nouns, so numerals, "πόσα" and "κόκκινα" agree without choices.
Questions end with the Greek question mark ";".
"""

from euro_post.data.world.pack import LanguagePack, Noun, noun, person, plural_one_other


def counted(one: str, other: str, genitive: str) -> Noun:
    return Noun({"one": one, "other": other, "the": "τα " + other, "gen": "των " + genitive})


def male(name: str, accusative: str, genitive: str):
    return person(name, "m", nom="ο " + name, se="στον " + accusative, gen="του " + genitive)


def female(name: str, genitive: str, se_article: str = "στη"):
    return person(name, "f", nom="η " + name, se=f"{se_article} {name}", gen="της " + genitive)


PACK = LanguagePack(
    code="el",
    names=[
        male("Γιώργος", "Γιώργο", "Γιώργου"), female("Μαρία", "Μαρίας"),
        male("Νίκος", "Νίκο", "Νίκου"), female("Ελένη", "Ελένης", "στην"),
        male("Κώστας", "Κώστα", "Κώστα"), female("Κατερίνα", "Κατερίνας", "στην"),
        male("Δημήτρης", "Δημήτρη", "Δημήτρη"), female("Σοφία", "Σοφίας"),
    ],
    objects={
        "collection": [
            counted("μήλο", "μήλα", "μήλων"),
            counted("γραμματόσημο", "γραμματόσημα", "γραμματοσήμων"),
            counted("κοχύλι", "κοχύλια", "κοχυλιών"),
            counted("μολύβι", "μολύβια", "μολυβιών"),
            counted("μπισκότο", "μπισκότα", "μπισκότων"),
            counted("αυτοκόλλητο", "αυτοκόλλητα", "αυτοκόλλητων"),
        ],
        "shopping": [
            noun(a="ένα βιβλίο"),
            noun(a="μια τούρτα"),
            noun(a="ένα κασκόλ"),
            noun(a="ένα επιτραπέζιο παιχνίδι"),
            noun(a="ένα φυτό"),
            noun(a="ένα εισιτήριο τρένου"),
        ],
        "journey": [
            noun(until="μέχρι τη λίμνη", by="από τη λίμνη"),
            noun(until="μέχρι την ακτή", by="από την ακτή"),
            noun(until="μέχρι τον καταρράκτη", by="από τον καταρράκτη"),
            noun(until="μέχρι το διπλανό χωριό", by="από το διπλανό χωριό"),
            noun(until="μέχρι το παλιό κάστρο", by="από το παλιό κάστρο"),
        ],
    },
    nouns={
        "km": noun(one="km", other="km"),
        "box": noun(one="κουτί", other="κουτιά"),
        "bag": noun(one="σακούλα", other="σακούλες"),
        "friend": noun(one="φίλο", other="φίλους"),  # accusative: "σε 4 φίλους"
        "hour": noun(one="ώρα", other="ώρες"),
        "day": noun(one="μέρα", other="μέρες"),
        "stage": noun(one="τμήμα", other="τμήματα"),
    },
    questions={
        "collection": {
            "start": ["{name:nom} έχει {start:q}.", "{name:nom} φυλάει {start:q} σε ένα κουτί."],
            "groups": ["{name:nom} έχει {x:box} με {n:q} το καθένα.",
                       "{name:nom} αγοράζει {x:bag} με {n:q} η καθεμία."],
            "gain": ["{friend:nom} δίνει {name:se} {n:q}.", "Μετά {name:nom} παίρνει ακόμη {n:q}.",
                     "{name:nom} βρίσκει {n:q}."],
            "lose": ["{name:nom} δίνει {n:q} {friend:se}.", "Μετά {name:nom} χαρίζει {n:q}.", "{name:nom} χάνει {n:q}."],
            "share": ["{name:nom} μοιράζει {obj:the} εξίσου σε {n:bag}."],
            "pct_part": ["Το {n:%} {obj:gen} είναι κόκκινα."],
            "pct_off": ["{name:nom} πουλάει το {n:%} {obj:gen}."],
            "ask_total": ["Πόσα {obj:other} έχει {name:nom} τώρα;", "Πόσα {obj:other} έχει {name:nom} στο τέλος;"],
            "ask_share": ["Πόσα {obj:other} έχει κάθε σακούλα;"],
            "ask_part": ["Πόσα {obj:other} είναι κόκκινα;"],
        },
        "shopping": {
            "start": ["{name:nom} έχει {start:q}.", "{name:nom} έχει {start:q} στο πορτοφόλι."],
            "groups": ["{name:nom} δουλεύει {x:hour} και κερδίζει {n:q} την ώρα."],
            "gain": ["{friend:nom} δίνει {name:se} {n:q}.", "Μετά {name:nom} κερδίζει ακόμη {n:q}.",
                     "{name:nom} παίρνει {n:q} δώρο."],
            "lose": ["{name:nom} αγοράζει {item:a} που κοστίζει {n:q}.", "Μετά {name:nom} πληρώνει {n:q} για {item:a}."],
            "share": ["{name:nom} μοιράζει τα χρήματα εξίσου σε {n:friend}."],
            "pct_part": ["{name:nom} βάζει το {n:%} των χρημάτων σε έναν λογαριασμό ταμιευτηρίου."],
            "pct_off": ["{name:nom} ξοδεύει το {n:%} των χρημάτων για {item:a}."],
            "ask_total": ["Πόσα χρήματα έχει {name:nom} τώρα;", "Πόσα χρήματα μένουν {name:se};"],
            "ask_share": ["Πόσα χρήματα παίρνει κάθε φίλος;"],
            "ask_part": ["Πόσα χρήματα μπαίνουν στον λογαριασμό ταμιευτηρίου;"],
        },
        "journey": {
            "start": ["{name:nom} σχεδιάζει μια ποδηλατική εκδρομή {obj:until}. Η διαδρομή είναι {start:q}.",
                      "Ο δρόμος {obj:until} είναι {start:q}, και {name:nom} πηγαίνει με ποδήλατο."],
            "groups": ["{name:nom} σχεδιάζει μια ποδηλατική εκδρομή {obj:until} σε {x:stage} των {n:q}."],
            "gain": ["Μια παράκαμψη μεγαλώνει τη διαδρομή κατά {n:q}.",
                     "Ένας δρόμος είναι κλειστός, οπότε η διαδρομή μεγαλώνει κατά {n:q}.",
                     "Στον δρόμο {name:nom} περνά {item:by}, και αυτό προσθέτει {n:q}."],
            "lose": ["{name:nom} διανύει {n:q}.", "Μετά {name:nom} διανύει {n:q}."],
            "share": ["{name:nom} θέλει να κάνει την υπόλοιπη διαδρομή σε {n:day}, την ίδια απόσταση κάθε μέρα."],
            "pct_part": ["Το {n:%} της υπόλοιπης διαδρομής περνά δίπλα από ένα ποτάμι."],
            "pct_off": ["Σήμερα {name:nom} διανύει το {n:%} της υπόλοιπης απόστασης."],
            "ask_total": ["Πόσα χιλιόμετρα πρέπει ακόμη να διανύσει {name:nom};"],
            "ask_share": ["Πόσα χιλιόμετρα διανύει {name:nom} κάθε μέρα;"],
            "ask_part": ["Πόσα χιλιόμετρα της διαδρομής είναι δίπλα στο ποτάμι;"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name:nom} έχει {x} φορές {n:q}: {calc}."],
            "gain": ["{name:nom} παίρνει ακόμη {n}: {calc}."],
            "lose": ["{name:nom} δίνει {n}: {calc}."],
            "share": ["Κάθε σακούλα παίρνει τον ίδιο αριθμό: {calc}."],
            "pct_part": ["Κόκκινα είναι το {n:%}: {calc}."],
            "pct_off": ["{name:nom} πουλάει το {n:%}: {calc}."],
            "pct_off_rest": ["Τα υπόλοιπα τα κρατά {name:nom}: {calc}."],
        },
        "shopping": {
            "groups": ["{name:nom} κερδίζει {x} φορές {n:q}: {calc}."],
            "gain": ["{name:nom} παίρνει ακόμη {n:q}: {calc}."],
            "lose": ["{name:nom} πληρώνει {n:q}: {calc}."],
            "share": ["Κάθε φίλος παίρνει το ίδιο ποσό: {calc}."],
            "pct_part": ["Αποταμιεύεται το {n:%} των χρημάτων: {calc}."],
            "pct_off": ["{name:nom} ξοδεύει το {n:%} των χρημάτων: {calc}."],
            "pct_off_rest": ["Μένουν τα υπόλοιπα: {calc}."],
        },
        "journey": {
            "groups": ["Η διαδρομή έχει {x:stage} των {n:q}: {calc}."],
            "gain": ["Η διαδρομή μεγαλώνει κατά {n:q}: {calc}."],
            "lose": ["{name:nom} έχει διανύσει {n:q}: {calc}."],
            "share": ["Το υπόλοιπο μοιράζεται σε {n:day}: {calc}."],
            "pct_part": ["Το {n:%} της διαδρομής είναι δίπλα στο ποτάμι: {calc}."],
            "pct_off": ["{name:nom} διανύει το {n:%} της διαδρομής: {calc}."],
            "pct_off_rest": ["Μένει το υπόλοιπο: {calc}."],
        },
    },
    instruction="Λύσε το πρόβλημα βήμα προς βήμα και τελείωσε με «Απάντηση: <αριθμός>».",
    plural=plural_one_other,
)
