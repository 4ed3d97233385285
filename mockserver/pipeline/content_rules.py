"""The live API's content rules on prompts: moderation (403), English only (422), filtered output.

Word lists are runtime settings, off by default. They apply to the uploads that
take a prompt, after staged faults and before credits, so a refused prompt costs nothing.
The refusals say what production says, word for word (it names no field or word).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.errors import ContentModeration, InvalidLanguage
from mockserver.settings.runtime import RuntimeSettings


def verdict(settings: RuntimeSettings, body: Mapping[str, Any]) -> bool:
    """Raise for moderated or non-English prompts; ``True`` when the output is to be filtered."""
    prompt = str(body.get("prompt", "")).lower()
    if not prompt:
        return False
    flagged = [word for word in settings.moderation_words if word and word in prompt]
    if flagged:
        raise ContentModeration()
    foreign = [word for word in settings.language_words if word and word in prompt]
    if foreign:
        raise InvalidLanguage()
    return any(word and word in prompt for word in settings.filter_words)


__all__ = ["verdict"]
