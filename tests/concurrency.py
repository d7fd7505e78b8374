"""Run a function in several threads at once and collect what each returned or raised."""

import threading


def run_in_threads(function, count: int, *, timeout: float = 120) -> tuple[list, list]:
    """Call ``function()`` in ``count`` threads started together; returns (results,
    errors), each in no particular order."""
    results, errors = [], []

    def run():
        try:
            results.append(function())
        except Exception as error:                           # noqa: BLE001  (returned)
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results, errors
