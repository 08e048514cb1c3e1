"""Render a template once per shape: which parts of a message's context decide its words, which are only printed.

Rendering prints every value as a numbered token and fills the values in last (see templates.py), so clients
whose templates take the same branches get the same tokenised text. Reading a template's syntax tree tells the
two kinds of use apart:

- a *printed* path, `{{ client.first_name }}` or `{{ visit.day }}`, that appears nowhere else: its value never
  changes the tokenised text, only what fills one token;
- every other use (an `if`, a comparison, a filter, a loop): its value is part of the shape's key. For a bare
  `{% if path %}` only the value's truth is.

A shape is rendered once with each printed path's value replaced by a `Slot`; later messages with the same key
only fill in their own printed values. A template using anything this reading cannot vouch for (calls, macros,
imports, `extends`, includes by variable, the random filter) is rendered in full every time, as is a context
whose printed values are not plain strings or numbers.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Callable, Iterable, Mapping, Sequence

from jinja2 import Environment, TemplateError, nodes
from markupsafe import Markup

Path = tuple  # a context name, then attribute names and constant subscripts: ("client", "first_name")
Produce = Callable[[dict], tuple[Any, list]]  # a render: (tokenised outputs, the printed values by token)

PRINTED, TRUTH, VALUE, ITERATED = "printed", "truth", "value", "iterated"
MAX_SHAPES = 512
# A template whose keys rarely repeat (a value printed in a loop, say) stops being shared after this many tries.
TRIAL_RENDERS = 200

_MISSING = object()
_SPECIAL_NAMES = frozenset({"self", "super", "caller", "varargs", "kwargs", "loop"})
_IMPURE_FILTERS = frozenset({"random", "shuffle"})
_EXPRESSIONS = (
    nodes.BinExpr,
    nodes.UnaryExpr,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
    nodes.CondExpr,
    nodes.Tuple,
    nodes.List,
    nodes.Dict,
    nodes.Pair,
    nodes.Slice,
    nodes.Keyword,
    nodes.Filter,
    nodes.Test,
    nodes.Getattr,
    nodes.Getitem,
    nodes.MarkSafe,
    nodes.MarkSafeIfAutoescape,
)
_SCALARS = (str, int, float, bool, type(None), date, datetime, time, timedelta)


class Slot:
    """Stands for the index-th printed value while a shape renders; as true or false as that value (the key
    holds its truth where a condition reads it)."""

    __slots__ = ("index", "truth")

    def __init__(self, index: int, truth: bool) -> None:
        self.index = index
        self.truth = truth

    def __bool__(self) -> bool:
        return self.truth


class Unshareable(Exception):
    """The template does something whose output this module cannot tie to its key."""


class _Each:
    """In a path, any element of a sequence that a loop runs over: `answer.url` in `{% for answer in answers %}`
    is ("answers", EACH, "url")."""

    def __repr__(self) -> str:
        return "EACH"


EACH = _Each()


@dataclass(frozen=True)
class Uses:
    printed: tuple[Path, ...]
    truths: tuple[Path, ...]
    values: tuple[Path, ...]
    iterated: tuple[Path, ...]  # sequences a loop runs over: the key holds their lengths
    local_names: frozenset[str]


def read_uses(environment: Environment, templates: Iterable[str], derived: Iterable[str] = ()) -> Uses:
    """How `templates`, rendered with one context, use it. `derived` names are set by the renderer from the
    other templates' output, so the rest of the key decides them. Raises Unshareable."""
    templates = tuple(templates)
    reader = _Reader(environment, templates)
    if reader.escaped:  # a loop variable read outside its loop: key those loops' sequences whole
        reader = _Reader(environment, templates, unaliased=frozenset(reader.escaped))
    return reader.uses(frozenset(derived))


