"""`tidegate witness`: cosign a log's checkpoints as an independent second party."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from tidegate.cli._console import emit, read_input, say
from tidegate.errors import UsageError
from tidegate.ledger.witness import (
    KEY_FILE,
    cosign_checkpoint,
    init_witness,
    load_log_key,
    open_witness,
)

app = typer.Typer(
    name="witness",
    help="Cosign a log's checkpoints as a witness (C2SP tlog-cosignature), refusing forks and rollbacks.",
    no_args_is_help=True,
)

MAX_FILE_BYTES = 64 * 1024

StateOption = Annotated[
    Path, typer.Option("--state", metavar="DIR", help="The witness's state directory.")
]


@app.command()
def init(
    state_dir: StateOption,
    name: Annotated[str, typer.Option(help="The witness's key name, e.g. witness.example.com/w1.")],
) -> None:
    """Create a witness: a state directory (0700) with a new Ed25519 key; prints its vkey."""
    witness = init_witness(state_dir, name)
    say(f"witness {name} created in {state_dir} (key {state_dir / KEY_FILE}, mode 0600)")
    say("its cosignature verifier key (for `tidegate ledger verify --witness-key FILE`):")
    emit(witness.vkey())


@app.command()
def key(state_dir: StateOption) -> None:
    """Print the witness's cosignature verifier key (name+hash+base64)."""
    emit(open_witness(state_dir).vkey())


@app.command()
def cosign(
    checkpoint: Annotated[
        Path, typer.Option(metavar="FILE", help="The log's signed checkpoint to cosign.")
    ],
    log_key: Annotated[
        Path,
        typer.Option(
            metavar="FILE",
            help="The log's note verifier key (`tidegate keys export --format vkey`).",
        ),
    ],
    state_dir: StateOption,
    proof: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Consistency proof from the size the witness last cosigned "
            "(`tidegate ledger consistency --from-checkpoint`).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="FILE", help="Write the cosigned checkpoint here."),
    ] = None,
) -> None:
    """Cosign a checkpoint consistent with the last one cosigned. Exit 0 cosigned, 1 refused, 2 usage."""
    result = cosign_checkpoint(
        state_dir,
        read_input(str(checkpoint), "checkpoint", MAX_FILE_BYTES),
        load_log_key(read_input(str(log_key), "log key", MAX_FILE_BYTES), source=str(log_key)),
        proof=None
        if proof is None
        else read_input(str(proof), "consistency proof", MAX_FILE_BYTES),
        source=f"checkpoint {checkpoint}",
        proof_source=f"proof {proof}",
    )
    body = result.checkpoint
    if result.previous_size is None:
        say(
            f"cosigned {body.origin} at size {body.size}: the first checkpoint of this log the "
            "witness has seen, trusted on first use (no consistency proof needed)"
        )
    elif result.previous_size == body.size:
        say(f"cosigned {body.origin} at size {body.size} again (same root as before)")
    else:
        say(
            f"cosigned {body.origin} at size {body.size}: consistent with size "
            f"{result.previous_size}, which the witness cosigned before"
        )
    # The witness has recorded this cosignature: print it before anything else can fail.
    emit(result.signature_line)
    if out is not None:
        tmp = out.with_name(out.name + ".tmp")
        try:
            tmp.write_bytes(result.cosigned)
            os.replace(tmp, out)
        except OSError as exc:
            raise UsageError(
                f"cannot write the cosigned checkpoint to {out}: {exc.strerror}",
                hint="the cosignature line was printed on stdout; append it to the checkpoint",
            ) from exc
        say(f"wrote the cosigned checkpoint to {out}")
