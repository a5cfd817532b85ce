"""Use cases that cross areas: a command of a core area, then the one settle loop
(``settle.py``) that feeds what changed to the reactors. The API, the web pages, the CLI, the
jobs and the sweeps call these; core areas never import them (docs/architecture.md)."""