class _Reader:
    def __init__(
        self, environment: Environment, templates: tuple[str, ...], unaliased: frozenset[str] = frozenset()
    ) -> None:
        self.environment = environment
        self.trees: dict[str, nodes.Template] = {}
        for name in templates:
            self._load(name)
        stores = Counter(
            node.name
            for tree in self.trees.values()
            for node in tree.find_all(nodes.Name)
            if node.ctx in ("store", "param")
        )
        self.local_names = set(stores)
        if any(True for tree in self.trees.values() for _ in tree.find_all(nodes.For)):
            self.local_names.add("loop")
        # A loop variable stands for the sequence's elements only where nothing else assigns that name.
        self.aliasable = {name for name, count in stores.items() if count == 1} - unaliased
        self.aliases: dict[str, Path] = {}
        self.escaped: set[str] = set()
        self.seen: set[tuple[Path, str]] = set()
        self.including: list[str] = []
        for name in templates:
            self.template(name)

    def _load(self, name: str) -> None:
        if name in self.trees:
            return
        if self.environment.loader is None:
            raise Unshareable("the environment has no template loader")
        try:
            source, filename, _ = self.environment.loader.get_source(self.environment, name)
            self.trees[name] = tree = self.environment.parse(source, name, filename)
        except TemplateError as exc:
            raise Unshareable(str(exc)) from None
        for include in tree.find_all(nodes.Include):
            if isinstance(include.template, nodes.Const) and isinstance(include.template.value, str):
                self._load(include.template.value)

    def template(self, name: str) -> None:
        """Read where it is included, so a loop around the include covers it too."""
        if name in self.including:
            raise Unshareable(f"{name} includes itself")
        self.including.append(name)
        self.statements(self.trees[name].body)
        self.including.pop()

    def statements(self, body: Sequence[nodes.Node]) -> None:
        for node in body:
            if isinstance(node, nodes.Output):
                for child in node.nodes:
                    if not isinstance(child, nodes.TemplateData):
                        self.expression(child, PRINTED)
            elif isinstance(node, nodes.If):
                self.expression(node.test, TRUTH)
                for branch in (node.body, node.elif_, node.else_):
                    self.statements(branch)
            elif isinstance(node, nodes.For) and not node.recursive:
                self.loop(node)
            elif isinstance(node, nodes.Block):
                self.statements(node.body)
            elif isinstance(node, nodes.Assign):
                self.expression(node.node, VALUE)
            elif (
                isinstance(node, nodes.Include)
                and isinstance(node.template, nodes.Const)
                and isinstance(node.template.value, str)
                and node.with_context
                and not node.ignore_missing
            ):
                self.template(node.template.value)
            else:
                raise Unshareable(type(node).__name__)

    def loop(self, node: nodes.For) -> None:
        sequence = self._path(node.iter)
        target = node.target.name if isinstance(node.target, nodes.Name) else None
        if sequence is None or target not in self.aliasable:
            self.expression(node.iter, VALUE)  # the whole sequence decides the loop's output
            if node.test is not None:
                self.expression(node.test, VALUE)
            self.statements(node.body)
        else:
            self.seen.add((sequence, ITERATED))
            self.aliases[target] = (*sequence, EACH)
            if node.test is not None:
                self.expression(node.test, VALUE)
            self.statements(node.body)
            del self.aliases[target]
        self.statements(node.else_)

    def expression(self, node: nodes.Node, role: str) -> None:
        path = self._path(node)
        if path is not None:
            self.seen.add((path, role))
        elif isinstance(node, (nodes.Const, nodes.TemplateData)):
            pass
        elif role == TRUTH and isinstance(node, (nodes.And, nodes.Or, nodes.Not)):
            for child in node.iter_child_nodes():
                self.expression(child, TRUTH)
        elif isinstance(node, nodes.Filter) and node.name in _IMPURE_FILTERS:
            raise Unshareable(f"filter {node.name}")
        elif isinstance(node, nodes.CondExpr):
            self.expression(node.test, TRUTH)
            for branch in (node.expr1, node.expr2):
                if branch is not None:
                    self.expression(branch, VALUE)
        elif isinstance(node, _EXPRESSIONS) and not (isinstance(node, nodes.Filter) and node.node is None):
            for child in node.iter_child_nodes():
                self.expression(child, VALUE)
        else:
            raise Unshareable(type(node).__name__)

    def _path(self, node: nodes.Node) -> Path | None:
        if isinstance(node, nodes.Name):
            if node.name in self.aliases:
                return self.aliases[node.name]
            if node.name in self.aliasable:
                self.escaped.add(node.name)
            return (node.name,)
        if isinstance(node, nodes.Getattr):
            base = self._path(node.node)
            return None if base is None else (*base, node.attr)
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and type(node.arg.value) in (str, int):
            base = self._path(node.node)
            return None if base is None else (*base, node.arg.value)
        return None

    def uses(self, derived: frozenset[str]) -> Uses:
        seen = {(path, role) for path, role in self.seen if path[0] not in self.local_names | derived}
        special = {path[0] for path, _ in seen} & _SPECIAL_NAMES
        if special:
            raise Unshareable(f"uses {', '.join(sorted(special))}")
        # A printed path is a slot unless something else reads it, a part of it, or something inside it. A
        # condition on it or on a part of it is no obstacle (the key holds the truth, and so does the Slot), nor
        # a loop over a part of it (the key holds the length).
        printed = {
            path
            for path, role in seen
            if role == PRINTED
            and not any(_related(path, other) and not _harmless(path, other, other_role) for other, other_role in seen)
        }
        values = {path for path, role in seen if role == VALUE or (role == PRINTED and path not in printed)}
        return Uses(
            _sorted(printed),
            _sorted({path for path, role in seen if role == TRUTH}),
            _sorted(values),
            _sorted({path for path, role in seen if role == ITERATED}),
            frozenset(self.local_names),
        )


