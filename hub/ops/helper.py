"""The one client of the image's privileged helper (image/overlay/usr/lib/soko-hub/helper).

The hub runs with no new privileges, so it never changes the system itself: it writes one request
line to the helper's socket (root-owned, group soko-hub) and reads one answer line back, "ok ..."
or "error ...". `ask` returns the text after "ok" and raises a `HelperError` for anything else:
`HelperUnavailable` (no helper, or no permission to reach it), `HelperTimeout` (no answer in
time) or `HelperRefused` (the helper answered "error ...": its reason is the message).

The wizard's network step (hub.firstrun), the clock from the tills (hub.ops.clock), updates and
restores (hub.ops.updates) and the UPS's clean shutdown (hub.ops.subsystem) all ask through here.
`python -m hub.ops.helper VERB [ARG...]` is the same client for a shell and the image's scripts
(/usr/lib/soko-hub/soko-hub-helper runs it): it prints the answer line and exits 0 for "ok", 1 for
"error", 2 when the helper cannot be reached or does not answer.
"""

from __future__ import annotations

import socket
import sys

SOCKET = "/run/soko-hub-helper.sock"
TIMEOUT_S = 60.0
MAX_ANSWER = 4096
# Verbs that wait for a long job: an update installs a version and waits for its health (the
# helper's own confirm timeout is 120 s by default, an install of wheels takes minutes on a card).
LONG_VERBS = {"apply-update": 900.0}


class HelperError(RuntimeError):
    """The privileged helper did not do what was asked; the message says why."""


class HelperUnavailable(HelperError):
    """No helper answers at the socket (not this image, not running, or no permission)."""


class HelperTimeout(HelperError):
    """The helper took the request but gave no answer in time."""


class HelperRefused(HelperError):
    """The helper answered "error ...": the request was refused or what it ran failed."""

    def __init__(self, request: str, reason: str) -> None:
        super().__init__(reason)
        self.request = request
        self.reason = reason


def exchange(line: str, *, path: str | None = None, timeout: float | None = None) -> str:
    """Send one request line and return the helper's whole answer line ("ok ..." or "error ...")."""
    path = path or SOCKET
    timeout = TIMEOUT_S if timeout is None else timeout
    if "\n" in line or "\r" in line:
        raise ValueError("one request is one line")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            try:
                sock.connect(path)
            except OSError as err:
                raise HelperUnavailable(f"the system helper cannot be reached at {path} "
                                        f"({err.strerror or err})") from err
            sock.sendall(line.encode() + b"\n")
            raw = sock.makefile("rb").readline(MAX_ANSWER)
    except TimeoutError as err:  # socket.timeout is TimeoutError
        raise HelperTimeout(f"the system helper gave no answer within {timeout:g} s") from err
    except HelperError:
        raise
    except OSError as err:
        raise HelperUnavailable(f"the system helper closed the connection ({err.strerror or err})") from err
    answer = raw.decode("utf-8", errors="replace").strip()
    if not answer:
        raise HelperUnavailable("the system helper gave no answer")
    return answer


def ask(verb: str, *args: str, path: str | None = None, timeout: float | None = None) -> str:
    """Ask the helper for one action: the text after its "ok"; HelperError otherwise."""
    request = " ".join((verb, *args))
    answer = exchange(request, path=path, timeout=LONG_VERBS.get(verb, TIMEOUT_S) if timeout is None else timeout)
    verdict, _, text = answer.partition(" ")
    if verdict == "ok":
        return text
    if verdict == "error":
        raise HelperRefused(request, text or "refused")
    raise HelperRefused(request, f"an answer the hub does not understand: {answer[:200]}")


def main(argv: list[str]) -> int:
    """`soko-hub-helper VERB [ARG...]`: print the answer; 0 for ok, 1 for error, 2 if unreachable."""
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: soko-hub-helper VERB [ARG...]  (one request to the privileged helper at "
              f"{SOCKET}; exit 0 for ok, 1 for error, 2 if it cannot be reached)", file=sys.stderr)
        return 2
    try:
        answer = exchange(" ".join(argv), timeout=LONG_VERBS.get(argv[0], TIMEOUT_S))
    except HelperError as err:
        print(f"soko-hub-helper: {err}", file=sys.stderr)
        return 2
    except ValueError as err:
        print(f"soko-hub-helper: {err}", file=sys.stderr)
        return 2
    print(answer)
    return 0 if answer.partition(" ")[0] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
