"""Posts: the roles people hold in organizations (or in a place's government).

Three shapes of English news carry them:

* an apposition after the name: "Ni Yuefeng, a deputy to the NPC and secretary of the X";
* a title before the name: "Guizhou governor Chen Min'er", "analyst Mike Powell of X";
* a copula or appointment verb: "Tang is also deputy secretary of X", "X was named governor of Y".

Each role phrase is "[determiners] [<org>('s)] <title> [of|to|at|for|in <org or place>]", and
coordinated phrases ("... and secretary of ...") each give a post.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from kg.extract import lexicon
from kg.extract.names import Mention

_DETERMINERS = re.compile(
    r"(?:(?:who|which)\s+(?:is|was|has\s+been|had\s+been|will\s+be|became|becomes|"
    r"will\s+become)\s+)?"
    r"(?:(?:a|an|the|also|another|both|its|his|her|currently|presently|formerly|now|new)\s+)*",
    re.I,
)
_COMPLEMENT = re.compile(r"\s+(?:of|to|at|for|in|with|from)\s+(?:the\s+)?")
_COORDINATION = re.compile(r"(?:,\s*|\s+)(?:and|as well as)\s+|,\s+(?=(?:a|an|also|another)\s)")
# "appointed X as", and the noun: "the appointment of X as", "X's appointment as" (below).
_APPOINTED_BEFORE = re.compile(
    r"\b(?:(?:appointed|named|elected|nominated|promoted|made)|"
    r"(?:appointment|nomination|election|promotion)\s+of)\s+$"
)
_APPOINTMENT_AFTER = re.compile(
    r"['’]s\s+(?:appointment|nomination|election|promotion)\s+(?:as|to)\s+"
)
_PRONOUN_SUBJECT = re.compile(r"(?:^|(?<=[.!?]\s)|(?<=\n))(?:He|She)\b")
_COPULA = re.compile(
    r"(?:,\s+\d{1,3},)?\s+"
    r"(?:is|was|has been|had been|will be|became|becomes|remains)?\s*(?:also\s+)?"
    r"(?:(?:previously\s+|formerly\s+)?(?:named|appointed|elected|promoted|re-elected|nominated|"
    r"served|serves|serving|works|worked)\s+(?:to\s+|as\s+)?(?:the\s+post\s+of\s+)?)?",
)


@dataclass(frozen=True)
class FoundPost:
    person: str  # canonical name
    role: str
    organization: Mention
    start: int
    end: int


def find_posts(text: str, mentions: list[Mention]) -> list[FoundPost]:
    by_start = {m.start: m for m in mentions}
    # Where names end together ("Standing Committee of the NPC" and the NPC in it), the
    # longest stands for the owner.
    by_end = {
        m.end: m
        for m in sorted(mentions, key=lambda m: -m.start)
        if m.type in ("organization", "place")
    }
    found: list[FoundPost] = []
    for mention in mentions:
        if mention.type != "person":
            continue
        found += _apposition(text, mention, by_start)
        found += _title_before(text, mention, by_start, mentions)
        found += _title_of_owner_before(text, mention, by_end)
        found += _copula(text, mention, by_start)
        found += _appointed(text, mention, by_start)
    for pronoun in _PRONOUN_SUBJECT.finditer(text):
        # "He is also deputy secretary of X": the person named last before the sentence.
        before = [m for m in mentions if m.type == "person" and m.end <= pronoun.start()]
        if before:
            stand_in = Mention(
                pronoun.start(), pronoun.end(), pronoun.group(), "person", before[-1].name
            )
            found += _copula(text, stand_in, by_start)
    return _unique(found)


def _apposition(text: str, person: Mention, by_start: dict[int, Mention]) -> list[FoundPost]:
    after = re.match(r",\s+(?:\d{1,3},\s+)?", text[person.end :])  # "Tang, 54, ..." skips the age
    if not after:
        return []
    found = _role_list(text, person, person.end + after.end(), by_start)
    # "A, deputy director of X B said": in a list of "title of org name", the title belongs to
    # the name right after it.
    found = [p for p in found if not _name_follows(text, p.end, by_start)]
    if found and text.startswith(",", found[-1].end):
        # "Yin Li, a member of X, has been appointed secretary of Y": the verb after the
        # apposition applies to the person too.
        closed = Mention(person.start, found[-1].end + 1, person.text, "person", person.name)
        found += _copula(text, closed, by_start)
    return found


def _name_follows(text: str, pos: int, by_start: dict[int, Mention]) -> bool:
    place = re.match(r"\s+in\s+(?:the\s+)?", text[pos : pos + 12])
    if place and (located := by_start.get(pos + place.end())) and located.type == "place":
        pos = located.end  # "... of the Office in the region Anna Berg"
    gap = re.match(r"\s+", text[pos : pos + 3])
    follower = by_start.get(pos + gap.end()) if gap else None
    return follower is not None and follower.type == "person"


def _appointed(text: str, person: Mention, by_start: dict[int, Mention]) -> list[FoundPost]:
    """ "The State Council appointed Zhu Hexin as chairman of CITIC Group"."""
    noun = _APPOINTMENT_AFTER.match(text, person.end)  # "Li's appointment as governor of X"
    if noun:
        return _role_list(text, person, noun.end(), by_start)
    if not _APPOINTED_BEFORE.search(text[max(0, person.start - 40) : person.start]):
        return []
    after = re.match(r"\s+(?:as|to)\s+", text[person.end :])
    return _role_list(text, person, person.end + after.end(), by_start) if after else []


def _copula(text: str, person: Mention, by_start: dict[int, Mention]) -> list[FoundPost]:
    verb = _COPULA.match(text, person.end)
    if not verb or verb.end() == person.end or not verb.group().strip():
        return []
    return _role_list(text, person, verb.end(), by_start)


def _role_list(
    text: str, person: Mention, pos: int, by_start: dict[int, Mention]
) -> list[FoundPost]:
    found: list[FoundPost] = []
    waiting: list[
        str
    ] = []  # roles whose organization comes later: "deputy governor and acting governor of X"
    while True:
        phrase = _role_phrase(text, pos, by_start)
        if phrase is None:
            return found
        role, organization, end = phrase
        if organization is None:
            waiting.append(role)
        else:
            for earlier in [*waiting, role]:
                found.append(FoundPost(person.name, earlier, organization, person.start, end))
            waiting = []
        more = _COORDINATION.match(text, end)
        if not more:
            return found
        pos = more.end()


def _role_phrase(
    text: str, pos: int, by_start: dict[int, Mention]
) -> tuple[str, Mention | None, int] | None:
    referring = _REFERRING_OWNER.match(text, pos)
    if referring:
        # "its chief executive", "the company's chairman": the organization the article is about.
        organizations = [m for m in by_start.values() if m.type == "organization"]
        owner = _most_named(sorted(organizations, key=lambda m: m.start))
        pos = referring.end()
    else:
        pos = _DETERMINERS.match(text, pos).end()  # type: ignore[union-attr]
        owner = _org_at(pos, by_start)
        if owner is not None:
            pos = owner.end
            possessive = re.match(r"['’]s\s+|\s+", text[pos:])
            if not possessive:
                return None
            pos += possessive.end()
    title = _title_at(text, pos)
    if title is None:
        return None
    role, end = title
    field = re.match(r"\s+of\s+[a-z][a-z ]*?(?=\s+(?:at|in|with)\s)", text[end:])
    if field:
        end += field.end()  # "professor of economics at X": the field is part of the title
    complement = _COMPLEMENT.match(text, end)
    if complement:
        target = _described_org_at(text, complement.end(), by_start)
        if target is not None:
            end = target.end
            if owner is None or complement.group().strip().startswith(("of", "to", "at")):
                owner = owner or target
    return role, owner, end


def _title_before(
    text: str, person: Mention, by_start: dict[int, Mention], mentions: list[Mention]
) -> list[FoundPost]:
    """ "BA chairman Martin Broughton", "analyst Mike Powell of Dresdner Kleinwort Wasserstein";
    "Chief executive Anna Berg", "President Wanjiku": the organization or country the
    article is about."""
    before = text[max(0, person.start - 120) : person.start]
    title = re.search(rf"\b({lexicon.title_pattern()})\s+$", before, re.I)
    if not title:
        return []
    role = role_of(title.group(1))
    title_start = person.start - len(before) + title.start(1)
    owner = _org_ending_at(text, title_start, by_start)
    start = owner.start if owner else title_start
    end = person.end
    after = re.match(r"\s+(?:of|at|from)\s+(?:the\s+)?", text[person.end :])
    if owner is None and after:
        owner = _org_at(person.end + after.end(), by_start)
        end = owner.end if owner else end
    if owner is None:
        owner = _owner_in_context(role, title.group(1), mentions)
    if owner is None:
        return []
    return [FoundPost(person.name, role, owner, start, end)]


def _owner_in_context(role: str, title: str, mentions: list[Mention]) -> Mention | None:
    """Whom a title with no organization beside it serves: a capitalized national office
    ("President", "Finance Minister") the country the article names most, a company office
    ("chief executive") the organization it names most."""
    if role in lexicon.words("national_roles.txt") and title[:1].isupper():
        countries = [
            m
            for m in mentions
            if m.type == "place" and (entry := lexicon.place(m.name)) and entry.kind == "Country"
        ]
        return _most_named(countries)
    if role in lexicon.words("company_roles.txt"):
        return _most_named([m for m in mentions if m.type == "organization"])
    return None


def _most_named(mentions: list[Mention]) -> Mention | None:
    """The first mention of the entity mentioned most often (the first named, on a tie)."""
    counts = Counter(m.name for m in mentions)
    if not counts:
        return None
    top = max(counts.values())
    return next(m for m in mentions if counts[m.name] == top)


_OWNER_TO_PERSON = re.compile(r"(?:\s*\([^()\n]{1,15}\))?,?\s+(?:(?:Mr|Mrs|Ms|Dr|Prof)\.?\s+)?$")


def _title_of_owner_before(
    text: str, person: Mention, by_end: dict[int, Mention]
) -> list[FoundPost]:
    """ "Governor of the Bank of Kenya (CBK), Dr Amara Wanjiku", "Chief Executive of the Region
    Anna Berg": title, owner, then the name."""
    gap = _OWNER_TO_PERSON.search(text[max(0, person.start - 30) : person.start])
    owner = by_end.get(person.start - len(gap.group())) if gap else None
    if owner is None:
        return []
    owner = _owner_before_locative(text, owner, by_end)
    title = re.search(
        rf"\b({lexicon.title_pattern()})\s+(?:of|at|for)\s+(?:the\s+)?$",
        text[max(0, owner.start - 80) : owner.start],
        re.I,
    )
    if title is None:
        return []
    start = owner.start - len(text[max(0, owner.start - 80) : owner.start]) + title.start(1)
    return [FoundPost(person.name, role_of(title.group(1)), owner, start, person.end)]


