"""Gathering many piles' reports into one database call.

Every pile waits for the answer to its call before it sends the next one, so at any moment a
busy network has hundreds of status reports and meter readings waiting. Handling each in its own
transaction costs several statements and a commit apiece; a batch writes them all with a few
set-based statements and one commit, and answers each pile only after that commit.
"""

import asyncio

BATCH_MAX = 300
# The longest a report waits for others to join its batch: small beside the round trip a
# pile already waits, and long enough that a busy gateway fills batches.
BATCH_WAIT_SECONDS = 0.005


class Batch:
    """Feeds items to `service(items)`, which returns, per item, its result or the exception
    that refused it. `submit(item)` returns the result once the item's batch committed, or
    raises the item's exception."""

    def __init__(self, run, service):
        self.run, self.service = run, service
        self.items, self.futures = [], []
        self.timer: asyncio.TimerHandle | None = None
        self.writing: set[asyncio.Task] = set()

    async def submit(self, item):
        future = asyncio.get_running_loop().create_future()
        self.items.append(item)
        self.futures.append(future)
        if len(self.items) >= BATCH_MAX:
            self._flush()
        elif self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(BATCH_WAIT_SECONDS, self._flush)
        outcome = await future
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _flush(self):
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        items, futures = self.items, self.futures
        self.items, self.futures = [], []
        if items:
            task = asyncio.ensure_future(self._write(items, futures))
            self.writing.add(task)
            task.add_done_callback(self.writing.discard)

    async def drain(self):
        """Write what waits and wait for every write in flight (the gateway is stopping)."""
        self._flush()
        if self.writing:
            await asyncio.gather(*self.writing, return_exceptions=True)

    async def _write(self, items, futures):
        try:
            outcomes = await self.run(self.service, items=items)
        except Exception as error:  # noqa: BLE001 (the whole batch failed: every pile hears why)
            outcomes = [error] * len(items)
        for future, outcome in zip(futures, outcomes, strict=True):
            if not future.done():
                future.set_result(outcome)
