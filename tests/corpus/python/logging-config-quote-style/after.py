"""Logging configuration shared by the API and the workers."""

import logging
import logging.config
import os

LEVEL = os.environ.get("LOG_LEVEL", "INFO")


def build_config(json_logs: bool = False) -> dict:
    formatter = "json" if json_logs else "plain"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "json": {"()": "pythonjsonlogger.jsonlogger.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "urllib3": {"level": "WARNING"},
            "botocore": {"level": "WARNING"},
        },
        "root": {"level": LEVEL, "handlers": ["console"]},
    }


def configure() -> None:
    json_logs = os.environ.get("LOG_FORMAT", "plain") == "json"
    logging.config.dictConfig(build_config(json_logs=json_logs))
    logging.getLogger(__name__).debug("logging configured (json=%s)", json_logs)
