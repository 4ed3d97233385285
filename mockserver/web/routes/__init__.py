"""HTTP routes, one blueprint per resource.

``upscale`` (the three operations), ``legacy`` (the v2alpha upscale, live
profile), ``results`` (polls of async jobs), ``account`` (``/v1/user``, live profile), ``admin`` (``/_mock/``), ``meta``
(health, the document in force) and ``ui`` (the dashboard's files at
``/_mock/ui/``, and ``/`` for browsers).
"""

from mockserver.web.routes import account, legacy, meta, results, ui, upscale

#: Blueprints whose requests are API traffic (authenticated and validated).
API_BLUEPRINTS = frozenset({upscale.bp.name, legacy.bp.name, results.bp.name, account.bp.name})

__all__ = ["API_BLUEPRINTS", "account", "legacy", "meta", "results", "ui", "upscale"]