def _harmless(printed: Path, other: Path, role: str) -> bool:
    return (
        (role == PRINTED and other == printed)
        or (role == TRUTH and len(other) <= len(printed))
        or (role == ITERATED and len(other) < len(printed))
    )


def _related(path: Path, other: Path) -> bool:
    """One path reaches into or through the other (an element of a sequence may be any of them)."""
    return all(part == other_part or EACH in (part, other_part) for part, other_part in zip(path, other, strict=False))


def _sorted(paths: set[Path]) -> tuple[Path, ...]:
    return tuple(sorted(paths, key=repr))


@dataclass
class Found:
    key: tuple
    printed: list[Path]  # each printed path, every loop's elements spelled out
    values: list[Any]  # their values, _MISSING where the context has none


def shape_key(environment: Environment, uses: Uses, context: Mapping[str, Any]) -> Found | None:
    """The key of the shape `context` gives, and its printed paths and values in slot order; None when it cannot
    be shared (a name the template assigns is in the context too, a condition undefined, a looped-over value not
    a list, a printed value not a plain string or number)."""
    if not uses.local_names.isdisjoint(context):
        return None
    key: list[Any] = []
    found = Found((), [], [])
    for role, paths in ((ITERATED, uses.iterated), (VALUE, uses.values), (TRUTH, uses.truths), (PRINTED, uses.printed)):
        for path in paths:
            spelled = _spelled_out(environment, context, path)
            if spelled is None:
                return None
            for concrete, value in spelled:
                if role == ITERATED:
                    if type(value) not in (tuple, list):
                        return None
                    key.append(len(value))
                elif role == VALUE:
                    key.append(_freeze(value))
                    if key[-1] is None:
                        return None
                elif role == TRUTH:
                    if value is _MISSING:
                        return None  # the full render says what an undefined condition means
                    key.append(bool(value))
                else:
                    if value is _MISSING:  # the shape renders it as the full render would: an error, or unused
                        key.append(("missing", len(found.values)))
                    elif type(value) not in (str, int):
                        return None
                    found.printed.append(concrete)
                    found.values.append(value)
    found.key = tuple(key)
    return found


def _spelled_out(environment: Environment, context: Mapping[str, Any], path: Path) -> list[tuple[Path, Any]] | None:
    """`path` with each EACH replaced by every index of its sequence, and the value at each; None if a sequence
    on the way is not a list or tuple."""
    if EACH not in path:
        return [(path, _resolve(environment, context, path))]
    cut = path.index(EACH)
    sequence = _resolve(environment, context, path[:cut])
    if type(sequence) not in (tuple, list):
        return None
    spelled: list[tuple[Path, Any]] = []
    for index in range(len(sequence)):
        more = _spelled_out(environment, context, (*path[:cut], index, *path[cut + 1 :]))
        if more is None:
            return None
        spelled += more
    return spelled


