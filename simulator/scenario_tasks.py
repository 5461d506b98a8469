"""The ``tasks`` section of a scenario: its JSON Schema and meaning checks, every problem located.

Shape is checked with the rest of the file (``scenario_schema``); here: unique keys, criteria that exist and are
assessed by simulation (method S) in the qualification file, variables naming seeded records, placeholders
that resolve, each check's ``params`` against its registered type (schema, then the type's own rules),
partial credit only where a type allows it, answer fields that some check reads, and solve steps whose
references resolve. See question_bank/practical/README.md for the format.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from simulator import checks
from simulator.checks import ParamProblems
from simulator.checks import vocabulary as voc
from simulator.content import ContentError, LocatedDocument, LocatedError, read_yaml, validate_schema

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUALIFICATION_FILE = PROJECT_ROOT / "question_bank" / "qualification" / "13881.yaml"
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
KEY = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"}
TEXT = {"type": "string", "minLength": 1}


def offer_tag(expression: str) -> bool:
    """Tell whether a placeholder is an offer-template tag (``{{ firma.nazwa }}``): a solve that writes an offer
    template sends it as it is, so it is neither a reference to resolve nor an error."""
    from simulator.crm.services.offer_render import DOCUMENTED

    return expression in DOCUMENTED


def _record(required: list[str], properties: dict) -> dict:
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": False}


# ``key`` may list several records (their numeric field is summed) and ``times`` multiplies a numeric value,
# e.g. the catalogue price of 4 travel policies or of two products bought together
VARIABLE = _record(
    ["entity", "key", "field"],
    {
        "entity": {"type": "string"},
        "key": {"anyOf": [KEY, {"type": "array", "items": KEY, "minItems": 1}]},
        "field": TEXT,
        "times": {"type": "number", "exclusiveMinimum": 0},
    },
)
ANSWER = _record(
    ["key", "label", "kind"],
    {
        "key": KEY,
        "label": TEXT,
        "kind": {"enum": ["number", "text"]},
        "unit": {"type": "string"},
        "help": {"type": "string"},
    },
)
CHECK = _record(
    ["type", "params", "points", "commission"],
    {
        "type": {"type": "string"},
        "params": {"type": "object"},
        "points": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
        "partial": {"enum": ["all_or_nothing", "proportional"]},
        "critical": {"type": "boolean"},
        "criteria": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
        "commission": TEXT,
        "candidate": {"type": "string"},
    },
)
HTTP_STEP = _record(
    ["method", "path"],
    {
        "method": {"enum": ["GET", "POST"]},
        "path": {"type": "string"},
        "data": {"type": "object"},
        "expect": {"type": "integer", "minimum": 100, "maximum": 599},
        "save": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}},
        "form": {"type": "boolean"},
        "note": {"type": "string"},
    },
)
ANSWER_STEP = _record(["answer"], {"answer": KEY, "note": {"type": "string"}})
TASK = _record(
    ["key", "title", "criteria", "minutes", "instructions", "checks", "solve"],
    {
        "key": KEY,
        "title": TEXT,
        "criteria": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
        "minutes": {"type": "integer", "minimum": 1, "maximum": 240},
        "instructions": TEXT,
        "variables": {"type": "object", "propertyNames": NAME, "additionalProperties": VARIABLE},
        "answers": {"type": "array", "items": ANSWER},
        "checks": {"type": "array", "items": CHECK, "minItems": 1},
        "solve": {"type": "array", "items": {"anyOf": [HTTP_STEP, ANSWER_STEP]}, "minItems": 1},
        "observation": {"type": "array", "items": TEXT},
        "builds_on": {"type": "array", "items": KEY, "uniqueItems": True},
        "setup": {"type": "array", "items": HTTP_STEP, "minItems": 1},
    },
)
TASKS = {"type": "array", "items": TASK}


@cache
def simulation_criteria(path: Path = QUALIFICATION_FILE) -> dict[str, list[str]]:
    """Return every criterion code of the qualification file with its default methods."""
    doc = read_yaml(path)
    found: dict[str, list[str]] = {}
    for group in doc.data.get("sets", []):
        for outcome in group.get("outcomes", []):
            for criterion in outcome.get("criteria", []):
                found[str(criterion["code"])] = list(criterion.get("methods", []))
    return found


def _sub_document(doc: LocatedDocument, pointer: tuple, data: Any) -> LocatedDocument:
    size = len(pointer)
    lines = {p[size:]: line for p, line in doc.lines.items() if p[:size] == pointer}
    return LocatedDocument(doc.file, data, lines)


def check_tasks(doc: LocatedDocument) -> list[LocatedError]:
    """Return every located meaning problem of the scenario's tasks."""
    errors: list[LocatedError] = []
    tasks = doc.data.get("tasks") or []
    if not tasks:
        return errors
    try:
        criteria = simulation_criteria()
    except ContentError as exc:
        return list(exc.errors)
    seed_ids = voc.seed_ids(doc.data)
    # the names a task's solve leaves saved when the tasks are solved in order in one instance (inherited from
    # the tasks it builds on, plus its own), as ``simulator.solve.solve_in_order`` carries them
    leaves: dict[str, set[str]] = {}
    for index, task in enumerate(tasks):
        at = ("tasks", index)
        if task["key"] in leaves:
            errors.append(doc.error((*at, "key"), f"klucz zadania „{task['key']}” powtórzony"))
        inherited: set[str] = set()
        for i, earlier in enumerate(task.get("builds_on", [])):
            if earlier not in leaves:
                errors.append(
                    doc.error(
                        (*at, "builds_on", i), f"„builds_on”: „{earlier}” nie jest kluczem wcześniejszego zadania"
                    )
                )
            inherited |= leaves.get(earlier, set())
        checker = _TaskChecker(doc, at, task, seed_ids, criteria)
        errors.extend(checker.run(inherited))
        leaves[task["key"]] = inherited | checker.solve_saves
    return errors


