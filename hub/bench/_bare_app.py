"""The reference for start-up and memory: a bare Litestar app with one route, under uvicorn."""

import sys

import uvicorn
from litestar import Litestar, get


@get("/api/v1/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


if __name__ == "__main__":
    uvicorn.run(Litestar([health]), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
