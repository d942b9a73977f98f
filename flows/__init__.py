"""Prefect orchestration of the ``nlp`` pipeline stages."""
