"""HTTP routes, one blueprint per resource."""

from mockserver.routes import account, meta, results, ui, upscale

#: Blueprints whose requests are API traffic (authenticated and validated).
API_BLUEPRINTS = frozenset({upscale.bp.name, results.bp.name, account.bp.name})

__all__ = ["API_BLUEPRINTS", "account", "meta", "results", "ui", "upscale"]
