"""Load content files (YAML) with errors located at ``file:line``.

Content is data (the qualification, item bank, scenarios, interview questions). Every file is
checked against a JSON Schema and then by the domain's own rules; every problem is reported
with the file and line it comes from, in Polish, so that an author can fix it without a debugger.

This module belongs to neither the platform nor the simulator, so both can use it while the simulator
still never imports the platform.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

Pointer = tuple[str | int, ...]


@dataclass(frozen=True)
class LocatedError:
    """One problem in a content file."""

    file: str
    line: int | None
    message: str
    pointer: Pointer = ()

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = "/".join(str(p) for p in self.pointer)
        return f"{where}: {field + ': ' if field else ''}{self.message}"


class ContentError(Exception):
    """A content file is invalid; ``errors`` lists every located problem found."""

    def __init__(self, errors: Sequence[LocatedError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass
class LocatedDocument:
    """Parsed YAML together with the line of every node, keyed by its pointer."""

    file: str
    data: Any
    lines: dict[Pointer, int]

    def line_of(self, pointer: Iterable[str | int]) -> int | None:
        """Return the line of the deepest existing node on the way to ``pointer``."""
        pointer = tuple(pointer)
        while pointer not in self.lines and pointer:
            pointer = pointer[:-1]
        return self.lines.get(pointer)

    def error(self, pointer: Iterable[str | int], message: str) -> LocatedError:
        """Build an error located at ``pointer``."""
        pointer = tuple(pointer)
        return LocatedError(self.file, self.line_of(pointer), message, pointer)


def _index_lines(node: yaml.Node, pointer: Pointer, lines: dict, errors: list, file: str) -> None:
    lines[pointer] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                errors.append(LocatedError(file, key_node.start_mark.line + 1, f"klucz „{key}” powtórzony"))
            seen.add(key)
            _index_lines(value_node, (*pointer, key), lines, errors, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _index_lines(child, (*pointer, index), lines, errors, file)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when available: hundreds of items
    """The safe loader, except that an impossible date (2026-02-30) is a located error, not a crash."""


def _timestamp(loader: _Loader, node: yaml.ScalarNode):
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"niepoprawna data „{node.value}”", node.start_mark
        ) from exc


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def parse_yaml(text: str, file: str) -> LocatedDocument:
    """Parse YAML text safely, recording lines and refusing duplicate keys."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()  # one parse gives both the nodes (with lines) and the data
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "błąd składni"
        raise ContentError([LocatedError(file, line, f"niepoprawny YAML: {problem}")]) from exc
    except yaml.YAMLError as exc:
        raise ContentError([LocatedError(file, None, f"niepoprawny YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    lines: dict[Pointer, int] = {}
    errors: list[LocatedError] = []
    if root is not None:
        _index_lines(root, (), lines, errors, file)
    if errors:
        raise ContentError(errors)
    return LocatedDocument(file, data, lines)


def read_yaml(path: Path | str, display_name: str | None = None) -> LocatedDocument:
    """Read and parse a YAML file (UTF-8), with errors located in it."""
    path = Path(path)
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ContentError([LocatedError(name, None, "plik nie istnieje")]) from exc
    except UnicodeDecodeError as exc:
        raise ContentError([LocatedError(name, None, "plik nie jest zapisany w UTF-8")]) from exc
    return parse_yaml(text, name)


_TYPE_NAMES = {
    "string": "tekst",
    "integer": "liczba całkowita",
    "number": "liczba",
    "boolean": "wartość logiczna (true/false)",
    "array": "lista",
    "object": "mapa (klucz: wartość)",
    "null": "brak wartości",
}


_MESSAGES = {
    "const": lambda e: f"oczekiwano wartości {e.validator_value!r}, jest {e.instance!r}",
    "pattern": lambda e: f"wartość {e.instance!r} ma niepoprawny format (wzorzec {e.validator_value})",
    "minLength": lambda e: (
        "wartość nie może być pusta" if e.validator_value == 1 else f"co najmniej {e.validator_value} znaków"
    ),
    "maxLength": lambda e: f"co najwyżej {e.validator_value} znaków",
    "minItems": lambda e: f"lista musi mieć co najmniej {e.validator_value} element(y/ów)",
    "maxItems": lambda e: f"lista może mieć co najwyżej {e.validator_value} element(y/ów)",
    "minimum": lambda e: f"wartość musi być ≥ {e.validator_value}",
    "exclusiveMinimum": lambda e: f"wartość musi być > {e.validator_value}",
    "maximum": lambda e: f"wartość musi być ≤ {e.validator_value}",
    "uniqueItems": lambda e: "elementy listy muszą być różne",
    "oneOf": lambda e: "wartość nie pasuje do żadnego z dozwolonych kształtów",
    "anyOf": lambda e: "wartość nie pasuje do żadnego z dozwolonych kształtów",
    "enum": lambda e: f"niedozwolona wartość {e.instance!r}; dozwolone: " + ", ".join(map(str, e.validator_value)),
}


def _polish_message(error: ValidationError) -> str:
    """Say in Polish what a JSON Schema validator found wrong."""
    v, value = error.validator, error.validator_value
    if v == "required":
        missing = [name for name in value if name not in (error.instance or {})]
        return "brak wymaganego pola: " + ", ".join(f"„{m}”" for m in missing)
    if v == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return "nieznane pole: " + ", ".join(f"„{e}”" for e in extra)
    if v == "type":
        kinds = value if isinstance(value, list) else [value]
        return "oczekiwano: " + " lub ".join(_TYPE_NAMES.get(k, k) for k in kinds)
    return _MESSAGES[v](error) if v in _MESSAGES else error.message


def validate_schema(doc: LocatedDocument, schema: dict) -> list[LocatedError]:
    """Check a document against a JSON Schema; return every located problem."""
    validator = Draft202012Validator(schema)
    found = sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path)))
    return [doc.error(error.absolute_path, _polish_message(error)) for error in found]
