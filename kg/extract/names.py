"""Find people, organizations and places, and resolve their later short mentions.

Capitalized word sequences are candidates. A candidate is an organization when it has an
organization head word (optionally followed by an "of/for ..." complement), a place when the
gazetteer or a place suffix says so, and a person when its shape (Chinese family name + pinyin
given name, a known given name) or its context (a title before it, an apposition or a speech
verb after it) says so. Later mentions — surnames, abbreviations, a place without its suffix —
are then linked to the full names found first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from kg.extract import lexicon
from kg.extract.text import LETTER, UPPER, Sentence
from kg.vocab import slug

_NAME_WORD = (
    rf"(?:[{UPPER}][{LETTER}0-9]*(?:['’\-][{LETTER}0-9]+)*(?:['’]s)?|\d+[{UPPER}][{LETTER}0-9]*)"
)
_JOINER = r"(?: (?:of the|of|for the|for|and|de|den|der|van|von|du|da|di|al|bin|le|la) )"
_CANDIDATE = re.compile(rf"{_NAME_WORD}(?:(?: |{_JOINER}){_NAME_WORD})*")
_POSSESSIVE = re.compile(r"['’]s$")
_EDGE_JOINERS = re.compile(
    r"^\s*(?:(?:of the|of|for the|for|and) )?|(?: (?:of the|of|for the|for|and))?\s*$"
)
ACRONYM = re.compile(rf"^[{UPPER}][{UPPER}0-9&]{{1,6}}$")
_CALENDAR = re.compile(
    r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March"
    r"|April|May|June|July|August|September|October|November|December)\b"
)


@dataclass
class Mention:
    start: int
    end: int
    text: str
    type: str  # person | organization | place
    name: str  # canonical name of the entity mentioned


@dataclass
class Entities:
    """Entities by type and canonical name, and every mention in text order."""

    mentions: list[Mention] = field(default_factory=list)
    aliases: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    kinds: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, mention: Mention, kind: str | None = None, *, is_alias: bool = True) -> None:
        """Record a mention; its text becomes an alias unless `is_alias` is False ("German").

        Names are compared in NFC, so "Müller" typed with a combining diaeresis is the same
        person; the mention keeps the text's own spelling and offsets.
        """
        if any(m.start < mention.end and mention.start < m.end for m in self.mentions):
            return
        mention.name = nfc(mention.name)
        self.mentions.append(mention)
        ident = (mention.type, mention.name)
        aliases = self.aliases.setdefault(ident, set())
        if is_alias and nfc(mention.text) != mention.name:
            aliases.add(nfc(mention.text))
        if kind:
            self.kinds.setdefault(ident, kind)

    def register(self, type_: str, name: str, kind: str | None = None) -> None:
        """Make an entity known without a mention (e.g. the publisher)."""
        name = nfc(name)
        self.aliases.setdefault((type_, name), set())
        if kind:
            self.kinds.setdefault((type_, name), kind)

    def names(self, type_: str) -> list[str]:
        return [name for (t, name) in self.aliases if t == type_]

    def sorted_mentions(self) -> list[Mention]:
        return sorted(self.mentions, key=lambda m: (m.start, m.end))


def nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    text: str
    sentence_initial: bool


def find_entities(text: str, sentences: list[Sentence], publisher: str | None) -> Entities:
    entities = Entities()
    if publisher:
        entities.register("organization", publisher)
    candidates = [c for s in sentences for c in _candidates(text, s)]
    leftovers: list[Candidate] = []
    for candidate in candidates:
        leftovers.extend(_classify_org_or_place(text, candidate, entities))
    for candidate in leftovers:
        _classify_person(text, candidate, entities)
    demonym_governments(text, entities)
    _lowercase_head_orgs(text, entities)
    _defined_abbreviations(text, leftovers, entities)
    link_short_mentions(text, sentences, entities)
    _contextual_orgs(text, leftovers, entities)
    link_short_mentions(text, sentences, entities)
    _definite_heads(text, entities)
    return entities


def _candidates(text: str, sentence: Sentence) -> list[Candidate]:
    found = []
    for match in _CANDIDATE.finditer(text, sentence.start, sentence.end):
        # Days and months are never part of a name: "On Monday Northwind" holds "Northwind".
        begin = match.start()
        for day in [*_CALENDAR.finditer(match.group()), None]:
            stop = match.start() + day.start() if day else match.end()
            value = _EDGE_JOINERS.sub("", text[begin:stop])
            if value:
                begin += text[begin:stop].index(value)
                found += _candidate(text, sentence, begin, value)
            begin = match.start() + day.end() + 1 if day else stop
    return found


def _candidate(text: str, sentence: Sentence, start: int, value: str) -> list[Candidate]:
    initial = text[sentence.start : start].strip(" \"'“‘(") == ""
    first, _, rest = value.partition(" ")
    if (
        initial
        and first in lexicon.words("function_words.txt")
        and not is_chinese_name(value.split(" ")[:2])  # "He Lifeng said ..."
    ):
        if not rest:
            return []
        start, value, initial = start + len(first) + 1, rest, False
    model = re.search(r" (?:[A-Z]{1,3}\d{2,4}[a-z]*|[1-9]\d{2})$", value)
    if model:
        value = value[: model.start()]  # "Airbus A321": the maker, then a model number
    following = re.match(r" ([a-z]+)", text[start + len(value) : start + len(value) + 30])
    last = value.rsplit(" ", 1)[-1]
    if following and f"{last} {following.group(1)}".lower() in lexicon.titles():
        # "Guangdong Party chief Huang Kunming": "Party" belongs to the title.
        value = value[: -len(last)].rstrip()
        if not value:
            return []
    found = []
    for piece in _split_at_joiners(Candidate(start, start + len(value), value, initial)):
        found.extend(_split_at_title(piece))
    return found


def _split_at_title(candidate: Candidate) -> list[Candidate]:
    """Take a capitalized title out of a name: "ECB President Christine Lagarde" is the ECB,
    then a title, then a person; "Prime Minister Li Qiang", "Mr Eddington" lose the title."""
    words = candidate.text.split(" ")
    for i in range(len(words) - 1):
        if words[i].rstrip(".") in lexicon.words("honorifics.txt"):
            return _pieces(candidate, words, i, 1)
        for n in range(min(3, len(words) - 1 - i), 0, -1):
            phrase = " ".join(words[i : i + n]).lower()
            rest = " ".join(words[i + n :])
            if re.fullmatch(lexicon.title_pattern(), phrase) and org_head_index(rest) is None:
                return _pieces(candidate, words, i, n)
    return [candidate]


def _pieces(candidate: Candidate, words: list[str], at: int, length: int) -> list[Candidate]:
    """The parts of a candidate before and after `length` words starting at word `at`."""
    left = " ".join(words[:at])
    right = " ".join(words[at + length :])
    right_start = candidate.end - len(right)
    pieces = (
        [Candidate(candidate.start, candidate.start + len(left), left, candidate.sentence_initial)]
        if left
        else []
    )
    return pieces + [Candidate(right_start, candidate.end, right, False)]


def _split_at_joiners(candidate: Candidate) -> list[Candidate]:
    """Keep "X of Y" / "X and Y" together only when X..Y can be one organization name."""
    if org_head_index(candidate.text) is not None:
        return [candidate]
    parts = re.split(r"( (?:of the|of|for the|for|and) )", candidate.text)
    if len(parts) == 1:
        return [candidate]
    pieces: list[Candidate] = []
    offset = candidate.start
    for i, part in enumerate(parts):
        if i % 2 == 0 and part:
            pieces.append(
                Candidate(offset, offset + len(part), part, candidate.sentence_initial and i == 0)
            )
        offset += len(part)
    return pieces


def org_head_index(value: str) -> int | None:
    """Index of the word ending an organization name, before any "of/for ..." complement.

    The head must end the name or stand right before its first complement: "Bank of China",
    "Committee for Xiong'an New Area" — but not "Paul Smith of Castle Rock Partners".
    """
    tokens = value.split(" ")
    complement = next((i for i, t in enumerate(tokens) if t in ("of", "for")), len(tokens))
    head = complement - 1
    named = head >= 1 or (head == 0 and complement < len(tokens))  # "Ministry of Commerce"
    if named and _POSSESSIVE.sub("", tokens[head]) in lexicon.org_suffixes():
        return head
    return None


def _classify_org_or_place(text: str, candidate: Candidate, entities: Entities) -> list[Candidate]:
    """Record organizations and places in the candidate; return the parts left unexplained."""
    value = candidate.text
    possessive = _POSSESSIVE.search(value)
    if possessive and not _POSSESSIVE.search(value.split(" ")[0] if " " in value else ""):
        value = value[: possessive.start()]
    head = org_head_index(value)
    if head is not None:
        _add_org(text, candidate.start, value, entities)
        return []
    if _add_place(text, candidate.start, value, entities):
        return []
    words = value.split(" ")
    if len(words) > 1 and words[0].endswith(("'s", "’s")):
        # "China's Commerce Ministry" style splits are handled above; here the owner is a name.
        owner = Candidate(
            candidate.start,
            candidate.start + len(words[0]) - 2,
            words[0][:-2],
            candidate.sentence_initial,
        )
        rest_start = candidate.start + len(words[0]) + 1
        rest = Candidate(
            rest_start, candidate.start + len(value), value[len(words[0]) + 1 :], False
        )
        return _classify_org_or_place(text, owner, entities) + _classify_org_or_place(
            text, rest, entities
        )
    return [
        Candidate(candidate.start, candidate.start + len(value), value, candidate.sentence_initial)
    ]


def _add_org(text: str, start: int, value: str, entities: Entities) -> None:
    words = value.split(" ")
    name = value
    if words[0].endswith(("'s", "’s")) and lexicon.place(words[0][:-2]) is not None:
        # "Guizhou's Commerce Department" names the "Guizhou Commerce Department".
        name = words[0][:-2] + " " + " ".join(words[1:])
        _add_place(text, start, words[0][:-2], entities, inside_org=True)
    entities.add(Mention(start, start + len(value), value, "organization", name), _org_kind(name))
    add_nested_orgs(start, value, entities)


def add_nested_orgs(start: int, value: str, entities: Entities) -> None:
    """An organization named inside another one's complement is an organization too
    ("Committee of the Communist Party of China")."""
    for joiner in (" of the ", " of ", " for the ", " for "):
        at = value.find(joiner)
        if at > 0:
            inner = value[at + len(joiner) :]
            if org_head_index(inner) is not None and len(inner.split(" ")) > 1:
                inner_start = start + at + len(joiner)
                name = nfc(inner)
                entities.mentions.append(
                    Mention(inner_start, inner_start + len(inner), inner, "organization", name)
                )
                entities.aliases.setdefault(("organization", name), set())
            break


def _org_kind(name: str) -> str | None:
    government = (
        "Committee",
        "Congress",
        "Ministry",
        "Department",
        "Bureau",
        "Commission",
        "Government",
        "Council",
        "Administration",
        "Parliament",
        "Assembly",
        "Office",
    )
    return "GovernmentOrganization" if any(w in government for w in name.split(" ")) else None


def _add_place(
    text: str, start: int, value: str, entities: Entities, inside_org: bool = False
) -> bool:
    entry = lexicon.place(value)
    name = entry.name if entry else None
    kind = entry.kind if entry else None
    if name is None:
        for suffix in lexicon.place_suffixes():
            if value.endswith(" " + suffix) and len(value) > len(suffix) + 1:
                name, kind = value, ("Place" if "Delta" in suffix else "AdministrativeArea")
                break
    end = start + len(value)
    after = re.match(r" (\w+)", text[end : end + 20])
    has_head = bool(after and after.group(1) in lexicon.words("place_lowercase_heads.txt"))
    if name is None and has_head and value[:1].isupper() and " " not in value:
        name, kind = value, "AdministrativeArea"  # "Fengyang county": the head says it is a place
    if name is None:
        return False
    if after and has_head:
        end += len(after.group(0))  # "Hebei province" is one mention of Hebei
    mention = Mention(start, end, text[start:end], "place", name)
    if inside_org:
        entities.register("place", name, kind)
    else:
        entities.add(mention, kind)
    return True


def _classify_person(text: str, candidate: Candidate, entities: Entities) -> None:
    words = candidate.text.split(" ")
    if not 2 <= len(words) <= 4 or not _looks_like_person(text, candidate, words):
        return
    known = {form for name in entities.names("person") for form in short_forms("person", name)}
    if candidate.text in known:
        return  # "Le Maire" after "Bruno Le Maire": a short mention, linked later
    entities.add(Mention(candidate.start, candidate.end, candidate.text, "person", candidate.text))


def _looks_like_person(text: str, candidate: Candidate, words: list[str]) -> bool:
    if any(w in lexicon.org_suffixes() or ACRONYM.match(w) for w in words):
        return False
    if any(w in lexicon.words("name_particles.txt") for w in words[:1] + words[-1:]):
        return False  # a lower-case particle neither starts nor ends a name ("Bin" may)
    if re.search(r"[A-Z][\w'’]+ (?:of|at) $", text[max(0, candidate.start - 40) : candidate.start]):
        return False  # "analyst Mike Powell of X": X is where the person works
    if is_chinese_name(words):
        return True
    if words[0] in lexicon.words("given_names.txt"):
        return True
    return _has_person_context(text, candidate)


def is_chinese_name(words: list[str]) -> bool:
    if len(words) != 2 or words[0] not in lexicon.words("chinese_surnames.txt"):
        return False
    return _is_pinyin(words[1].lower().replace("’", "'"))


def _is_pinyin(word: str) -> bool:
    """True when the word splits into pinyin syllables ("yuefeng", "min'er")."""
    syllables = lexicon.words("pinyin_syllables.txt")
    parts = word.replace("-", "'").split("'")

    def splits(rest: str) -> bool:
        if not rest:
            return True
        return any(
            rest[:n] in syllables and splits(rest[n:]) for n in range(min(6, len(rest)), 0, -1)
        )

    return all(part and splits(part) for part in parts)


def _has_person_context(text: str, candidate: Candidate) -> bool:
    before = text[max(0, candidate.start - 40) : candidate.start]
    after = text[candidate.end : candidate.end + 60]
    verbs = lexicon.alternation("speech_verbs.txt")
    title = lexicon.title_pattern()
    if re.search(rf"\b(?:{title}) $", before, re.IGNORECASE):
        return True
    if re.search(r"\b(?:Mr|Mrs|Ms|Dr|Prof)\.? $|\b(?:said|says|according to) $", before):
        return True
    if re.match(rf" (?:{verbs})\b", after):
        return True
    return bool(
        re.match(
            rf", (?:(?:a|an|the|also|another) )*(?:[\w'’]+ ){{0,3}}(?:{title})\b",
            after,
            re.IGNORECASE,
        )
    )


def demonym_governments(text: str, entities: Entities) -> None:
    """ "German economy minister Robert Habeck", "Li Qiang, the Chinese premier": the adjective
    names the country whose government the person serves."""
    demonyms = lexicon.demonyms()
    title = lexicon.title_pattern()
    # "Kenyan President Amara Wanjiku": a capitalized title counts as much as "the Italian
    # finance minister".
    adjective = rf"({'|'.join(demonyms)}) (?:[a-z]+ ){{0,2}}(?i:{title})"
    before_name = re.compile(rf"\b{adjective} $")
    in_apposition = re.compile(rf", (?:(?:the|a|an|also) )*{adjective}\b")
    for person in [m for m in entities.mentions if m.type == "person"]:
        before = text[max(0, person.start - 60) : person.start]
        found = before_name.search(before)
        offset = person.start - len(before)
        if not found:
            found = in_apposition.match(text, person.end)
            offset = 0
        if found:
            start = offset + found.start(1)
            country = lexicon.places()[demonyms[found.group(1)]]
            mention = Mention(
                start, start + len(found.group(1)), found.group(1), "place", country.name
            )
            entities.add(mention, country.kind, is_alias=False)


def _lowercase_head_orgs(text: str, entities: Entities) -> None:
    """ "the Hebei delegation": a place followed by a lower-case organization noun."""
    heads = lexicon.alternation("org_lowercase_heads.txt")
    for mention in [m for m in entities.mentions if m.type == "place"]:
        after = re.match(rf" ({heads})\b", text[mention.end : mention.end + 30])
        if after and mention.text == mention.name:
            name = f"{mention.name} {after.group(1)}"
            entities.mentions.remove(mention)
            entities.add(
                Mention(
                    mention.start, mention.end + len(after.group(0)), name, "organization", name
                ),
                "GovernmentOrganization",
            )


def _is_common_word(candidate: Candidate) -> bool:
    """A lone capitalized word opening a sentence is most often an ordinary word ("Analysts")."""
    return (
        candidate.sentence_initial
        and " " not in candidate.text
        and candidate.text.isalpha()
        and not candidate.text.isupper()
    )


def _defined_abbreviations(text: str, leftovers: list[Candidate], entities: Entities) -> None:
    """ "Office for Budget Responsibility (OBR)": the bracketed form names the same
    organization, and makes an unknown name with matching initials an organization."""
    orgs = {m.end: m for m in entities.mentions if m.type == "organization"}
    for candidate in leftovers:
        if " " in candidate.text and _ABBREVIATION_AFTER.match(text, candidate.end):
            abbreviation = _ABBREVIATION_AFTER.match(text, candidate.end).group(1)  # type: ignore[union-attr]
            if _initials_fit(abbreviation, candidate.text):
                mention = Mention(
                    candidate.start, candidate.end, candidate.text, "organization", candidate.text
                )
                entities.add(mention)
                orgs[mention.end] = mention
    for end, org in orgs.items():
        defined = _ABBREVIATION_AFTER.match(text, end)
        if defined:
            entities.aliases.setdefault(("organization", org.name), set()).add(defined.group(1))


_PRODUCT_AFTER = re.compile(r" (?:[A-Z]{1,3}\d{2,4}[a-z]*|[1-9]\d{2}) [a-z]")
_ABBREVIATION = re.compile(r"[A-Z][A-Za-z0-9&]{1,9}")
_ABBREVIATION_AFTER = re.compile(rf" \(({_ABBREVIATION.pattern})\)")


def _initials_fit(abbreviation: str, name: str) -> bool:
    """The abbreviation's capitals, in order, start words of the name ("DrKW" for Dresdner
    Kleinwort Wasserstein)."""
    capitals = [c for c in abbreviation if c.isupper()]
    initials = [w[0] for w in name.split(" ") if w[:1].isupper()]
    return (
        len(capitals) >= 2
        and capitals == initials[: len(capitals)]
        and len(capitals) == len(initials)
    )


def _contextual_orgs(text: str, leftovers: list[Candidate], entities: Entities) -> None:
    """Names an organization by position: "<title> <person> of X", "X's <title>"."""
    taken = {m.start for m in entities.mentions}
    title = lexicon.title_pattern()
    nouns = lexicon.alternation("org_common_nouns.txt")
    verbs = "|".join(sorted(lexicon.words("speech_verbs.txt") | {"reported", "posted", "expects"}))
    for candidate in leftovers:
        if candidate.start in taken or _is_common_word(candidate):
            continue
        before = text[max(0, candidate.start - 80) : candidate.start]
        after = text[candidate.end : candidate.end + 40]
        # Both patterns end in one of these words; searching for them first skips the titles'
        # alternation (about 0.4 ms a candidate) where they are not there, which is most places.
        near = _LAST_WORD_OF.search(before) is not None
        person_then_of = near and re.search(
            rf"(?:{title}) [A-Z][\w'’\- ]+ (?:of|at|from) $", before, re.IGNORECASE
        )
        staff_of = near and re.search(
            rf"\b(?:{title})s (?:at|from) $|\b[Ss]hares (?:in|of) $", before, re.I
        )
        owner_of_title = re.match(rf"['’]s (?:{title})\b", after, re.IGNORECASE)
        product = _PRODUCT_AFTER.match(after)  # "Airbus A321 aircraft", "Boeing 737 jets"
        described = re.match(rf", (?:the|a|an) (?:[\w-]+ ){{0,3}}(?:{nouns})\b", after)
        speaks_as_it = " " in candidate.text or not candidate.sentence_initial
        said_it = speaks_as_it and re.match(
            rf" (?:{verbs}) (?:on \w+ )?(?:that )?(?:it|its)\b", after
        )
        if person_then_of or staff_of or owner_of_title or described or said_it or product:
            entities.add(
                Mention(
                    candidate.start, candidate.end, candidate.text, "organization", candidate.text
                )
            )


_LAST_WORD_OF = re.compile(r" (?:of|at|from|in) $", re.IGNORECASE)


def link_short_mentions(text: str, sentences: list[Sentence], entities: Entities) -> None:
    """Link surnames, abbreviations and suffix-less place names to the entities named in full,
    and find the full names again wherever they stand unmentioned."""
    short: dict[str, tuple[str, str]] = {}
    for (type_, name), aliases in list(entities.aliases.items()):
        defined = [a for a in aliases if _ABBREVIATION.fullmatch(a)]
        for form in [name, *short_forms(type_, name), *defined]:
            short.setdefault(form, (type_, name))
    for abbr, full in lexicon.org_abbreviations().items():
        if ("organization", full) in entities.aliases:
            short.setdefault(abbr, ("organization", full))
    for sentence in sentences:
        for run in _SHORT_FORM.finditer(text[sentence.start : sentence.end]):
            words = [run] if _short_hit(short, run.group()) else _WORD.finditer(run.group())
            for word in words:
                start = sentence.start + run.start() + (word.start() if word is not run else 0)
                form = _POSSESSIVE.sub("", word.group())
                hit = _short_hit(short, form)
                if hit is not None:
                    type_, name = hit
                    entities.add(Mention(start, start + len(form), form, type_, name))
                    if (type_, name) in entities.aliases and form != name:
                        entities.aliases[type_, name].add(form)


def _short_hit(short: dict[str, tuple[str, str]], form: str) -> tuple[str, str] | None:
    form = nfc(_POSSESSIVE.sub("", form))  # the forms are NFC; the text may not be
    hit = short.get(form)
    if hit is None and ACRONYM.match(form) and form in lexicon.org_abbreviations():
        hit = ("organization", lexicon.org_abbreviations()[form])
    return hit


_SHORT_FORM = re.compile(rf"\b[{UPPER}][{LETTER}\w'’\-]*(?: [{UPPER}][{LETTER}\w'’\-]*)*")
_WORD = re.compile(rf"\b[{UPPER}][{LETTER}\w'’\-]*")


def _definite_heads(text: str, entities: Entities) -> None:
    """ "the Commission" after "the European Commission": the organization last named with
    that head word."""
    orgs = sorted((m for m in entities.mentions if m.type == "organization"), key=lambda m: m.start)
    for match in re.finditer(r"\b[Tt]he ([A-Z][a-z]+)\b(?! [A-Z])", text):
        head = match.group(1)
        if head not in lexicon.org_suffixes():
            continue
        earlier = [m for m in orgs if m.end <= match.start() and m.name.endswith(" " + head)]
        if earlier:
            name = earlier[-1].name
            entities.add(
                Mention(match.start(1), match.end(1), head, "organization", name), is_alias=False
            )


def short_forms(type_: str, name: str) -> list[str]:
    words = name.split(" ")
    if type_ == "person":
        if is_chinese_name(words):
            # "He" and "Yu" are also English words: such family names are no short form.
            return [] if words[0] in lexicon.words("function_words.txt") else [words[0]]
        particles = lexicon.words("name_particles.txt")
        first_particle = next(
            (i for i, w in enumerate(words[1:-1], 1) if w.lower() in particles), len(words) - 1
        )
        return [" ".join(words[first_particle:])]  # "Le Maire", "Van den Brul", "Eddington"
    if type_ == "organization":
        content = [w for w in words if w not in ("of", "the", "for", "and")]
        initials = "".join(w[0] for w in content if w[0].isupper())
        forms = [initials] if len(initials) >= 2 else []
        if len(words) > 1 and words[-1].rstrip(".") in lexicon.words("org_legal_suffixes.txt"):
            forms.append(" ".join(words[:-1]))  # "Tesla Inc" is "Tesla" later on
        return forms
    for suffix in lexicon.place_suffixes():
        if name.endswith(" " + suffix):
            return [name[: -len(suffix) - 1]]
    return []


def key_of(name: str) -> str:
    return slug(name)
