"""The value generators a schema field names (``int``, ``choice``, ``pool``, ``timestamp``,
``pattern``, ...), each compiled over a seeded :class:`random.Random`, and the id pools every
schema shares."""

from __future__ import annotations

import itertools
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ksqlpy._errors import DatagenSchemaError

from . import _words as words


class Context:
    """What a generator may know about the record being made: its index and "now"."""

    __slots__ = ("index", "now_ms")

    def __init__(self, index: int = 0, now_ms: int = 0) -> None:
        self.index = index
        self.now_ms = now_ms


Gen = Callable[[Context], Any]
Pools = Mapping[str, tuple[Any, ...]]

# Pools every schema can use: the same names give the same ids in every topic, so users,
# pageviews, stock_trades and transactions join on userid like kafka-connect-datagen's data.
BUILTIN_POOLS: dict[str, dict[str, Any]] = {
    "user": {"pattern": "User_{n}", "start": 1, "size": 9},
    "page": {"pattern": "Page_{n}", "start": 1, "size": 99},
    "region": {"pattern": "Region_{n}", "start": 1, "size": 9},
    "item": {"pattern": "Item_{n}", "start": 1, "size": 999},
    "store": {"pattern": "Store_{n}", "start": 1, "size": 7},
}

_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION = re.compile(r"\s*([+-]?\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*")
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class _Params:
    """Typed, checked access to a field's parameters; errors name the schema and the field."""

    def __init__(self, raw: Mapping[str, Any], where: str) -> None:
        self.raw = raw
        self.where = where
        self.used: set[str] = set()

    def error(self, message: str) -> DatagenSchemaError:
        return DatagenSchemaError(f"{self.where}: {message}")

    def get(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return self.raw.get(key, default)

    def number(self, key: str, default: float | None = None) -> float:
        value = self.get(key, default)
        if value is None:
            raise self.error(f"'{key}' is required")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"'{key}' must be a number, not {value!r}")
        return float(value)

    def integer(self, key: str, default: int | None = None) -> int:
        value = self.get(key, default)
        if value is None:
            raise self.error(f"'{key}' is required")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"'{key}' must be an integer, not {value!r}")
        return value

    def text(self, key: str, default: str | None = None) -> str:
        value = self.get(key, default)
        if not isinstance(value, str):
            raise self.error(f"'{key}' must be a string, not {value!r}")
        return value

    def bounds(self, low: str, high: str, *, integer: bool) -> tuple[float, float]:
        read = self.integer if integer else self.number
        lo, hi = read(low), read(high)
        if lo > hi:
            raise self.error(f"'{low}' ({lo:g}) is larger than '{high}' ({hi:g})")
        return lo, hi

    def duration_ms(self, value: Any, key: str) -> int:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, str):
            match = _DURATION.fullmatch(value)
            if match:
                return int(float(match.group(1)) * _UNIT_MS[match.group(2) or "ms"])
        raise self.error(f"'{key}' must be milliseconds or a duration like '-1h', '30m', '2d'")


# random.choice and random.randint are Python-level and cost ~0.5 us each; indexing with
# random() is ~5x cheaper, stays seeded, and is uniform to within 2**-53 for these sizes.
def _fast_choice(rng: random.Random) -> Callable[[Sequence[Any]], Any]:
    rand = rng.random
    return lambda seq: seq[int(rand() * len(seq))]


def _fast_randint(rng: random.Random) -> Callable[[int, int], int]:
    rand, exact = rng.random, rng.randint
    return lambda a, b: a + int(rand() * (b - a + 1)) if b - a < 2**52 else exact(a, b)


@dataclass(frozen=True, slots=True)
class GenDef:
    """A generator kind: how to build it, its parameters and the KSQL type of its values."""

    build: Callable[[_Params, random.Random, Pools], Gen]
    params: frozenset[str]
    ksql_type: str | None  # None: depends on the parameters (choice, const, struct, array...)
    doc: str


def _int_type(lo: float, hi: float) -> str:
    return "INT" if lo >= -(2**31) and hi < 2**31 else "BIGINT"


def _b_sequence(p: _Params, rng: random.Random, pools: Pools) -> Gen:
    start, step = p.integer("start", 0), p.integer("step", 1)
    return lambda ctx: start + ctx.index * step


