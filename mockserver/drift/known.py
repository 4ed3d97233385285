"""The known-differences file: differences a team has accepted, each with its reason.

```yaml
known:
  - probe: conservative          # a probe name, or a glob (validation-*)
    aspect: mode                 # an aspect, or a glob (field:*)
    reason: production answers conservative at once; our clients follow the seed spec
```

An entry that matches no difference is *stale* when all the probes it names ran:
the difference it excused is gone, and the entry should go too. One naming a
probe that did not run (a paid one beyond the budget) is *unchecked* instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from mockserver.drift.compare import Difference
from mockserver.errors import DriftError

_KEYS = {"probe", "aspect", "reason"}


@dataclass(frozen=True)
class Known:
    """One accepted difference: which probe and aspect (globs allowed), and why it is accepted."""

    probe: str
    aspect: str
    reason: str

    def matches(self, difference: Difference) -> bool:
        return fnmatchcase(difference.probe, self.probe) and fnmatchcase(difference.aspect, self.aspect)

    def to_json(self) -> dict[str, str]:
        return dataclasses.asdict(self)


def load_known(path: Path) -> list[Known]:
    """The entries of a known-differences file; :class:`DriftError` naming the file and entry if it is wrong."""
    try:
        document = yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        raise DriftError(f"--known {path}: cannot be read ({exc.strerror or exc})") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DriftError(f"--known {path}: not valid YAML ({_first_line(exc)})") from exc
    if document is None:
        return []
    if not isinstance(document, dict) or set(document) != {"known"} or not isinstance(document["known"], list):
        raise DriftError(f"--known {path}: must be a mapping with one key, known: a list of entries")
    return [_entry(path, number, item) for number, item in enumerate(document["known"], start=1)]


def _entry(path: Path, number: int, item: Any) -> Known:
    where = f"--known {path}: entry {number}"
    if not isinstance(item, dict):
        raise DriftError(f"{where}: must be a mapping with probe, aspect and reason")
    unknown = sorted(str(key) for key in set(item) - _KEYS)
    if unknown:
        raise DriftError(f"{where}: unknown key {', '.join(unknown)} (an entry has probe, aspect and reason)")
    for key in sorted(_KEYS):
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            raise DriftError(f"{where}: {key} must be a non-empty text")
    return Known(item["probe"].strip(), item["aspect"].strip(), item["reason"].strip())


def apply_known(
    differences: Sequence[Difference], known: Sequence[Known], probes_run: Collection[str], probes: Collection[str]
) -> tuple[list[Difference], list[Known], list[Known]]:
    """``differences``, each with the reason of the first entry accepting it; the stale entries; the unchecked ones.

    ``probes`` names every probe of the catalogue, ``probes_run`` those sent. An
    entry that matched no difference is stale when every probe it names ran (or
    it names none at all); when one of them did not run (a paid probe beyond the
    budget), it is unchecked: nothing says whether its difference is still there.
    """
    marked = []
    for difference in differences:
        entry = next((entry for entry in known if entry.matches(difference)), None)
        marked.append(dataclasses.replace(difference, known=entry.reason) if entry else difference)
    unused = [entry for entry in known if not any(entry.matches(difference) for difference in differences)]
    stale = [entry for entry in unused if all(name in probes_run for name in probes if fnmatchcase(name, entry.probe))]
    return marked, stale, [entry for entry in unused if entry not in stale]


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


__all__ = ["Known", "apply_known", "load_known"]
