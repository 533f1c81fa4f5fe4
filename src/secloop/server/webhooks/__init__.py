"""Outbound webhooks: signed JSON notifications, SSRF-guarded, retried through the job runner.

``config`` holds the settings models, ``guard`` decides which addresses may be
contacted, ``signing`` makes and checks the HMAC headers, ``deliver`` sends one
attempt, and ``events`` builds the payloads from the database.
"""
