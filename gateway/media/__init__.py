"""Files in conversations: records (records.py), storage (storage.py), type sniffing (sniff.py),
customer files and their fetch jobs (jobs.py, fetcher.py), the download route (routes.py), uploads (uploads.py)."""
