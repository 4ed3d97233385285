"""What one app is built from: config, spec, store, upscaler, clock and pools, built once per app.

No Flask here: the edge finds an app's services with :func:`services_of` (the
current request's with :func:`mockserver.web.current.current_services`), and
the control plane, the serving engine and the contract suite use them without
depending on the web layer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, Protocol

from mockserver.errors import StoreError
from mockserver.imaging.upscaler import Upscaler
from mockserver.openapi import Spec
from mockserver.pipeline.render_ahead import RenderAhead
from mockserver.pipeline.thumbnails import Thumbnailer
from mockserver.settings.config import Config
from mockserver.settings.profiles import Traits, traits_of
from mockserver.settings.runtime import RuntimeSettings
from mockserver.store import Store
from mockserver.store.sweeper import Sweeper
from mockserver.util.deferred import Deferred

if TYPE_CHECKING:
    from mockserver.recording import Recorder, Replayer

log = logging.getLogger("stability_mock")

EXTENSION_KEY = "stability_mock"
PURGE_EVERY_SECONDS = 60.0


@dataclass
class Services:
    """The app's collaborators; tests swap the clock to move time, and the sleep to see waits without waiting."""

    config: Config
    spec: Spec
    store: Store
    upscaler: Upscaler
    clock: Callable[[], float] = time.time
    #: How an answer is held for the timing preset (seconds).
    sleep: Callable[[float], None] = time.sleep
    #: Whether :meth:`close` closes the store: one the app opened itself, not one it was handed.
    owns_store: bool = False
    #: ``stability-mock record``: every API call goes to the upstream and into the cassette instead.
    recorder: Recorder | None = None
    #: ``--replay``: recorded answers come before the mock's own.
    replayer: Replayer | None = None
    _next_purge: float = field(default=0.0, repr=False)
    sweeper: Sweeper = field(default_factory=Sweeper, repr=False)
    #: The last changes read from the store and the settings they make: most calls see the same ones.
    _parsed: tuple[dict[str, Any], RuntimeSettings] | None = field(default=None, repr=False)
    #: spec/admin.yml, parsed on the first admin call (or by :meth:`warm`): serving the API never needs it,
    #: and parsing it was a tenth of a cold start.
    _admin_spec: Deferred[Spec] = field(
        default_factory=lambda: Deferred(partial(Spec.bundled, "admin.yml")), init=False, repr=False
    )

    @property
    def admin_spec(self) -> Spec:
        """The admin API's document (spec/admin.yml) and its validation."""
        return self._admin_spec.get()

    @cached_property
    def traits(self) -> Traits:
        """What the profile in force does beyond its document (answer shapes, output sizes)."""
        return traits_of(self.config.profile)

    @cached_property
    def render_ahead(self) -> RenderAhead:
        """This process's pool that renders async jobs as they are created."""
        return RenderAhead(self.config.render_ahead_threads)

    @cached_property
    def thumbnails(self) -> Thumbnailer:
        """This process's thread that makes the journal's thumbnails after each answer."""
        return Thumbnailer(self.upscaler)

    @cached_property
    def default_settings(self) -> RuntimeSettings:
        """The config's runtime settings: fixed for the app's life, so built once."""
        return RuntimeSettings.defaults(self.config)

    def settings(self) -> RuntimeSettings:
        """The runtime settings in force: the config's, changed by what the store keeps."""
        return self._settings_from(self.store.settings())

    def state(self) -> tuple[RuntimeSettings, bool]:
        """The settings in force and whether any fault is queued, in one store round trip."""
        snapshot = self.store.snapshot()
        return self._settings_from(snapshot.settings), snapshot.faults_queued

    def _settings_from(self, changes: dict[str, Any]) -> RuntimeSettings:
        if not changes:
            return self.default_settings
        parsed = self._parsed
        if parsed is not None and parsed[0] == changes:
            return parsed[1]
        settings = self.default_settings.updated(changes)
        self._parsed = (changes, settings)
        return settings

    def warm(self) -> None:
        """Build what start-up left for first use (openapi-core, the admin document), so no request waits for it."""
        self.spec.warm()
        self.admin_spec.warm()

    def close(self) -> None:
        """Stop this process's threads (sweeper, render-ahead, thumbnails), close a recorder's connections to its
        upstream, and close the store if the app opened it.

        :func:`mockserver.web.app.create_app` has this run when its app is
        collected or the interpreter exits, so an app dropped by a test leaves no
        thread or connection behind; call it to release them at once. Nothing
        waits for a thread: a task under way finishes, and its connection is
        closed with the store, or with its thread when the store is not ours.
        Whatever is used again afterwards starts again (a thread, a connection).
        """
        self.sweeper.stop()
        if "render_ahead" in self.__dict__:
            self.render_ahead.close()
        if "thumbnails" in self.__dict__:
            self.thumbnails.close()
        if self.recorder is not None:
            self.recorder.close()
        if self.owns_store:
            try:
                self.store.close()
            except StoreError as exc:
                log.warning("closing the store failed: %s", exc)

    def purge_now_and_then(self, now: float) -> None:
        """Drop expired jobs at most once a minute per process: cheap, and enough."""
        if now >= self._next_purge:
            self._next_purge = now + PURGE_EVERY_SECONDS
            self.store.purge_expired(now)


class HasExtensions(Protocol):
    """What :func:`services_of` needs of an app: Flask's ``extensions`` mapping."""

    extensions: dict[str, Any]


def services_of(app: HasExtensions) -> Services:
    """The services an app was built with (:func:`mockserver.web.app.create_app` keeps them in its extensions)."""
    found: Services = app.extensions[EXTENSION_KEY]
    return found
