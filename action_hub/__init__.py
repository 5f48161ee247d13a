"""The Looker Action API side of the hub: app, auth, schemas and result reading."""

__version__ = "0.1.0"