def _b_int(p: _Params, rng: random.Random, pools: Pools) -> Gen:
    lo, hi = p.bounds("min", "max", integer=True)
    a, b = int(lo), int(hi)
    if b - a >= 2**52:
        exact = rng.randint
        return lambda ctx: exact(a, b)
    rand, span = rng.random, b - a + 1
    return lambda ctx: a + int(rand() * span)


def _b_float(p: _Params, rng: random.Random, pools: Pools) -> Gen:
    lo, hi = p.bounds("min", "max", integer=False)
    digits = p.integer("decimals", 2)
    uniform = rng.uniform
    return lambda ctx: round(uniform(lo, hi), digits)


def _b_bool(p: _Params, rng: random.Random, pools: Pools) -> Gen:
    chance = p.number("probability", 0.5)
    if not 0 <= chance <= 1:
        raise p.error("'probability' must be between 0 and 1")
    rand = rng.random
    return lambda ctx: rand() < chance


def _options(p: _Params) -> tuple[Any, ...]:
    options = p.get("options")
    if not isinstance(options, list) or not options:
        raise p.error("'options' must be a non-empty list")
    kinds = {_value_type(o) for o in options}
    if len(kinds) > 1:
        raise p.error(f"'options' mixes types {sorted(kinds)}; use values of one type")
    return tuple(options)


def _b_choice(p: _Params, rng: random.Random, pools: Pools) -> Gen:
    options = _options(p)
    weights = p.get("weights")
    if weights is None:
        rand, n = rng.random, len(options)
        return lambda ctx: options[int(rand() * n)]
    if (
        not isinstance(weights, list)
        or len(weights) != len(options)
        or not all(
            isinstance(w, int | float) and not isinstance(w, bool) and w >= 0 for w in weights
        )
        or not sum(weights)
    ):
        raise p.error(f"'weights' must be {len(options)} non-negative numbers, not all zero")
    choices, cum = rng.choices, list(itertools.accumulate(weights))
    return lambda ctx: choices(options, cum_weights=cum)[0]


def _pool(p: _Params, pools: Pools) -> tuple[Any, ...]:
    name = p.text("pool")
    if name not in pools:
        raise p.error(f"unknown pool '{name}'; known pools: {', '.join(sorted(pools))}")
    return pools[name]


def _b_pool(p: _Params, rng: random.Random, pools: Pools) -> Gen:
    ids = _pool(p, pools)
    pick = p.text("pick", "random")
    if pick == "sequence":
        n = len(ids)
        return lambda ctx: ids[ctx.index % n]
    if pick != "random":
        raise p.error("'pick' must be 'random' or 'sequence'")
    rand, size = rng.random, len(ids)
    return lambda ctx: ids[int(rand() * size)]


def _b_const(p: _Params, rng: random.Random, pools: Pools) -> Gen:
    value = p.get("value")
    return lambda ctx: value


# Version 4 and the RFC 4122 variant, as uuid.UUID(int=n, version=4) sets them (but 3x faster).
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def _b_uuid(p: _Params, rng: random.Random, pools: Pools) -> Gen:
    bits = rng.getrandbits

    def make(ctx: Context) -> str:
        h = f"{(bits(128) & _UUID_CLEAR) | _UUID_SET:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    return make


def _simple(make: Callable[[random.Random], Gen]) -> Callable[[_Params, random.Random, Pools], Gen]:
    return lambda p, rng, pools: make(rng)


def _name(rng: random.Random) -> Gen:
    rand, first, last = rng.random, words.FIRST_NAMES, words.LAST_NAMES
    nf, nl = len(first), len(last)
    return lambda ctx: f"{first[int(rand() * nf)]} {last[int(rand() * nl)]}"


def _email(rng: random.Random) -> Gen:
    choice, randint = _fast_choice(rng), _fast_randint(rng)
    return lambda ctx: (
        f"{choice(words.FIRST_NAMES).lower()}.{choice(words.LAST_NAMES).lower()}"
        f"{randint(1, 99)}@{choice(words.EMAIL_DOMAINS)}"
    )


def _phone(rng: random.Random) -> Gen:
    randint = _fast_randint(rng)
    return lambda ctx: f"+1-{randint(200, 999)}-555-{randint(0, 9999):04d}"


def _ip(rng: random.Random) -> Gen:
    randint = _fast_randint(rng)
    return lambda ctx: f"{randint(1, 223)}.{randint(0, 255)}.{randint(0, 255)}.{randint(1, 254)}"