class _TaskChecker:
    def __init__(self, doc: LocatedDocument, at: tuple, task: dict, seed_ids: dict, criteria: dict) -> None:
        self.doc, self.at, self.task, self.seed_ids, self.criteria = doc, at, task, seed_ids, criteria
        self.errors: list[LocatedError] = []
        self.answers = {a["key"]: a["kind"] for a in task.get("answers", [])}
        self.variables = frozenset(task.get("variables", {}))
        self.solve_saves: set[str] = set()

    def error(self, pointer: tuple, message: str) -> None:
        self.errors.append(self.doc.error((*self.at, *pointer), message))

    def run(self, inherited: set[str] = frozenset()) -> list[LocatedError]:
        """Check the task; ``inherited`` are the names the tasks it builds on leave saved when solved in order."""
        self._criteria(self.task["criteria"], ("criteria",))
        self._variables()
        for name in PLACEHOLDER.findall(self.task["instructions"]):
            if name not in self.variables:
                self.error(("instructions",), f"instrukcja używa „{{{{ {name} }}}}”, a zadanie nie ma takiej zmiennej")
        keys = [a["key"] for a in self.task.get("answers", [])]
        for i, key in enumerate(keys):
            if keys.index(key) != i:
                self.error(("answers", i, "key"), f"pole odpowiedzi „{key}” powtórzone")
        read = set()
        for i, check in enumerate(self.task["checks"]):
            read |= self._check(check, ("checks", i))
        for i, key in enumerate(keys):
            if key not in read:
                self.error(("answers", i), f"pole odpowiedzi „{key}” nie jest sprawdzane przez żadne „answer_equals”")
        self._solve(inherited)
        return self.errors

    def _criteria(self, codes: list[str], pointer: tuple) -> None:
        for i, code in enumerate(codes):
            methods = self.criteria.get(str(code))
            if methods is None:
                self.error((*pointer, i), f"nie ma kryterium „{code}” w opisie kwalifikacji 13881")
            elif "S" not in methods:
                self.error(
                    (*pointer, i),
                    f"kryterium „{code}” nie jest weryfikowane symulacją (metody: {', '.join(methods) or 'brak'})",
                )

    def _variables(self) -> None:
        for name, spec in self.task.get("variables", {}).items():
            pointer = ("variables", name)
            entity = spec["entity"]
            if entity not in voc.ENTITY_MODELS:
                self.error(
                    (*pointer, "entity"),
                    f"nieznana encja „{entity}”; dozwolone: " + ", ".join(sorted(voc.ENTITY_MODELS)),
                )
                continue
            keys = spec["key"] if isinstance(spec["key"], list) else [spec["key"]]
            for key in keys:
                if key not in self.seed_ids.get(entity, {}):
                    self.error(
                        (*pointer, "key"), f"w danych początkowych nie ma rekordu encji „{entity}” o kluczu „{key}”"
                    )
            fields, problem = voc.resolve_path(entity, spec["field"])
            if problem:
                self.error((*pointer, "field"), problem)
            elif (len(keys) > 1 or "times" in spec) and fields[-1].kind not in ("money", "number"):
                self.error(
                    (*pointer, "field"),
                    "sumować kilka rekordów i mnożyć („times”) można tylko pole liczbowe lub kwotę",
                )

    def _check(self, check: dict, pointer: tuple) -> set[str]:
        kind = checks.get_type(check["type"])
        if kind is None:
            self.error(
                (*pointer, "type"),
                f"nieznany typ sprawdzenia „{check['type']}”; dostępne: " + ", ".join(checks.type_names()),
            )
            return set()
        if check.get("partial") == "proportional" and not kind.partial_credit:
            self.error((*pointer, "partial"), f"typ „{kind.name}” nie przyznaje części punktów (użyj all_or_nothing)")
        if check.get("partial") == "proportional" and check.get("critical"):
            # a critical failure must mean the essential part is wrong, not that one field of five was mistyped
            self.error(
                (*pointer, "critical"),
                "sprawdzenie krytyczne przyznaje punkty w całości albo wcale: wydziel część niezbędną jako osobne "
                "sprawdzenie krytyczne (all_or_nothing), a resztę punktuj proporcjonalnie bez flagi critical",
            )
        if "criteria" in check:
            self._criteria(check["criteria"], (*pointer, "criteria"))
            for i, code in enumerate(check["criteria"]):
                if code not in self.task["criteria"]:
                    self.error((*pointer, "criteria", i), f"kryterium „{code}” nie jest wśród kryteriów zadania")
        params_at = (*self.at, *pointer, "params")
        sub = _sub_document(self.doc, params_at, check["params"])
        problems = validate_schema(sub, kind.schema)
        for problem in problems:
            self.errors.append(self.doc.error((*params_at, *problem.pointer), problem.message))
        if problems:
            return set()
        kind.check_params(
            check["params"],
            ParamProblems(
                report=lambda p, message: self.error((*pointer, "params", *p), message),
                seed_ids=self.seed_ids,
                answers=self.answers,
                variables=self.variables,
            ),
        )
        return {check["params"]["answer"]} if kind.name == "answer_equals" else set()

    def _solve(self, inherited: set[str]) -> None:
        """Check the steps twice over: solved on its own, the task runs its ``setup`` and then its ``solve``;
        solved in order after the tasks it builds on, it runs only its ``solve``, with the names they saved."""
        if "setup" in self.task and not self.task.get("builds_on"):
            self.error(
                ("setup",),
                "„setup” odtwarza rekordy wcześniejszych zadań, więc zadanie musi je wskazać w „builds_on”",
            )
        alone: set[str] = set()
        for i, step in enumerate(self.task.get("setup", [])):
            self._step(step, ("setup", i), alone, "żaden wcześniejszy krok nie zapisał")
        in_order = set(inherited)
        for i, step in enumerate(self.task["solve"]):
            self._step(step, ("solve", i), alone, "żaden wcześniejszy krok nie zapisał")
            if self.task.get("builds_on"):
                self._step(
                    step,
                    ("solve", i),
                    in_order,
                    "po rozwiązaniu po kolei (bez „setup”) ani wcześniejszy krok, ani zadania z „builds_on” "
                    "nie zapisały",
                    report_others=False,
                )
        self.solve_saves = {name for step in self.task["solve"] for name in step.get("save") or {}}

    def _step(self, step: dict, pointer: tuple, saved: set[str], unsaved: str, *, report_others: bool = True) -> None:
        """Check one step against the names ``saved`` so far (and add the ones it saves); with ``report_others``
        false only unsaved references are reported (the step's other problems are reported once elsewhere)."""
        if "answer" in step:
            if report_others and step["answer"] not in self.answers:
                self.error((*pointer, "answer"), f"zadanie nie ma pola odpowiedzi „{step['answer']}”")
            return
        path = step["path"]
        if report_others and step.get("form") and step["method"] != "POST":
            self.error((*pointer, "form"), "„form: true” (formularz z bieżącymi wartościami) dotyczy tylko kroku POST")
        if report_others and (path.startswith("/") or "://" in path or ".." in path):
            self.error(
                (*pointer, "path"), "ścieżka musi być względna wobec /i/<token>/ (bez „/” na początku i bez „..”)"
            )
        self._placeholders(path, (*pointer, "path"), saved, unsaved, report_others)
        for name, value in (step.get("data") or {}).items():
            for item in value if isinstance(value, list) else [value]:
                if not isinstance(item, (str, int, float)) or isinstance(item, bool):
                    if report_others:
                        self.error(
                            (*pointer, "data", name), "wartość pola formularza musi być tekstem, liczbą lub listą"
                        )
                else:
                    self._placeholders(str(item), (*pointer, "data", name), saved, unsaved, report_others)
        for name, pattern in (step.get("save") or {}).items():
            saved.add(name)
            if report_others:
                self._save_pattern(pattern, (*pointer, "save", name))

    def _save_pattern(self, pattern: str, pointer: tuple) -> None:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            self.error(pointer, f"niepoprawne wyrażenie regularne: {exc}")
            return
        if compiled.groups != 1:
            self.error(pointer, "wyrażenie musi mieć dokładnie jedną grupę ( ) z identyfikatorem")

    def _placeholders(self, text: str, pointer: tuple, saved: set[str], unsaved: str, report_others: bool) -> None:
        for expression in PLACEHOLDER.findall(text):
            parts = expression.split(".", 2)
            head = parts[0]
            if (head == "business_date" and len(parts) == 1) or offer_tag(expression):
                continue
            if head == "saved" and len(parts) == 2:
                if parts[1] not in saved:
                    self.error(pointer, f"„{{{{ {expression} }}}}”: {unsaved} „{parts[1]}”")
                continue
            if not report_others:
                continue
            if head == "var" and len(parts) == 2:
                if parts[1] not in self.variables:
                    self.error(pointer, f"„{{{{ {expression} }}}}”: zadanie nie ma zmiennej „{parts[1]}”")
                continue
            if head == "seed" and len(parts) == 3:
                if parts[2] not in self.seed_ids.get(parts[1], {}):
                    self.error(pointer, f"„{{{{ {expression} }}}}”: nie ma rekordu „{parts[1]}” o kluczu „{parts[2]}”")
                continue
            self.error(
                pointer,
                f"nieznane odwołanie „{{{{ {expression} }}}}”; dozwolone: saved.<nazwa>, seed.<encja>.<klucz>, "
                "var.<zmienna>, business_date",
            )
