"""Serving the app on gunicorn, a real pre-forking WSGI server."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from mockserver.openapi.repairs import quicken_pathable
from mockserver.services import Services, services_of
from mockserver.serving.access_log import RedactingLogger
from mockserver.serving.warmup import Traffic, warm_after_first_answer
from mockserver.serving.worker import MockWorker
from mockserver.settings.config import Config


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn with the app built once in the master (``preload_app``).

    Building before the fork surfaces configuration errors at start-up, loads
    the spec once, and lets every worker share the same store file. What the
    app builds on first use instead (openapi-core) each worker builds in the
    background once it has answered its first request (:mod:`mockserver.serving.warmup`).
    """

    def __init__(self, app: Flask, config: Config) -> None:
        # This process and the workers it forks are the mock's own, not a user's: see quicken_pathable.
        quicken_pathable()
        self.application = app
        self.mock_config = config
        self.traffic = Traffic(app)
        super().__init__()

    def load_config(self) -> None:
        config = self.mock_config
        settings: dict[str, Any] = {
            "bind": f"{config.host}:{config.port}",
            "workers": config.workers,
            "threads": config.threads,
            "worker_class": MockWorker,
            "preload_app": True,
            # A 16-megapixel render plus PNG encoding takes seconds, not minutes.
            "timeout": 120,
            "graceful_timeout": 10,
            "loglevel": config.log_level,
            "accesslog": "-",
            # No Basic-auth user, no raw key from an admin URL or a secret header (mockserver.serving.access_log).
            "logger_class": RedactingLogger,
            "errorlog": "-",
            "proc_name": "stability-mock",
            # One shared control socket per user would make two mocks collide.
            "control_socket_disable": True,
            "post_worker_init": self._warm_up,
        }
        if config.tls:
            from mockserver.interception.ca import TLS12_CIPHERS, LocalCA

            pair = LocalCA(config.data_dir).leaf()
            settings.update(certfile=str(pair.cert), keyfile=str(pair.key), ciphers=TLS12_CIPHERS)
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self) -> Traffic:
        return self.traffic

    def _warm_up(self, _worker: Any) -> None:
        """In each worker as it starts: build openapi-core in the background before a request needs it."""
        services: Services = services_of(self.application)
        warm_after_first_answer(self.traffic, services.warm)
