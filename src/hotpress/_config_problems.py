"""Config problems as a person reads them: every problem at once, each with file:line: key.

pydantic reports all it finds; they are listed unknown keys first (a misspelt key also makes
its correct name "missing", and the unknown-key line carries the hint), up to MAX_PROBLEMS.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from pydantic import BaseModel, ValidationError

from hotpress.exceptions import ConfigError

Loc = tuple[str | int, ...]


def dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_for(loc: Loc, lines: dict[Loc, int]) -> int | None:
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def _valid_keys(root: type[BaseModel], loc: Loc) -> list[str]:
    model = root
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        inner = getattr(annotation, "__args__", None)
        candidates = [annotation, *(inner or ())]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return []
        model = nested[0]
    return list(model.model_fields)


MAX_PROBLEMS = 20
"""At most this many problems are listed; the rest are counted."""


class ConfigProblems(ConfigError):
    """Several problems in one config, all reported at once (unknown keys first).

    ``path``, ``line`` and ``key`` are the first problem's; ``problems`` holds them all."""

    def __init__(self, problems: list[ConfigError]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(first.message, path=first.path, line=first.line, key=first.key)

    def __str__(self) -> str:
        problems = getattr(self, "problems", [])
        if len(problems) <= 1:
            return super().__str__()
        shown = [f"  {p}" for p in problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"  … and {len(problems) - MAX_PROBLEMS} more")
        return f"{self.path}: {len(problems)} problems:\n" + "\n".join(shown)


def validation_problems(
    exc: ValidationError, root: type[BaseModel], path: Path, lines: dict[Loc, int]
) -> ConfigProblems:
    """Every problem pydantic found, as one error: unknown keys (with the nearest valid key)
    first, then in file order; a missing key that an unknown one looks like names it."""
    errors = exc.errors()
    unknown: dict[Loc, list[str]] = {}  # parent location -> unknown keys found there
    for err in errors:
        if err["type"] == "extra_forbidden":
            where: Loc = tuple(err["loc"])
            unknown.setdefault(where[:-1], []).append(str(where[-1]))
    problems: list[tuple[int, ConfigError]] = []
    for err in errors:
        loc: Loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            valid = _valid_keys(root, loc)
            near = difflib.get_close_matches(str(loc[-1]), valid, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            allowed = ", ".join(valid)
            message = f"unknown key{hint}; valid keys here: {allowed}"
            rank = 0
        elif err["type"] == "missing":
            message = "required key is missing"
            misspelt = difflib.get_close_matches(str(loc[-1]), unknown.get(loc[:-1], []), n=1)
            if misspelt:
                message += f" (is {misspelt[0]!r} meant to be it?)"
            rank = 1
        else:
            got = err.get("input")
            shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
            message = f"{err['msg']}{shown}"
            rank = 1
        problem = ConfigError(message, path=path, line=line_for(loc, lines), key=dotted(loc))
        problems.append((rank, problem))
    # Unknown keys first (their hints explain the rest), then in file order.
    problems.sort(key=lambda p: (p[0], p[1].line or 0))
    return ConfigProblems([p for _, p in problems])
