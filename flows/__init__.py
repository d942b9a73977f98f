"""Prefect orchestration of the ``nlp`` pipeline stages.

Importing the package switches Prefect's telemetry off first (``flows.offline``), so no entry
point of this project can start Prefect with it on.
"""

from flows.offline import keep_offline as _keep_offline

_keep_offline()
