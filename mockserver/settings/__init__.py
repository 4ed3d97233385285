"""What the mock is told, declared once.

``knobs`` (how a setting is declared: type, bounds, help, environment name),
``runtime`` (the settings a running mock may change), ``config`` (start-up:
the runtime settings plus what only a start decides; the one place that reads
environment variables) and ``profiles`` (which document the mock plays).

Imports: ``util`` and ``errors`` only, so that ``from
mockserver.settings.config import Config`` stays light.
"""