def _owner_before_locative(text: str, owner: Mention, by_end: dict[int, Mention]) -> Mention:
    """ "the Liaison Office ... in the region": the office, not the place it is in."""
    locative = re.search(r"\s+in\s+(?:the\s+)?$", text[max(0, owner.start - 10) : owner.start])
    if owner.type == "place" and locative:
        office = by_end.get(owner.start - len(locative.group()))
        if office is not None and office.type == "organization":
            return office
    return owner


def _org_ending_at(text: str, pos: int, by_start: dict[int, Mention]) -> Mention | None:
    """The organization or place right before a title: "BA chairman", "Guizhou's governor"."""
    gap = re.search(r"(?:['’]s)?\s+(?:[a-z]+\s+){0,2}$", text[max(0, pos - 40) : pos])
    if not gap:
        return None
    end = pos - len(gap.group())
    return next(
        (m for m in by_start.values() if m.end == end and m.type in ("organization", "place")),
        None,
    )


def _described_org_at(text: str, pos: int, by_start: dict[int, Mention]) -> Mention | None:
    """The organization at `pos`, also after a description: "chief executive of IT
    outsourcing giant Acme Services", "head of oil firm X"."""
    found = _org_at(pos, by_start)
    if found is None:
        described = _DESCRIPTION.match(text, pos)
        found = _org_at(described.end(), by_start) if described else None
    return found