def _street(rng: random.Random) -> Gen:
    choice, randint = _fast_choice(rng), _fast_randint(rng)
    return lambda ctx: (
        f"{randint(1, 9999)} {choice(words.STREET_NAMES)} {choice(words.STREET_KINDS)}"
    )


def _pick(pool: Sequence[Any], index: int | None = None) -> Callable[[random.Random], Gen]:
    def make(rng: random.Random) -> Gen:
        rand, n = rng.random, len(pool)
        if index is None:
            return lambda ctx: pool[int(rand() * n)]
        return lambda ctx: pool[int(rand() * n)][index]

    return make


def _b_sentence(p: _Params, rng: random.Random, pools: Pools) -> Gen:
    lo, hi = p.bounds("min_words", "max_words", integer=True) if "min_words" in p.raw else (6, 14)
    choices, randint, a, b = rng.choices, rng.randint, int(lo), int(hi)
    return lambda ctx: " ".join(choices(words.WORDS, k=randint(a, b))).capitalize() + "."


def _b_text(p: _Params, rng: random.Random, pools: Pools) -> Gen:
    length = p.integer("length")
    if length < 0:
        raise p.error("'length' must be 0 or more")
    # Drawing ~length/6 words per record costs ~15 us for 1 KB: instead, one seeded block of
    # words is made up front and each record takes a slice of it at a random offset.
    block = " ".join(rng.choices(words.WORDS, k=max(64, length // 2)))
    while len(block) < 4 * length + 64:
        block += " " + block
    rand, room = rng.random, len(block) - length
    return lambda ctx: block[(start := int(rand() * room)) : start + length]


def _b_timestamp(p: _Params, rng: random.Random, pools: Pools) -> Gen:
    offset = p.get("offset", [0, 0])
    if not isinstance(offset, list) or len(offset) != 2:
        raise p.error("'offset' must be [low, high], e.g. ['-1h', '0'] (relative to now)")
    lo, hi = (p.duration_ms(v, "offset") for v in offset)
    if lo > hi:
        raise p.error(f"'offset' low ({lo} ms) is larger than high ({hi} ms)")
    fmt = p.get("format")
    randint = _fast_randint(rng)
    if fmt is None:
        return lambda ctx: ctx.now_ms + randint(lo, hi)
    if not isinstance(fmt, str):
        raise p.error("'format' must be a strftime string such as '%Y-%m-%dT%H:%M:%SZ'")
    gmtime, strftime = time.gmtime, time.strftime
    return lambda ctx: strftime(fmt, gmtime((ctx.now_ms + randint(lo, hi)) / 1000))


_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([^}]*))?\}")


def _b_pattern(p: _Params, rng: random.Random, pools: Pools) -> Gen:
    template = p.text("pattern")
    parts: list[str | Gen] = []
    pos = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(template[pos : match.start()])
        kind, arg = match.group(1), match.group(2)
        parts.append(_placeholder(p, rng, pools, kind, arg))
        pos = match.end()
    parts.append(template[pos:])
    pieces = [x for x in parts if x != ""]
    if all(isinstance(x, str) for x in pieces):
        fixed = "".join(str(x) for x in pieces)
        return lambda ctx: fixed
    if len(pieces) == 2 and isinstance(pieces[0], str) and not isinstance(pieces[1], str):
        prefix, gen = pieces[0], pieces[1]
        return lambda ctx: f"{prefix}{gen(ctx)}"
    return lambda ctx: "".join(x if isinstance(x, str) else str(x(ctx)) for x in pieces)


