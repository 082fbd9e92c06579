"""Long work in a real job queue: CSV imports, portfolio re-scoring, model training.

- ``models``: the ``jobs`` table (state, progress, heartbeat: what every web process shows)
  and the uploads waiting for their import;
- ``queue``: Huey carries job IDs to the workers (a SQLite file on one machine, Redis for
  several), plus the workers' housekeeping every minute;
- ``runner``: claim, heartbeat, progress, finish or fail; dead jobs found by their lease;
- ``imports``, ``rescore``, ``training``: one handler per kind (``kinds``);
- ``worker``: ``python -m webapp.jobs`` runs a worker (``make run`` starts one beside
  gunicorn, ``scripts/serve.py``).

Dependencies: jobs uses clients (its services) and is used by admin.
"""
