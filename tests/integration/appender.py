"""A child process that appends to a ledger and acknowledges each durable append on stdout.

Usage: python -m tests.integration.appender URL KEY_FILE ORIGIN COUNT TAG
Prints one line `seq message` per entry, only after the append (or batch) has returned.
COUNT 0 means append forever (until killed). Batches of 1-5 entries are mixed in.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from tidegate.ledger.keys import load_key
from tidegate.ledger.log import AppendRequest, Ledger
from tidegate.ledger.store import LedgerStore


def main() -> None:
    url, key_file, origin, count_text, tag = sys.argv[1:6]
    count = int(count_text)
    ledger = Ledger(LedgerStore(url), origin=origin, signer=load_key(Path(key_file)), actor=tag)
    rng = random.Random(tag)
    done = 0
    while count == 0 or done < count:
        size = 1 if count else rng.choice([1, 1, 1, 2, 5])
        requests = [AppendRequest("note", {"message": f"{tag}-{done + i}"}) for i in range(size)]
        appended = ledger.append_batch(requests) if size > 1 else [ledger.append(requests[0])]
        sys.stdout.write(
            "".join(
                f"{e.seq} {r.body['message']}\n" for e, r in zip(appended, requests, strict=True)
            )
        )
        sys.stdout.flush()
        done += size


if __name__ == "__main__":
    main()