def _placeholder(p: _Params, rng: random.Random, pools: Pools, kind: str, arg: str | None) -> Gen:
    randint = _fast_randint(rng)
    if kind == "int":
        try:
            lo, hi = (int(x) for x in (arg or "").split(":"))
        except ValueError:
            raise p.error("'{int:MIN:MAX}' needs two integers, e.g. {int:1:9}") from None
        if lo > hi:
            raise p.error(f"'{{int:{arg}}}': {lo} is larger than {hi}")
        return lambda ctx: randint(lo, hi)
    if kind in ("digits", "letters", "hex"):
        try:
            n = int(arg or "1")
        except ValueError:
            raise p.error(f"'{{{kind}:N}}' needs a count") from None
        alphabet = {"digits": "0123456789", "letters": "abcdefghijklmnopqrstuvwxyz"}.get(
            kind, "0123456789abcdef"
        )
        choices = rng.choices
        return lambda ctx: "".join(choices(alphabet, k=n))
    if kind == "seq":
        start = int(arg or "0")
        return lambda ctx: start + ctx.index
    if kind == "pool":
        ids = _pool(_Params({"pool": arg}, p.where), pools)
        choice = _fast_choice(rng)
        return lambda ctx: choice(ids)
    gen_def = GENERATORS.get(kind)
    if gen_def is None or gen_def.params:
        raise p.error(
            f"unknown placeholder '{{{kind}}}'; use {{int:MIN:MAX}}, {{digits:N}}, {{letters:N}}, "
            "{hex:N}, {seq}, {pool:NAME} or a generator without parameters such as {first_name}"
        )
    return gen_def.build(_Params({}, p.where), rng, pools)


GENERATORS: dict[str, GenDef] = {
    "sequence": GenDef(_b_sequence, frozenset({"start", "step"}), "BIGINT", "start + index*step"),
    "int": GenDef(_b_int, frozenset({"min", "max"}), None, "uniform integer in [min, max]"),
    "float": GenDef(
        _b_float, frozenset({"min", "max", "decimals"}), "DOUBLE", "uniform in [min, max]"
    ),
    "bool": GenDef(_b_bool, frozenset({"probability"}), "BOOLEAN", "true with a probability"),
    "choice": GenDef(_b_choice, frozenset({"options", "weights"}), None, "one of the options"),
    "pool": GenDef(_b_pool, frozenset({"pool", "pick"}), None, "an id of a shared pool"),
    "const": GenDef(_b_const, frozenset({"value"}), None, "always the same value"),
    "pattern": GenDef(_b_pattern, frozenset({"pattern"}), "STRING", "e.g. 'User_{int:1:9}'"),
    "timestamp": GenDef(
        _b_timestamp, frozenset({"offset", "format"}), None, "now + offset (ms or formatted)"
    ),
    "uuid": GenDef(_b_uuid, frozenset(), "STRING", "a random UUID (seeded)"),
    "name": GenDef(_simple(_name), frozenset(), "STRING", "first and last name"),
    "first_name": GenDef(_simple(_pick(words.FIRST_NAMES)), frozenset(), "STRING", "a first name"),
    "last_name": GenDef(_simple(_pick(words.LAST_NAMES)), frozenset(), "STRING", "a last name"),
    "title": GenDef(_simple(_pick(words.JOB_TITLES)), frozenset(), "STRING", "a job title"),
    "email": GenDef(_simple(_email), frozenset(), "STRING", "an e-mail address"),
    "phone": GenDef(_simple(_phone), frozenset(), "STRING", "a phone number"),
    "company": GenDef(_simple(_pick(words.COMPANIES)), frozenset(), "STRING", "a company"),
    "city": GenDef(_simple(_pick(words.CITIES, 0)), frozenset(), "STRING", "a city"),
    "country": GenDef(_simple(_pick(words.CITIES, 1)), frozenset(), "STRING", "a country"),
    "state": GenDef(_simple(_pick(words.STATES)), frozenset(), "STRING", "a US state"),
    "street": GenDef(_simple(_street), frozenset(), "STRING", "a street address"),
    "ip": GenDef(_simple(_ip), frozenset(), "STRING", "an IPv4 address"),
    "user_agent": GenDef(_simple(_pick(words.USER_AGENTS)), frozenset(), "STRING", "a browser"),
    "word": GenDef(_simple(_pick(words.WORDS)), frozenset(), "STRING", "a word"),
    "sentence": GenDef(
        _b_sentence, frozenset({"min_words", "max_words"}), "STRING", "a sentence of words"
    ),
    "text": GenDef(_b_text, frozenset({"length"}), "STRING", "text of exactly 'length' chars"),
    "struct": GenDef(lambda p, r, pl: lambda ctx: None, frozenset({"fields"}), None, "nested"),
    "array": GenDef(
        lambda p, r, pl: lambda ctx: None,
        frozenset({"items", "min_items", "max_items"}),
        None,
        "a list",
    ),
}


def _value_type(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return _int_type(value, value)
    if isinstance(value, float):
        return "DOUBLE"
    return "STRING"