def _resolve(environment: Environment, context: Mapping[str, Any], path: Path) -> Any:
    """The value the template reads at `path`, looked up the way Jinja's compiled code looks it up."""
    name = path[0]
    value = context[name] if name in context else environment.globals.get(name, _MISSING)
    for part in path[1:]:
        if value is _MISSING:
            break
        if type(value) is dict and isinstance(part, str) and not hasattr(dict, part):
            value = value.get(part, _MISSING)  # what the sandbox's getattr finds in a plain dict, without a raise
            continue
        value = environment.getattr(value, part) if isinstance(part, str) else environment.getitem(value, part)
        if isinstance(value, environment.undefined):
            value = _MISSING
    return value


def _freeze(value: Any) -> Any:
    """A hashable stand-in that is equal only for values a template cannot tell apart; None if there is none."""
    if value is _MISSING:
        return ("missing",)
    if isinstance(value, Markup):
        return ("markup", str(value))
    if type(value) in _SCALARS:
        return (type(value).__name__, value)
    if type(value) is dict:
        items = tuple((key, _freeze(item)) for key, item in value.items())
        return None if any(frozen is None for _, frozen in items) else ("dict", items)
    if type(value) in (tuple, list):
        items = tuple(_freeze(item) for item in value)
        return None if any(frozen is None for frozen in items) else (type(value).__name__, items)
    return None


def probe_context(found: Found, context: Mapping[str, Any]) -> dict:
    """`context` with each printed path's value replaced by its Slot (the containers on the way copied)."""
    probe = dict(context)
    for index, (path, value) in enumerate(zip(found.printed, found.values, strict=True)):
        if value is not _MISSING:
            _put(probe, path, Slot(index, bool(value)))
    return probe


def _put(container: dict | list, path: Path, slot: Slot) -> None:
    head, rest = path[0], path[1:]
    if not rest:
        container[head] = slot
        return
    inner = container[head]
    if type(inner) not in (dict, list, tuple):
        raise Unshareable(f"cannot stand in for a value inside a {type(inner).__name__}")
    copy = dict(inner) if type(inner) is dict else list(inner)
    _put(copy, rest, slot)
    container[head] = copy if type(inner) is not tuple else tuple(copy)


class Shapes:
    """The renderer's shapes: a template set's uses, read once, and each key's tokenised render."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.enabled = True
        self._uses: dict[tuple, Uses | None] = {}
        self._shapes: dict[tuple, tuple[Any, tuple]] = {}
        self._tries: Counter[str] = Counter()
        self._misses: Counter[str] = Counter()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._uses.clear()
            self._shapes.clear()
            self._tries.clear()
            self._misses.clear()

    def render(
        self, name: str, templates: tuple[str, ...], derived: tuple[str, ...], context: dict, produce: Produce
    ) -> tuple[Any, list]:
        """What `produce(context)` returns (tokenised outputs, printed values), from the shape when it can."""
        uses = self._uses_of(templates, derived) if self.enabled else None
        found = None if uses is None or self._given_up(name) else shape_key(self.environment, uses, context)
        if found is None:
            return produce(context)
        self._tries[name] += 1
        shape = self._shapes.get((name, found.key))
        if shape is None:
            shape = self._render_shape(found, context, produce)
            if shape is None:
                return produce(context)
            self._keep((name, found.key), shape)
        outputs, recipe = shape
        printed = found.values
        return outputs, [str(printed[value.index]) if type(value) is Slot else value for value in recipe]

    def __len__(self) -> int:
        return len(self._shapes)

    def _uses_of(self, templates: tuple[str, ...], derived: tuple[str, ...]) -> Uses | None:
        if (templates, derived) not in self._uses:
            try:
                self._uses[templates, derived] = read_uses(self.environment, templates, derived)
            except Unshareable:
                self._uses[templates, derived] = None
        return self._uses[templates, derived]

    def _given_up(self, name: str) -> bool:
        tries = self._tries[name]
        return tries >= TRIAL_RENDERS and self._misses[name] * 2 > tries

    def _render_shape(self, found: Found, context: dict, produce: Produce) -> tuple[Any, tuple] | None:
        try:
            outputs, values = produce(probe_context(found, context))
        except Exception:  # the full render raises the error with the real values in view
            return None
        return outputs, tuple(values)

    def _keep(self, key: tuple, shape: tuple[Any, tuple]) -> None:
        with self._lock:
            self._misses[key[0]] += 1
            while len(self._shapes) >= MAX_SHAPES:
                del self._shapes[next(iter(self._shapes))]
            self._shapes[key] = shape
