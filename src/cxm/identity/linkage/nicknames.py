"""Common English and German nicknames -> the given name they stand for.

Keys and values are ``name_key`` spellings (lower-case ASCII). A short list of
well-known pairs; a nickname shared by two names (Alex, Chris, Sam) maps to the
more frequent one, and the name comparison's fuzzy levels cover the rest.
"""

from __future__ import annotations

_GROUPS: dict[str, tuple[str, ...]] = {
    "alexander": ("alex", "xander", "sascha", "sasha"),
    "andrew": ("andy", "drew"),
    "anthony": ("tony",),
    "barbara": ("barb", "babs"),
    "benjamin": ("ben", "benny"),
    "catherine": ("cathy", "kate", "katie", "cat"),
    "charles": ("charlie", "chuck"),
    "christina": ("tina",),
    "christopher": ("chris", "kit"),
    "christian": ("chrissi",),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davy"),
    "deborah": ("debbie", "deb"),
    "edward": ("ed", "eddie", "ted"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza", "lisa"),
    "emily": ("em", "emmy"),
    "jennifer": ("jen", "jenny"),
    "jessica": ("jess", "jessie"),
    "james": ("jim", "jimmy", "jamie"),
    "johannes": ("hannes", "jo"),
    "john": ("johnny", "jack"),
    "jonathan": ("jon",),
    "joseph": ("joe", "joey"),
    "joshua": ("josh",),
    "katharina": ("kathi", "katja"),
    "katherine": ("kathy", "kat"),
    "margaret": ("maggie", "meg", "peggy", "marge"),
    "margarete": ("grete", "gretel"),
    "matthew": ("matt",),
    "matthias": ("matze",),
    "michael": ("mike", "mikey", "mick", "micha"),
    "nicholas": ("nick", "nicky"),
    "patricia": ("pat", "patty", "trish"),
    "patrick": ("paddy",),
    "rebecca": ("becky", "becca"),
    "richard": ("rick", "ricky", "dick", "rich"),
    "robert": ("rob", "bob", "bobby", "robbie"),
    "samantha": ("sam", "sammy"),
    "samuel": ("sammie",),
    "sebastian": ("basti", "seb"),
    "stephanie": ("steffi", "steph"),
    "stefan": ("steff",),
    "steven": ("steve", "stevie"),
    "susan": ("sue", "susie"),
    "thomas": ("tom", "tommy"),
    "timothy": ("tim", "timmy"),
    "victoria": ("vicky", "tori"),
    "william": ("will", "bill", "billy", "liam"),
    "wolfgang": ("wolf",),
}

NICKNAMES: dict[str, str] = {
    nickname: name for name, nicknames in _GROUPS.items() for nickname in nicknames
}
