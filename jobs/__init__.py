"""Checks as jobs: the app enqueues a check, a worker process that owns the model runs it.

The queue is huey's (SQLite storage: no server to run); `records` keeps each job's state,
progress and owner where every app process can read them; `runner` is the job's body
(the pipeline with progress and a cancellation flag); `queue` is what the app and the CLI
call (submit, status, cancel); `worker` is the process that runs the jobs.
"""
