import json
import os
from pathlib import Path

DEFAULT_CONFIG_PATH = Path("/etc/shop/config.json")
ENV_PREFIX = "SHOP_"


def load_config(path: Path | None = None) -> dict:
    path = path or Path(os.environ.get("SHOP_CONFIG", DEFAULT_CONFIG_PATH))
    with path.open(encoding="utf-8") as fh:
        config = json.load(fh)
    return apply_env_overrides(config)


def apply_env_overrides(config: dict) -> dict:
    for name, value in os.environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX):].lower()
        if key in config:
            config[key] = type(config[key])(value)
    return config