_REFERRING_OWNER = re.compile(
    rf"(?:(?:who|which)\s+(?:is|was)\s+)?(?:(?:also|currently|now|then|formerly)\s+)?"
    rf"(?:its|the\s+(?:{lexicon.alternation('org_common_nouns.txt')})['’]s)\s+",
    re.I,
)
_DESCRIPTION = re.compile(
    rf"(?:[\w-]+\s+){{0,3}}(?:{lexicon.alternation('org_common_nouns.txt')})\s+"
)


def _org_at(pos: int, by_start: dict[int, Mention]) -> Mention | None:
    mention = by_start.get(pos)
    if mention is not None and mention.type in ("organization", "place"):
        return mention
    return None


def _title_at(text: str, pos: int) -> tuple[str, int] | None:
    dropped = lexicon.alternation("title_dropped.txt")
    match = re.compile(rf"(?:(?:{dropped})\s+)*({lexicon.title_pattern()})\b(?![-'’])", re.I).match(
        text, pos
    )
    if not match:
        return None
    return role_of(match.group(1)), match.end()


def role_of(title: str) -> str:
    """The role for a title phrase: the table's role of its head, with kept modifiers."""
    phrase = re.sub(r"\s+", " ", title.lower())
    table = lexicon.titles()
    if phrase in table:
        return table[phrase]
    if phrase.replace(" ", "-") in table:
        return table[phrase.replace(" ", "-")]
    words = re.split(r"([ -])", phrase)
    for i in range(2, len(words), 2):
        head = "".join(words[i:])
        if head in table:
            return "".join(words[:i]) + table[head]
    return phrase


def _unique(posts: list[FoundPost]) -> list[FoundPost]:
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for post in sorted(posts, key=lambda p: (p.start, p.end)):
        ident = (post.person, post.role, post.organization.name)
        if ident not in seen:
            seen.add(ident)
            unique.append(post)
    return unique
