# The portal's version, as pyproject.toml gives it: a registry sync's User-Agent names it.
VERSION = "0.1.0"
