"""A stand-in for git-lfs's clean/smudge filters, so LFS checkouts are tested without it.

`clean` turns content into the pointer git-lfs would commit (and keeps the content in a
store folder); `smudge` turns a pointer back into that content. A git repository with
`.gitattributes` `filter=lfs` and these as `filter.lfs.clean/smudge` holds LFS pointers
in its objects and the media in its working tree, exactly as git-lfs leaves them.
"""

from __future__ import annotations

import hashlib
import shlex
import sys
from pathlib import Path

POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n"


def pointer_for(content: bytes) -> bytes:
    return POINTER.format(oid=hashlib.sha256(content).hexdigest(), size=len(content)).encode()


def git_config(store: Path) -> list[str]:
    """`-c` options that make git use this module as its LFS filter, storing in `store`."""
    run = f"{shlex.quote(sys.executable)} {shlex.quote(__file__)}"
    where = shlex.quote(str(store))
    return [
        "-c",
        f"filter.lfs.clean={run} clean {where}",
        "-c",
        f"filter.lfs.smudge={run} smudge {where}",
        "-c",
        "filter.lfs.required=true",
    ]


def main() -> None:
    mode, store = sys.argv[1], Path(sys.argv[2])
    data = sys.stdin.buffer.read()
    if mode == "clean":
        if data.startswith(b"version https://git-lfs.github.com/spec/v1\n"):
            out = data  # already a pointer
        else:
            store.mkdir(parents=True, exist_ok=True)
            (store / hashlib.sha256(data).hexdigest()).write_bytes(data)
            out = pointer_for(data)
    else:
        oid = data.split(b"oid sha256:")[1].split(b"\n")[0].decode()
        out = (store / oid).read_bytes()
    sys.stdout.buffer.write(out)


if __name__ == "__main__":
    main()
