"""One submitting process of test_concurrent_submissions: POST the gradients it is given.

Reads a JSON list of {"url", "token", "key", "body"} on stdin, posts each as fast as the
server takes them, and prints a JSON list of status codes.
"""

from __future__ import annotations

import json
import sys

import requests


def main() -> None:
    jobs = json.load(sys.stdin)
    session = requests.Session()
    codes = []
    for job in jobs:
        response = session.post(
            job["url"],
            json=job["body"],
            headers={"Authorization": f"Token {job['token']}", "Idempotency-Key": job["key"]},
            timeout=120,
        )
        codes.append(response.status_code)
    print(json.dumps(codes))


if __name__ == "__main__":
    main()
